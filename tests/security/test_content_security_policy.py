"""The Content-Security-Policy header, and templates that need nothing it forbids. tests/browser/test_csp.py
visits the pages of every role in Chromium and sees no violation."""
import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
# Inline script (a <script> element without src), event handler attributes, style attributes and elements.
FORBIDDEN = [
    re.compile(r"<script(?![^>]*\bsrc=)[^>]*>"),
    re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    re.compile(r"\sstyle\s*=", re.IGNORECASE),
    re.compile(r"<style\b"),
]


def policy_of(response) -> dict[str, list[str]]:
    directives = (part.strip().split() for part in response["Content-Security-Policy"].split(";") if part.strip())
    return {name: values for name, *values in directives}


@pytest.mark.django_db
def test_every_page_carries_the_strict_policy(client):
    policy = policy_of(client.get("/accounts/login/"))
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'self'"]


@pytest.mark.django_db
def test_only_the_cms_allows_inline_script_for_wagtails_admin(client):
    policy = policy_of(client.get("/cms/"))
    assert policy["script-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["object-src"] == ["'none'"]


def test_no_template_has_what_the_policy_blocks():
    # PDF templates are read by xhtml2pdf on the server, never by a browser.
    offending = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0).strip()}"
        for path in sorted(TEMPLATES.rglob("*.html")) if not path.name.endswith("_pdf.html")
        for pattern in FORBIDDEN for match in pattern.finditer(path.read_text())
    ]
    assert offending == []
