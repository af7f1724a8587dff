"""Issue 12 in Chromium: a content editor sees in the CMS that a video's transcoding failed and why, in Chinese,
runs it again from the video's page, and reads that it was started again; the job then makes the renditions."""
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile

from academy.jobs import JOB_INTERRUPTED
from courses.models import Video, VideoTranscodeJob
from tests.factories import user_with_role

from .helpers import console_problems, sign_in

SHORT = Path(__file__).resolve().parents[1] / "data" / "short.mp4"
PASSWORD = "a-long-secret-phrase"
MOBILE = "13600000019"


@pytest.fixture
def failed_video(site_home):
    video = Video.objects.create(
        title="家访示范", file=ContentFile(SHORT.read_bytes(), name="visit.mp4"), duration_seconds=4
    )
    VideoTranscodeJob.objects.create(
        video=video, status=VideoTranscodeJob.Status.FAILED, failure_message=JOB_INTERRUPTED
    )
    return video


@pytest.fixture
def video_editor(site_home):
    user = user_with_role("editor")
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="courses", content_type__model="video")
    )
    user.phone = MOBILE
    user.set_password(PASSWORD)
    user.save()
    return user


def test_an_editor_sees_the_failure_and_transcodes_again(
    live_server, failed_video, video_editor, desktop_page, screenshot
):
    base, page = live_server.url, desktop_page
    problems = console_problems(page)
    sign_in(page, base, MOBILE, PASSWORD)

    page.goto(f"{base}/cms/snippets/courses/video/")
    assert "转码失败" in page.locator("table.listing").inner_text()
    assert "后台任务中断" in page.locator("table.listing").inner_text()
    screenshot(page, "cms-videos-transcoding-failed")

    page.goto(f"{base}/cms/snippets/courses/video/edit/{failed_video.pk}/")
    page.locator(".transcoding").scroll_into_view_if_needed()
    screenshot(page, "cms-video-edit-transcoding-panel")
    with page.expect_navigation():
        page.locator(".transcoding a", has_text="重新转码").click()
    screenshot(page, "cms-video-transcoding-failed")
    with page.expect_navigation():  # the job runs in process (no broker), ffmpeg included
        page.locator("form button[type=submit]", has_text="重新转码").click()
    assert "重新开始转码" in page.locator(".messages").inner_text()
    assert "转码完成" in page.locator(".transcoding").inner_text()
    assert page.locator(".transcoding-renditions li").count() == 2
    screenshot(page, "cms-video-transcoding-done")
    assert VideoTranscodeJob.objects.get().status == VideoTranscodeJob.Status.DONE
    assert problems == []
