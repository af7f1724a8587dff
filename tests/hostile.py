"""Hostile uploads, made in the tests: small files that unpack, inflate or decode to far more than they hold."""
import functools
import io
import struct
import zipfile
import zlib

from openpyxl import Workbook
from PIL import Image

SHEET = "xl/worksheets/sheet1.xml"


def _xlsx_with_sheet(sheet_xml_chunks, *, shared_strings_chunks=None) -> bytes:
    """An xlsx written by openpyxl, its first sheet (and shared strings, if given) replaced by the chunks,
    which are compressed as they come so that hundreds of megabytes never sit in memory."""
    template = io.BytesIO()
    workbook = Workbook()
    workbook.active["A1"] = "x"
    workbook.save(template)
    output = io.BytesIO()
    with zipfile.ZipFile(template) as source, zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target:
        for member in source.infolist():
            if member.filename == SHEET:
                with target.open(SHEET, "w", force_zip64=True) as handle:
                    for chunk in sheet_xml_chunks:
                        handle.write(chunk)
            else:
                target.writestr(member, source.read(member.filename))
    return output.getvalue()


@functools.lru_cache(maxsize=1)  # seconds to make: made once per test run
def xlsx_with_a_huge_cell(megabytes: int = 300) -> bytes:
    """A workbook of a few hundred KB whose one cell holds ``megabytes`` MB of text (a zip bomb)."""
    block = b"A" * (1024 * 1024)

    def chunks():
        yield (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
               b'spreadsheetml/2006/main"><dimension ref="A1:A2"/><sheetData><row r="1"><c r="A1" t="inlineStr">'
               b'<is><t>name</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>')
        for _ in range(megabytes):
            yield block
        yield b"</t></is></c></row></sheetData></worksheet>"

    return _xlsx_with_sheet(chunks())


def xlsx_with_rows(count: int, *, header: list[str], cell: str = "1", declared: str | None = None) -> bytes:
    """A workbook of ``header`` and ``count`` rows of one cell each; ``declared`` is the dimension the sheet
    claims (by default the true one)."""
    last_column = chr(ord("A") + len(header) - 1)
    declared = declared or f"A1:{last_column}{count + 1}"

    def chunks():
        yield (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
               b'spreadsheetml/2006/main"><dimension ref="' + declared.encode() + b'"/><sheetData><row r="1">')
        yield b"".join(
            f'<c r="{chr(ord("A") + index)}1" t="inlineStr"><is><t>{text}</t></is></c>'.encode()
            for index, text in enumerate(header)
        )
        yield b"</row>"
        batch = []
        for number in range(2, count + 2):
            batch.append(f'<row r="{number}"><c r="A{number}" t="inlineStr"><is><t>{cell}</t></is></c></row>')
            if len(batch) == 10_000:
                yield "".join(batch).encode()
                batch = []
        yield "".join(batch).encode()
        yield b"</sheetData></worksheet>"

    return _xlsx_with_sheet(chunks())


def pdf_with_a_huge_stream(megabytes: int = 60) -> bytes:
    """A one-page PDF of a few hundred KB whose content stream inflates to ``megabytes`` MB of drawing
    operators, with a certificate-looking number in its text."""
    compressor = zlib.compressobj(9)
    text = b"BT /F1 12 Tf 72 720 Td (S000133000001264000001) Tj ET\n"
    filler = b"0 0 m 1 1 l S\n" * (1024 * 1024 // 14)
    content = compressor.compress(text)
    for _ in range(megabytes):
        content += compressor.compress(filler)
    content += compressor.flush()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(content)).encode() + b" /Filter /FlateDecode >>\nstream\n" + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    output = io.BytesIO()
    output.write(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(output.tell())
        output.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = output.tell()
    output.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        output.write(f"{offset:010d} 00000 n \n".encode())
    output.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return output.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_declaring(width: int, height: int) -> bytes:
    """A PNG whose header declares ``width`` × ``height`` pixels, with a few rows of pixels."""
    rows = zlib.compress(bytes(4 * 1024 * 1024))
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + _png_chunk(b"IDAT", rows)
        + _png_chunk(b"IEND", b"")
    )


def jpeg_declaring(width: int, height: int) -> bytes:
    """A small JPEG whose frame header is rewritten to declare ``width`` × ``height`` pixels."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 60)).save(buffer, format="JPEG")
    data = bytearray(buffer.getvalue())
    frame = data.index(b"\xff\xc0")  # baseline frame header: length, precision, height, width
    data[frame + 5:frame + 9] = struct.pack(">HH", height, width)
    return bytes(data)
