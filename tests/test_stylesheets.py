"""Pages stay usable in a 360 or QQ browser's compatibility mode (an Internet Explorer engine, which knows no CSS
variables): every declaration that uses var() follows the same declaration with a plain value, which such a
browser keeps when it drops the one it cannot read."""
from pathlib import Path

import pytest
import tinycss2

STYLESHEETS = sorted((Path(__file__).resolve().parents[1] / "site" / "static" / "css").glob("*.css"))


def _rules(nodes):
    for node in nodes:
        if node.type == "qualified-rule":
            yield node
        elif node.type == "at-rule" and node.content is not None:
            yield from _rules(tinycss2.parse_rule_list(node.content, skip_comments=True, skip_whitespace=True))


def _uses_a_variable(tokens) -> bool:
    return any(
        token.type == "function" and (token.lower_name == "var" or _uses_a_variable(token.arguments))
        for token in tokens
    )


def _declarations_without_fallback(path: Path) -> list[str]:
    missing = []
    for rule in _rules(tinycss2.parse_stylesheet(path.read_text(), skip_comments=True, skip_whitespace=True)):
        selector = tinycss2.serialize(rule.prelude).strip()
        previous = None
        for declaration in tinycss2.parse_blocks_contents(rule.content, skip_comments=True, skip_whitespace=True):
            if declaration.type != "declaration" or declaration.name.startswith("--"):
                continue
            if _uses_a_variable(declaration.value) and not (
                previous is not None and previous.lower_name == declaration.lower_name
                and not _uses_a_variable(previous.value)
            ):
                missing.append(f"{path.name}:{declaration.source_line} {selector} {{ {declaration.name} }}")
            previous = declaration
    return missing


@pytest.mark.parametrize("path", STYLESHEETS, ids=lambda path: path.name)
def test_every_css_variable_has_a_plain_fallback_before_it(path):
    assert _declarations_without_fallback(path) == []


def test_the_check_finds_a_variable_without_fallback(tmp_path):
    sheet = tmp_path / "sheet.css"
    sheet.write_text(".a { color: #111; color: var(--ink); } @media (min-width: 1px) { .b { border: 1px solid var(--line); } }")
    assert _declarations_without_fallback(sheet) == ["sheet.css:1 .b { border }"]


def _chinese_punctuation_without_english(path: Path) -> list[str]:
    """Rules whose generated text carries a Chinese full-width colon, without a rule for English pages
    (``:lang(en)`` before the same selector) that writes it the English way."""
    rules = {}
    for rule in _rules(tinycss2.parse_stylesheet(path.read_text(), skip_comments=True, skip_whitespace=True)):
        for declaration in tinycss2.parse_blocks_contents(rule.content, skip_comments=True, skip_whitespace=True):
            if declaration.type == "declaration" and declaration.lower_name == "content":
                rules[tinycss2.serialize(rule.prelude).strip()] = tinycss2.serialize(declaration.value)
    return [
        f"{path.name}: {selector}" for selector, content in rules.items()
        if "：" in content and "：" in rules.get(f":lang(en) {selector}", "：")
    ]


@pytest.mark.parametrize("path", STYLESHEETS, ids=lambda path: path.name)
def test_labels_the_stylesheets_write_have_english_punctuation_on_english_pages(path):
    """The stacked tables of a phone write each cell's label before it, "地区：" on a Chinese page; an English page
    showed "Region：" too."""
    assert _chinese_punctuation_without_english(path) == []
