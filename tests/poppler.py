"""Poppler's command-line tools (Debian's poppler-utils), to check PDFs as a reader sees them."""
import shutil
import subprocess

import pytest

POPPLER = {tool: shutil.which(tool) for tool in ("pdftotext", "pdffonts", "pdfinfo", "pdfimages", "pdftoppm")}


def poppler(tool: str, pdf: bytes, *arguments: str, tmp_path) -> str:
    if not POPPLER[tool]:
        pytest.skip(f"!!! {tool} (Debian's poppler-utils) is not installed: the PDF is not checked with it !!!")
    path = tmp_path / "document.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        [POPPLER[tool], *arguments, str(path), *(["-"] if tool == "pdftotext" else [])],
        capture_output=True, text=True, check=True,
    ).stdout


def pdf_fonts(pdf: bytes, *, tmp_path) -> dict[str, str]:
    """Each font of the PDF (pdffonts' name) and its "emb" column: "yes" when the font is inside the file."""
    rows = poppler("pdffonts", pdf, tmp_path=tmp_path).splitlines()[2:]
    # The columns after the name (type may be two words): ... emb sub uni object ID.
    return {row.split()[0]: row.split()[-5] for row in rows}
