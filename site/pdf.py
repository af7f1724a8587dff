"""HTML to PDF with xhtml2pdf, shared by transcripts, certificates and reports.

Chinese needs a font the PDF carries with it: every document gets Droid Sans Fallback (site/static/fonts)
through an @font-face rule added here, and ReportLab embeds the characters the document uses. That font has
no Latin letters or digits, so those are drawn in Helvetica, which every PDF reader has (so it is not
embedded). Templates style the layout and leave font-family alone (or name PDF_FONT_FAMILIES).

xhtml2pdf fetches whatever the HTML names (images, fonts, stylesheets), and a name can reach a template from
user input. So what a render may read is decided here, twice: ``static_link_callback`` turns only our own
static fonts/ and img/ addresses into files on disk, and the resource policy refuses the network and every
file outside those folders, whatever the callback answered.
"""
import io
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from xhtml2pdf import pisa
from xhtml2pdf.config.resources import ResourceAccessPolicy
from xhtml2pdf.default import DEFAULT_CSS

FONT_FILE = "fonts/DroidSansFallbackFull.ttf"
CHINESE_FONT_FAMILY = "Droid Sans Fallback"
# Per character, the first family holding a glyph draws it: Latin letters, digits and punctuation in Helvetica,
# Chinese in the embedded font. Helvetica comes first because text xhtml2pdf places itself (page numbers)
# takes the first family only, and the Chinese font has no digits.
PDF_FONT_FAMILIES = f'Helvetica, "{CHINESE_FONT_FAMILY}"'

# The static folders a PDF may draw from.
STATIC_FOLDERS = ("fonts/", "img/")


class PDFRenderError(Exception):
    pass


def static_link_callback(uri: str, rel: str | None = None) -> str | None:
    """The file on disk for one of our static fonts or images; None for anything else, which the resource
    policy then refuses."""
    static_url = settings.STATIC_URL
    if not uri.startswith(static_url):
        return None
    name = uri[len(static_url):].split("?")[0].split("#")[0]
    if not name.startswith(STATIC_FOLDERS) or ".." in name.split("/"):
        return None
    return finders.find(name)


def resource_policy() -> ResourceAccessPolicy:
    """No network; local reads only inside our static fonts/ and img/ folders."""
    roots = []
    for folder in STATIC_FOLDERS:
        roots += finders.find(folder.rstrip("/"), find_all=True)
    return ResourceAccessPolicy.server(
        base_dir=None, extra_roots=tuple(Path(root) for root in roots), allow_remote=False
    )


def font_css() -> str:
    font_url = settings.STATIC_URL + FONT_FILE
    return (
        f'@font-face {{ font-family: "{CHINESE_FONT_FAMILY}"; src: url("{font_url}"); }}\n'
        # Chinese has no spaces to break lines at: a run too long for its line is split where it must be,
        # and words with spaces around them stay whole.
        f"html, body {{ font-family: {PDF_FONT_FAMILIES}; overflow-wrap: anywhere; }}\n"
    )


def html_to_pdf(html: str) -> bytes:
    buffer = io.BytesIO()
    result = pisa.CreatePDF(
        html,
        dest=buffer,
        encoding="utf-8",
        link_callback=static_link_callback,
        resource_policy=resource_policy(),
        default_css=DEFAULT_CSS + font_css(),
    )
    if result.err:
        raise PDFRenderError(f"xhtml2pdf reported {result.err} error(s)")
    return buffer.getvalue()


def render_pdf(template_name: str, context: dict, request=None) -> bytes:
    return html_to_pdf(render_to_string(template_name, context, request=request))
