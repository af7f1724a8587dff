"""HTML to PDF with xhtml2pdf, shared by transcripts, certificates and reports; a PDF as one long image.

Every font a PDF uses is inside it, so that any reader (WeChat's, a cheap phone's, a print shop's) draws the
same letters. Chinese is drawn in Droid Sans Fallback (site/static/fonts), registered with ReportLab once a process
(chinese_font_register).
That font has no Latin letters or digits, and ReportLab and xhtml2pdf name Helvetica in many places of their
own (the start of every page, blank runs, anchors, images, SVG charts), so the four Helvetica names are
registered here as Liberation Sans (same widths as Helvetica, SIL Open Font License), a TrueType font
ReportLab embeds like the Chinese one. ReportLab keeps only the characters a document uses. Templates style
the layout and leave font-family alone (or name PDF_FONT_FAMILIES); list markers would be drawn in Symbol,
which nothing registers, so PDF templates use no lists.

xhtml2pdf fetches whatever the HTML names (images, fonts, stylesheets), and a name can reach a template from
user input. So what a render may read is decided here, twice: ``static_link_callback`` turns only our own
static fonts/ and img/ addresses into files on disk, and the resource policy refuses the network and every
file outside those folders, whatever the callback answered.
"""
import io
import threading
from pathlib import Path

import pypdfium2

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from PIL import Image
from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from xhtml2pdf import pisa
from xhtml2pdf.config.resources import ResourceAccessPolicy
from xhtml2pdf.default import DEFAULT_CSS, DEFAULT_FONT

FONT_FILE = "fonts/DroidSansFallbackFull.ttf"
CHINESE_FONT_FAMILY = "Droid Sans Fallback"
# The name ReportLab knows it by.
CHINESE_FONT_NAME = "DroidSansFallback"
# Per character, the first family holding a glyph draws it: Latin letters, digits and punctuation in Helvetica
# (Liberation Sans, below), Chinese in the embedded font. Helvetica comes first because text xhtml2pdf places
# itself (page numbers) takes the first family only, and the Chinese font has no digits.
PDF_FONT_FAMILIES = f'Helvetica, "{CHINESE_FONT_FAMILY}"'
# ReportLab's Helvetica names, the file that draws each, and its (bold, italic).
HELVETICA_FILES = {
    "Helvetica": ("LiberationSans-Regular.ttf", 0, 0),
    "Helvetica-Bold": ("LiberationSans-Bold.ttf", 1, 0),
    "Helvetica-Oblique": ("LiberationSans-Italic.ttf", 0, 1),
    "Helvetica-BoldOblique": ("LiberationSans-BoldItalic.ttf", 1, 1),
}
FONTS_FOLDER = Path(__file__).resolve().parent / "static" / "fonts"

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


def helvetica_embed() -> None:
    """Make ReportLab's Helvetica names draw Liberation Sans, embedded. Once a process: ReportLab's font
    registry is the process's."""
    if isinstance(pdfmetrics._fonts.get("Helvetica"), TTFont):
        return
    for name, (file_name, bold, italic) in HELVETICA_FILES.items():
        # ReportLab makes up a built-in Helvetica at its first mention (a width measured for a chart, say) and
        # never lets a TrueType font replace a registered name: its registry has no public way to forget one.
        pdfmetrics._fonts.pop(name, None)
        pdfmetrics.registerFont(TTFont(name, FONTS_FOLDER / file_name))
        # A TrueType font registered alone is its own family: say again which face is bold, italic or both.
        addMapping("Helvetica", bold, italic, name)


_font_lock = threading.Lock()


def chinese_font_register() -> None:
    """Register the Chinese font with ReportLab once a process, and name its family in xhtml2pdf's table of
    known fonts (which every document copies). An @font-face rule instead had xhtml2pdf read and hash the
    4 MB file again for every document, a tenth of a certificate's time."""
    with _font_lock:
        if CHINESE_FONT_NAME in pdfmetrics.getRegisteredFontNames():
            return
        pdfmetrics.registerFont(TTFont(CHINESE_FONT_NAME, finders.find(FONT_FILE)))
        # One face: bold and italic text draw with it too (as @font-face set it up).
        for bold in (0, 1):
            for italic in (0, 1):
                addMapping(CHINESE_FONT_NAME, bold, italic, CHINESE_FONT_NAME)
        DEFAULT_FONT[CHINESE_FONT_FAMILY.lower()] = CHINESE_FONT_NAME


def font_css() -> str:
    return (
        # Chinese has no spaces to break lines at: a run too long for its line is split where it must be,
        # and words with spaces around them stay whole.
        f"html, body {{ font-family: {PDF_FONT_FAMILIES}; overflow-wrap: anywhere; }}\n"
    )


def html_to_pdf(html: str) -> bytes:
    helvetica_embed()
    chinese_font_register()
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


# A long image is this many pixels wide: sharp on a phone's screen (about 1080 device pixels across) and when
# zoomed into a line of small print, and its pages are separated by a grey band this tall.
IMAGE_WIDTH = 1080
IMAGE_PAGE_GAP = 16
IMAGE_GAP_COLOUR = (200, 205, 212)


def pdf_to_png(pdf: bytes, *, width: int = IMAGE_WIDTH) -> bytes:
    """The PDF's pages drawn one under the other as one PNG ``width`` pixels wide: what WeChat, which cannot
    show or save a PDF, lets its user long-press and save. Drawn by PDFium from the very PDF, so the image says
    what the file says."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        pages = [
            page.render(scale=width / page.get_width()).to_pil().convert("RGB") for page in document
        ]
    finally:
        document.close()
    height = sum(page.height for page in pages) + IMAGE_PAGE_GAP * (len(pages) - 1)
    image = Image.new("RGB", (width, height), IMAGE_GAP_COLOUR)
    top = 0
    for page in pages:
        image.paste(page, (0, top))
        top += page.height + IMAGE_PAGE_GAP
    buffer = io.BytesIO()
    # zlib's default level: "optimize" takes three times as long for 2% fewer bytes.
    image.save(buffer, format="PNG")
    return buffer.getvalue()
