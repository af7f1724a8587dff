"""Issue 13 §4 in Chromium on a phone (390×844) inside WeChat, whose browser can neither show nor save a PDF:
the transcript page shows the transcript as one long image naming her, to long-press and save, and says why."""
import datetime
import io

import pytest
from PIL import Image, ImageStat
from pypdf import PdfReader

from academy.organisation.models import PostKind, Region
from academy.organisation.services import village_create
from courses.models import TrainingRecord, TrainingSource

from .conftest import PHONE
from .helpers import console_problems, roster_trainee, sign_in

WHY = "微信无法打开或保存 PDF 文件"


@pytest.fixture
def director_with_training(zhejiang_regions):
    village = village_create(township=Region.objects.get(code="330106002"), code="330106002201", name="宝石山村")
    user = roster_trainee(name="李春燕", mobile="13957100001", kind=PostKind.CHILD_DIRECTOR, region=village)
    for day, (title, hours) in enumerate([("儿童主任履职基础", 4), ("强制报告制度", 2.5)], start=1):
        TrainingRecord.objects.create(
            person=user.person, year=2026, source=TrainingSource.ONLINE, title=title,
            completed_on=datetime.date(2026, 5, day), credit_hours=hours, score=90,
        )
    return user


def test_in_wechat_the_transcript_is_an_image_naming_her(
    wechat_phone, live_server, director_with_training, screenshot, artifacts,
):
    page = wechat_phone
    page.set_default_timeout(30000)  # the image is drawn on the request
    problems = console_problems(page)
    sign_in(page, live_server.url, "13957100001")
    page.goto(f"{live_server.url}/learn/transcript/")

    # The page says why there is no PDF here, and offers no PDF link that would lead nowhere.
    assert WHY in page.locator(".document-image .notice").inner_text()
    assert page.locator(".transcript-document a[download]").count() == 0

    # The image is drawn, fills the phone's width, is taller than wide, and names her.
    image = page.locator(".document-image img")
    image.scroll_into_view_if_needed()
    page.wait_for_function("image => image.complete && image.naturalWidth > 0", arg=image.element_handle())
    assert "李春燕" in image.get_attribute("alt")
    natural = image.evaluate("image => [image.naturalWidth, image.naturalHeight]")
    assert natural[0] == 1080 and natural[1] > natural[0]
    box = image.bounding_box()
    assert box["width"] >= PHONE["width"] - 80
    screenshot(page, "documents-transcript-image-wechat-phone")

    # The very image the page shows, fetched with her session: a PNG with dark text on white, not blank.
    response = page.request.get(live_server.url + image.get_attribute("src"))
    assert response.status == 200 and response.headers["content-type"] == "image/png"
    png = Image.open(io.BytesIO(response.body()))
    (artifacts / "documents-transcript.png").write_bytes(response.body())
    grey = png.convert("L")
    darkest, lightest = grey.getextrema()
    assert darkest < 60 and lightest == 255 and 200 < ImageStat.Stat(grey).mean[0] < 254

    # It is drawn from the transcript PDF, which names her and carries her hours.
    pdf = page.request.get(f"{live_server.url}/learn/transcript.pdf")
    assert pdf.headers["content-disposition"].startswith("attachment;")
    text = "".join(pdf_page.extract_text() for pdf_page in PdfReader(io.BytesIO(pdf.body())).pages)
    assert "李春燕" in text and "6.5" in text
    assert problems == []
