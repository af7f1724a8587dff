import datetime
import io
import sys

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse
from pypdf import PdfReader
from reportlab.lib import rl_accel
from reportlab.pdfbase.pdfmetrics import stringWidth
from xhtml2pdf.config.resources import ResourceAccessError

from academy.pdf import FONT_FILE, html_to_pdf, resource_policy, static_link_callback
from courses.models import TrainingRecord, TrainingSource
from tests.poppler import pdf_fonts

TRANSCRIPT_PDF = reverse("courses:transcript_pdf")


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def embedded_font_names(pdf: bytes) -> set[str]:
    """The fonts whose TrueType program is inside the file (a /FontFile2 in their descriptor)."""
    names = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            for face in [d.get_object() for d in descendants] if descendants else [font]:
                descriptor = face.get("/FontDescriptor")
                if descriptor is not None and "/FontFile2" in descriptor.get_object():
                    names.add(str(face["/BaseFont"]))
    return names


@pytest.fixture
def director_with_record(client, director, course):
    TrainingRecord.objects.create(
        person=director.person, year=2025, source=TrainingSource.ONLINE, course=course, title=course.title,
        completed_on=datetime.date(2025, 5, 20), credit_hours=4, score=86,
    )
    client.force_login(director)
    return director


@pytest.mark.django_db
def test_the_transcript_pdf_carries_the_name_and_course_in_chinese(client, director_with_record):
    response = client.get(TRANSCRIPT_PDF)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = b"".join(response.streaming_content) if response.streaming else response.content
    text = pdf_text(pdf)
    assert "李春燕" in text and "儿童主任履职基础" in text
    assert director_with_record.person.id_number_masked in text
    assert director_with_record.person.id_number not in text
    assert any("DroidSansFallback" in name for name in embedded_font_names(pdf))


@pytest.mark.django_db
def test_every_font_of_the_transcript_pdf_is_inside_it(client, director_with_record, tmp_path):
    # Latin digits (hours, dates, the ID number) used to be Helvetica, which WeChat's and many phones' readers
    # do not have.
    fonts = pdf_fonts(client.get(TRANSCRIPT_PDF).content, tmp_path=tmp_path)
    assert any("LiberationSans" in name for name in fonts) and any("DroidSansFallback" in name for name in fonts)
    assert set(fonts.values()) == {"yes"}, fonts


def test_bold_italic_and_a_chart_measured_in_helvetica_are_embedded_too(tmp_path):
    # A chart measures its labels in Helvetica before the report is drawn: that name must still embed.
    stringWidth("2026", "Helvetica", 9)
    pdf = html_to_pdf("<h1>2026 年</h1><p>共 <b>12.5</b> 学时 <i>note</i> <b><i>both</i></b></p>")
    fonts = pdf_fonts(pdf, tmp_path=tmp_path)
    # pdffonts names a subset "ABCDEF+Face".
    faces = {name.split("+")[-1] for name in fonts}
    assert {"LiberationSans", "LiberationSans-Bold", "LiberationSans-Italic", "LiberationSans-BoldItalic"} <= faces
    assert set(fonts.values()) == {"yes"}, fonts


def pdf_language(pdf: bytes) -> str:
    return str(PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/Lang"])


@pytest.mark.django_db
def test_the_transcript_pdf_follows_the_readers_language(client, director_with_record):
    assert pdf_language(client.get(TRANSCRIPT_PDF).content) == "zh-CN"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    pdf = client.get(TRANSCRIPT_PDF).content
    assert pdf_language(pdf) == "en"
    text = pdf_text(pdf)
    assert "Training transcript" in text and "李春燕" in text and "儿童主任履职基础" in text


@pytest.mark.django_db
def test_the_transcript_pdf_of_one_year_leaves_other_years_out(client, director_with_record):
    TrainingRecord.objects.create(
        person=director_with_record.person, year=2024, source=TrainingSource.FACE_TO_FACE, title="去年的培训班",
        completed_on=datetime.date(2024, 9, 1), credit_hours=3,
    )
    assert "去年的培训班" in pdf_text(client.get(TRANSCRIPT_PDF).content)
    assert "去年的培训班" not in pdf_text(client.get(TRANSCRIPT_PDF, {"year": 2025}).content)


def test_only_our_static_fonts_resolve_to_files():
    font = static_link_callback("/static/fonts/DroidSansFallbackFull.ttf")
    assert font and font.endswith("site/static/fonts/DroidSansFallbackFull.ttf")
    for address in [
        "/etc/passwd", "file:///etc/passwd", "/static/../settings/base.py", "/static/fonts/../css/site.css",
        "/static/css/site.css", "http://169.254.169.254/latest/meta-data/", "https://example.com/font.ttf",
    ]:
        assert static_link_callback(address) is None, address


def test_the_policy_refuses_the_network_and_files_outside_our_folders():
    policy = resource_policy()
    with pytest.raises(ResourceAccessError):
        policy.check_path("/etc/passwd")
    with pytest.raises(ResourceAccessError):
        policy.check_url("https://example.com/logo.png")
    policy.check_path(static_link_callback("/static/fonts/DroidSansFallbackFull.ttf"))


def test_a_document_naming_a_server_file_still_renders_without_it(caplog):
    pdf = html_to_pdf('<p>证书</p><img src="/etc/passwd"><img src="file:///etc/hostname">')
    assert "证书" in pdf_text(pdf)
    assert "Blocked by the resource policy" in caplog.text


def test_the_chinese_font_file_is_read_once_a_process_not_once_a_document():
    # Every document used to declare the font by @font-face, and xhtml2pdf read and hashed its 4 MB again each
    # time, a tenth of a certificate's drawing.
    html_to_pdf("<p>证书</p>")  # registered here if no test did before
    font_file = finders.find(FONT_FILE)
    opened = []
    recording = [True]
    sys.addaudithook(lambda event, args: opened.append(args[0]) if recording[0] and event == "open" else None)
    try:
        pdf = html_to_pdf("<p>职业技能等级证书 S000133000001264000001</p>")
    finally:
        recording[0] = False
    assert font_file not in [str(name) for name in opened]
    assert "职业技能等级证书 S000133000001264000001" in pdf_text(pdf)
    assert any(name.endswith("+DroidSansFallback") for name in embedded_font_names(pdf))


def test_reportlab_writes_pdfs_with_its_c_accelerator():
    """ReportLab's number formatting, ASCII85 and font checksums run in C (rl_accel, ReportLab's own package,
    installed by reportlab[accel]), not in its pure-Python stand-ins: a tenth of a certificate's time."""
    assert not rl_accel._py_funcs, f"pure Python: {sorted(rl_accel._py_funcs)}"
