"""Transcripts as documents (courses/transcripts.py and the learner's and public views): issuing with a number
and QR code, the PDF as a reader sees it, the long image for WeChat, how each is handed over, and the public page
the QR code leads to."""
import datetime
import io
from decimal import Decimal
from unittest import mock

import pytest
from django.urls import reverse
from PIL import Image, ImageStat

from courses.models import IssuedTranscript, TrainingRecord, TrainingSource
from courses.transcripts import (
    transcript_document, transcript_issue, transcript_png, transcript_verification_url,
)
from tests.poppler import poppler
from tests.user_agents import CHROME_ANDROID, WECHAT_ANDROID

pytestmark = pytest.mark.django_db

TRANSCRIPT = reverse("courses:transcript")
TRANSCRIPT_PDF = reverse("courses:transcript_pdf")
TRANSCRIPT_IMAGE = reverse("courses:transcript_image")


def record(person, title, *, year=2025, hours=4):
    return TrainingRecord.objects.create(
        person=person, year=year, source=TrainingSource.ONLINE, title=title, completed_on=datetime.date(year, 5, 20),
        credit_hours=hours, score=86,
    )


@pytest.fixture
def trainee(client, director):
    record(director.person, "儿童主任履职基础", hours=4)
    record(director.person, "强制报告制度", hours=2.5)
    client.force_login(director)
    return director


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


# --- Issuing -------------------------------------------------------------------------------------------


def test_the_same_totals_are_one_issue_and_a_changed_total_a_new_one(trainee):
    person = trainee.person
    first = transcript_issue(person=person, year=2025)
    assert first.number.startswith("XS") and len(first.number) == 14 and len(first.token) >= 32
    assert first.holder_name == "李春燕" and first.credit_hours == Decimal("6.5") and first.completions == 2
    assert transcript_issue(person=person, year=2025).pk == first.pk
    assert transcript_issue(person=person, year=None).pk != first.pk  # every year is a transcript of its own
    record(person, "心理健康", hours=3)
    later = transcript_issue(person=person, year=2025)
    assert later.pk != first.pk and later.credit_hours == Decimal("9.5") and later.number != first.number
    # The first still verifies what it said.
    first.refresh_from_db()
    assert first.credit_hours == Decimal("6.5")


# --- The PDF and the image -----------------------------------------------------------------------------


def test_the_pdf_shows_the_name_hours_number_and_where_to_verify(trainee, tmp_path, settings):
    document = transcript_document(person=trainee.person, year=2025)
    text = poppler("pdftotext", document.pdf, tmp_path=tmp_path)
    for printed in ("李春燕", "儿童主任履职基础", "6.5", document.issued.number, "/learn/transcripts/verify/"):
        assert printed in text, printed
    assert transcript_verification_url(document.issued).startswith(settings.WAGTAILADMIN_BASE_URL.rstrip("/"))


def test_the_image_is_the_pdf_as_one_tall_png(trainee, tmp_path):
    document = transcript_document(person=trainee.person, year=None)
    image = Image.open(io.BytesIO(transcript_png(document)))
    assert image.format == "PNG" and image.width == 1080 and image.height > image.width
    # Something is drawn: dark text on the white page, not a blank sheet.
    grey = image.convert("L")
    assert grey.getextrema()[0] < 60 and ImageStat.Stat(grey).mean[0] > 200
    pages = int(poppler("pdfinfo", document.pdf, tmp_path=tmp_path).split("Pages:")[1].split()[0])
    assert image.height >= pages * 1500


def test_a_long_transcript_stacks_its_pages(trainee, tmp_path):
    for index in range(60):
        record(trainee.person, f"专题培训第{index + 1}讲", year=2024, hours=1)
    document = transcript_document(person=trainee.person, year=None)
    pages = int(poppler("pdfinfo", document.pdf, tmp_path=tmp_path).split("Pages:")[1].split()[0])
    image = Image.open(io.BytesIO(transcript_png(document)))
    assert pages >= 2 and image.height > pages * 1500


# --- How they are handed over --------------------------------------------------------------------------


def test_the_pdf_downloads_as_an_attachment_named_in_the_readers_language(client, trainee):
    response = client.get(TRANSCRIPT_PDF, {"year": 2025})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        "attachment; filename=\"transcript-2025.pdf\"; filename*=UTF-8''%E5%AD%A6%E6%97%B6%E8%AF%81%E6%98%8E-2025.pdf"
    )
    assert body(response).startswith(b"%PDF-")


def test_the_image_is_shown_inline_as_a_png(client, trainee):
    response = client.get(TRANSCRIPT_IMAGE, {"year": 2025})
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith('inline; filename="transcript-2025.png"')
    assert Image.open(io.BytesIO(body(response))).format == "PNG"
    # The PDF and the image of the same transcript are one issue.
    client.get(TRANSCRIPT_PDF, {"year": 2025})
    assert IssuedTranscript.objects.filter(year=2025).count() == 1


def test_visitors_get_no_image(client):
    response = client.get(TRANSCRIPT_IMAGE)
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_in_a_browser_the_page_offers_the_pdf_and_the_image(client, trainee):
    page = client.get(TRANSCRIPT, {"year": 2025}, HTTP_USER_AGENT=CHROME_ANDROID).content.decode()
    assert f'href="{TRANSCRIPT_PDF}?year=2025" download' in page and f'href="{TRANSCRIPT_IMAGE}?year=2025"' in page
    assert "<img" not in page.split('class="card transcript-document"')[1].split("</section>")[0]


def test_in_wechat_the_page_shows_the_image_and_says_why(client, trainee):
    page = client.get(TRANSCRIPT, {"year": 2025}, HTTP_USER_AGENT=WECHAT_ANDROID).content.decode()
    assert f'<img src="{TRANSCRIPT_IMAGE}?year=2025" alt="李春燕的学时证明">' in page
    assert "微信无法打开或保存 PDF 文件" in page and "长按" in page
    assert f'href="{TRANSCRIPT_PDF}?year=2025" download' not in page


# --- The public page -----------------------------------------------------------------------------------


def test_the_qr_codes_page_says_valid_with_the_name_masked_and_the_hours(client, trainee):
    issued = transcript_issue(person=trainee.person, year=2025)
    client.logout()
    response = client.get(issued.get_absolute_url())
    page = response.content.decode()
    assert response.status_code == 200 and "有效" in page
    assert "李*燕" in page and "李春燕" not in page and trainee.person.id_number_masked not in page
    assert issued.number in page and "6.5" in page and "2025" in page


def test_an_unknown_link_is_not_found_and_says_so(client):
    response = client.get(reverse("courses:transcript_verify", args=["not-a-token-we-issued"]))
    assert response.status_code == 404
    assert "没有签发过" in response.content.decode()


def test_the_public_page_is_rate_limited(client, trainee):
    issued = transcript_issue(person=trainee.person, year=2025)
    with mock.patch("django_ratelimit.core.time.time", return_value=1_800_000_000.0):
        for _ in range(30):
            assert client.get(issued.get_absolute_url()).status_code == 200
        assert client.get(issued.get_absolute_url()).status_code == 429
