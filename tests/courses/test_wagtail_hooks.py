"""An editor uploading a lesson video in the CMS starts its transcoding job; saving it again without a new file
starts none. Where editors see a video (the listing, its edit view), they see its transcoding, and may run a
failed job again."""
import datetime
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from academy.jobs import JOB_INTERRUPTED
from academy.transcoding import FFMPEG_MISSING
from courses.models import Video, VideoTranscodeJob
from tests.factories import UserFactory, user_with_role

SHORT = Path(__file__).resolve().parents[1] / "data" / "short.mp4"


def test_an_uploaded_video_gets_its_renditions_and_an_edit_without_a_new_file_starts_nothing(
    client, db, django_capture_on_commit_callbacks
):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    upload = SimpleUploadedFile("visit.mp4", SHORT.read_bytes(), content_type="video/mp4")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("wagtailsnippets_courses_video:add"), {"title": "家访示范", "file": upload})
    assert response.status_code == 302, response.content.decode()[:2000]
    video = Video.objects.get()
    job = VideoTranscodeJob.objects.get()
    assert job.video == video and job.status == VideoTranscodeJob.Status.DONE
    assert set(video.renditions.values_list("quality", flat=True)) == {"low", "standard"}

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("wagtailsnippets_courses_video:edit", args=[video.pk]), {"title": "入户走访示范"})
    assert response.status_code == 302
    assert VideoTranscodeJob.objects.count() == 1


# --- A video's transcoding, where editors see the video ----------------------------------------------------


@pytest.fixture
def video(db):
    return Video.objects.create(
        title="家访示范", file=ContentFile(SHORT.read_bytes(), name="visit.mp4"), duration_seconds=4
    )


@pytest.fixture
def video_editor(db):
    """An editor of the CMS who may edit videos (the demo's Editors group)."""
    user = user_with_role("editor")
    user.user_permissions.add(Permission.objects.get(content_type__app_label="courses", codename="change_video"))
    return user


def failed_job(video, message=JOB_INTERRUPTED):
    return VideoTranscodeJob.objects.create(
        video=video, status=VideoTranscodeJob.Status.FAILED, failure_message=message, finished_at=timezone.now()
    )


def transcoding_url(video):
    return reverse("wagtailsnippets_courses_video:transcoding", args=[video.pk])


def test_a_failed_job_shows_its_message_in_chinese_and_the_retry_to_an_editor(client, video, video_editor):
    failed_job(video)
    client.force_login(video_editor)

    listing = client.get(reverse("wagtailsnippets_courses_video:list")).content.decode()
    assert "转码失败" in listing and gettext_in_chinese(JOB_INTERRUPTED) in listing
    assert transcoding_url(video) in listing and "重新转码" in listing

    edit = client.get(reverse("wagtailsnippets_courses_video:edit", args=[video.pk])).content.decode()
    assert gettext_in_chinese(JOB_INTERRUPTED) in edit and transcoding_url(video) in edit

    page = BeautifulSoup(client.get(transcoding_url(video)).content.decode(), "lxml")
    assert gettext_in_chinese(JOB_INTERRUPTED) in page.get_text()
    form = page.find("form", action=transcoding_url(video))
    assert form["method"].lower() == "post" and form.find("input", attrs={"name": "csrfmiddlewaretoken"})
    assert form.find("button", type="submit").get_text(strip=True) == "重新转码"


def test_ffmpeg_missing_is_said_in_chinese(client, video, video_editor):
    failed_job(video, message=f"FfmpegMissing: {FFMPEG_MISSING}")
    client.force_login(video_editor)
    page = client.get(transcoding_url(video)).content.decode()
    assert "apt-get install ffmpeg" in page and "本机没有安装" in page


def test_the_retry_runs_the_same_job_again_and_says_so(client, video, video_editor, django_capture_on_commit_callbacks):
    job = failed_job(video)
    client.force_login(video_editor)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(transcoding_url(video))
    assert callbacks, "the job was not announced to the queue"
    assert VideoTranscodeJob.objects.get() == job  # no second job
    job.refresh_from_db()
    assert job.status == VideoTranscodeJob.Status.DONE and job.failure_message == ""  # in tests the task runs eagerly
    assert set(video.renditions.values_list("quality", flat=True)) == {"low", "standard"}
    assert response.url == transcoding_url(video)
    response = client.get(response.url)
    assert [shown(message) for message in response.context["messages"]] == ["“家访示范”重新开始转码：只制作还缺少的文件。"]
    page = response.content.decode()
    assert "转码完成" in page and "流畅" in page and "标清" in page and "重新转码" not in page

    with django_capture_on_commit_callbacks(execute=True) as callbacks:  # a second click
        response = client.post(transcoding_url(video), follow=True)
    assert callbacks == [] and VideoTranscodeJob.objects.count() == 1
    assert [shown(message) for message in response.context["messages"]] == [
        "只有失败或中断的转码可以重新开始，这次转码不是（也许已经重新开始了）。"
    ]


def test_a_job_whose_worker_was_lost_is_offered_for_retry_and_retried(
    client, video, video_editor, settings, django_capture_on_commit_callbacks
):
    long_ago = timezone.now() - datetime.timedelta(seconds=settings.JOBS_STALE_AFTER_SECONDS + 60)
    job = VideoTranscodeJob.objects.create(video=video, status=VideoTranscodeJob.Status.RUNNING, started_at=long_ago,
                                           last_alive_at=long_ago)
    running = VideoTranscodeJob.objects.create(video=Video.objects.create(title="新视频", file="videos/b.mp4"),
                                               status=VideoTranscodeJob.Status.RUNNING, started_at=timezone.now())
    client.force_login(video_editor)
    listing = client.get(reverse("wagtailsnippets_courses_video:list")).content.decode()
    assert listing.count("重新转码") == 1  # the lost one's, not the one running
    page = client.get(transcoding_url(video)).content.decode()
    assert "转码中断" in page and "重新转码" in page
    assert "重新转码" not in client.get(transcoding_url(running.video)).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(transcoding_url(video))
    job.refresh_from_db()
    assert job.status == VideoTranscodeJob.Status.DONE and VideoTranscodeJob.objects.filter(video=video).count() == 1


def test_someone_who_may_not_edit_videos_cannot_retry(client, video, django_capture_on_commit_callbacks):
    job = failed_job(video)
    client.force_login(user_with_role("editor"))  # in the CMS, without the videos

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(transcoding_url(video), follow=True)
    # Wagtail's refusal: back to the CMS's home page, saying so.
    assert response.redirect_chain == [(reverse("wagtailadmin_home"), 302)] and callbacks == []
    assert ["没有权限" in shown(message) for message in response.context["messages"]] == [True]
    job.refresh_from_db()
    assert job.status == VideoTranscodeJob.Status.FAILED
    assert "重新转码" not in client.get(reverse("wagtailsnippets_courses_video:list")).content.decode()


def test_an_editor_who_may_only_see_videos_sees_the_state_without_the_retry(client, video):
    failed_job(video)
    user = user_with_role("editor")
    user.user_permissions.add(Permission.objects.get(content_type__app_label="courses", codename="view_video"))
    client.force_login(user)
    listing = client.get(reverse("wagtailsnippets_courses_video:list")).content.decode()
    assert "转码失败" in listing and "重新转码" not in listing


def gettext_in_chinese(message):
    with translation.override("zh-hans"):
        return translation.gettext(message)


def shown(message):
    return str(message).strip()


def test_the_listing_reads_the_transcoding_of_all_its_videos_at_once(client, video, video_editor):
    """The column and the row's "重新转码" read each video's latest job and renditions: from one prefetch for the
    page, not a query per row and per use."""
    client.force_login(video_editor)
    listing = reverse("wagtailsnippets_courses_video:list")
    failed_job(video)
    client.get(listing)  # the CMS's own caches (permissions, site) filled
    with CaptureQueriesContext(connection) as one_video:
        client.get(listing)
    for number in range(5):
        failed_job(Video.objects.create(title=f"视频{number}", file=ContentFile(b"x", name=f"v{number}.mp4")))
    with CaptureQueriesContext(connection) as six_videos:
        assert "重新转码" in client.get(listing).content.decode()
    assert len(six_videos) == len(one_video)
