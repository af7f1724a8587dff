"""courses/renditions.py: a video's renditions and poster frame made by its background job with the real ffmpeg
(tests/data/short.mp4, 4 s at 160x90), made again only when missing, the job's failure and retry, and what the
lesson page plays; on the local disk and in object storage (moto's S3 server, tests/test_storage.py)."""
import tempfile
from pathlib import Path

import pytest
import requests
from bs4 import BeautifulSoup
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from academy.jobs import BackgroundJob
from academy.transcoding import FFMPEG_MISSING, probe
from courses.models import Video, VideoRendition, VideoTranscodeJob
from courses.renditions import (
    video_outputs_missing, video_playback, video_transcode_retry, video_transcode_start, videos_transcode_start,
)
from tests.factories import UserFactory
from tests.test_storage import CDN, moto_endpoint, s3  # noqa: F401 (fixtures)

SHORT = Path(__file__).resolve().parents[1] / "data" / "short.mp4"


@pytest.fixture
def video(db):
    return Video.objects.create(
        title="家访示范", file=ContentFile(SHORT.read_bytes(), name="visit.mp4"), duration_seconds=4
    )


def transcode(video, capture):
    """Start the video's job and run it in process, as the demo does (no broker)."""
    with capture(execute=True):
        job = video_transcode_start(video=video)
    if job is not None:
        job.refresh_from_db()
    video.refresh_from_db()
    return job


def test_the_job_makes_both_renditions_and_a_jpeg_poster(video, django_capture_on_commit_callbacks):
    job = transcode(video, django_capture_on_commit_callbacks)

    assert job.status == BackgroundJob.Status.DONE and (job.done, job.total) == (3, 3)
    renditions = {rendition.quality: rendition for rendition in video.renditions.all()}
    assert set(renditions) == {"low", "standard"}
    for rendition in renditions.values():
        info = probe(default_storage.path(rendition.file.name))
        assert (info.video_codec, info.faststart) == ("h264", True)
        assert rendition.source_name == video.file.name
        assert rendition.size_bytes == info.size_bytes == rendition.file.size
        assert rendition.bitrate == info.bit_rate and (rendition.width, rendition.height) == (160, 90)
    assert video.poster_frame.name.endswith(".jpg") and video.poster_frame.read(3) == b"\xff\xd8\xff"
    assert video_outputs_missing(video) == []


def test_the_page_plays_the_original_until_the_renditions_exist(video, django_capture_on_commit_callbacks):
    assert video_playback(video) == {"sources": [], "url": video.file.url, "poster_frame_url": ""}

    transcode(video, django_capture_on_commit_callbacks)
    playback = video_playback(Video.objects.prefetch_related("renditions").get(pk=video.pk))
    low, standard = video.renditions.get(quality="low"), video.renditions.get(quality="standard")
    assert [(source["quality"], source["url"], source["size"]) for source in playback["sources"]] == [
        ("low", low.file.url, low.size_bytes), ("standard", standard.file.url, standard.size_bytes),
    ]
    assert playback["url"] == standard.file.url and playback["poster_frame_url"] == video.poster_frame.url


def test_nothing_is_made_twice_and_a_replaced_file_is_made_again(video, django_capture_on_commit_callbacks):
    transcode(video, django_capture_on_commit_callbacks)
    first_files = set(VideoRendition.objects.values_list("file", flat=True)) | {video.poster_frame.name}

    assert transcode(video, django_capture_on_commit_callbacks) is None  # an edit that kept the file
    assert videos_transcode_start() == []  # `manage.py transcode_videos` after an upgrade
    assert VideoTranscodeJob.objects.count() == 1

    video.file.save("visit-2.mp4", ContentFile(SHORT.read_bytes()))
    assert sorted(video_outputs_missing(video)) == ["low", "poster", "standard"]
    job = transcode(video, django_capture_on_commit_callbacks)
    assert job.status == BackgroundJob.Status.DONE
    assert set(VideoRendition.objects.values_list("source_name", flat=True)) == {video.file.name}
    assert VideoRendition.objects.count() == 2
    # The files made from the old upload are gone from the storage.
    assert not any(default_storage.exists(name) for name in first_files)


def test_only_what_is_missing_is_made_after_an_upgrade(video, django_capture_on_commit_callbacks):
    transcode(video, django_capture_on_commit_callbacks)
    VideoRendition.objects.filter(quality="low").delete()

    with django_capture_on_commit_callbacks(execute=True):
        jobs = videos_transcode_start()
    assert [job.video for job in jobs] == [video]
    jobs[0].refresh_from_db()
    assert (jobs[0].status, jobs[0].total) == (BackgroundJob.Status.DONE, 1)
    assert set(video.renditions.values_list("quality", flat=True)) == {"low", "standard"}


def test_without_ffmpeg_the_job_fails_saying_how_to_install_it_and_a_retry_completes_it(
    video, django_capture_on_commit_callbacks, monkeypatch, tmp_path
):
    path = monkeypatch.setenv  # the machine without ffmpeg: a PATH where it is not
    path("PATH", str(tmp_path))
    with pytest.raises(Exception, match="apt-get install ffmpeg"):  # in process the task's error is raised
        transcode(video, django_capture_on_commit_callbacks)
    job = VideoTranscodeJob.objects.get()
    assert job.status == BackgroundJob.Status.FAILED
    assert job.failure_message == f"FfmpegMissing: {FFMPEG_MISSING}"
    assert not VideoRendition.objects.exists()

    monkeypatch.undo()  # ffmpeg installed, the administrator retries
    with django_capture_on_commit_callbacks(execute=True):
        assert video_transcode_retry(job=job)
    job.refresh_from_db()
    assert job.status == BackgroundJob.Status.DONE and job.failure_message == ""
    assert video.renditions.count() == 2


def test_a_file_ffmpeg_cannot_read_fails_the_job_with_ffmpegs_reason(db, django_capture_on_commit_callbacks):
    video = Video.objects.create(title="坏文件", file=ContentFile(b"placeholder", name="v.mp4"), duration_seconds=60)
    with pytest.raises(Exception, match="ffmpeg failed"):
        transcode(video, django_capture_on_commit_callbacks)
    job = VideoTranscodeJob.objects.get()
    assert job.status == BackgroundJob.Status.FAILED
    assert job.failure_message.startswith("TranscodingError: ffmpeg failed") and "Invalid data" in job.failure_message


def test_in_object_storage_an_uploaded_video_is_transcoded_in_the_bucket_and_played_through_the_cdn(
    s3, video_lesson, trainee, django_capture_on_commit_callbacks, monkeypatch, tmp_path, settings,  # noqa: F811
):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(work))  # where the job copies the upload for ffmpeg
    editor = Client()
    editor.force_login(UserFactory(is_superuser=True, is_staff=True))
    video = video_lesson.body[0].value["video"]
    upload = SimpleUploadedFile("visit.mp4", SHORT.read_bytes(), content_type="video/mp4")
    with django_capture_on_commit_callbacks(execute=True):
        response = editor.post(
            reverse("wagtailsnippets_courses_video:edit", args=[video.pk]), {"title": video.title, "file": upload}
        )
    assert response.status_code == 302

    video.refresh_from_db()
    assert VideoTranscodeJob.objects.get(video=video).status == BackgroundJob.Status.DONE
    low, standard = video.renditions.get(quality="low"), video.renditions.get(quality="standard")
    # ffmpeg read the upload from the bucket and what it made is in the bucket, nothing left on the disk.
    keys = {item["Key"] for item in s3.list_objects_v2(Bucket=s3.media_bucket)["Contents"]}
    assert {video.file.name, low.file.name, standard.file.name, video.poster_frame.name} <= keys
    assert list(work.iterdir()) == [] and not settings.MEDIA_ROOT.exists()
    for rendition in (low, standard):
        copy = tmp_path / rendition.file.name.rsplit("/", 1)[-1]
        s3.download_file(s3.media_bucket, rendition.file.name, str(copy))
        info = probe(str(copy))
        assert (info.video_codec, info.faststart, info.width, info.height) == ("h264", True, 160, 90)
        assert rendition.size_bytes == info.size_bytes
    poster = s3.get_object(Bucket=s3.media_bucket, Key=video.poster_frame.name)
    assert poster["ContentType"] == "image/jpeg" and poster["Body"].read(3) == b"\xff\xd8\xff"

    page = BeautifulSoup(trainee.get(video_lesson.url).content, "html.parser")
    # Keeping a video for offline is offered for this site's own files only: its service worker keeps and plays
    # back nothing from the CDN's address.
    assert not page.select("[data-video-url]")
    player = page.select_one("figure.lesson-video video")
    assert player["src"] == f"{CDN}{standard.file.name}" and player["poster"] == f"{CDN}{video.poster_frame.name}"
    assert [choice["data-url"] for choice in page.select("[data-video-quality] [data-url]")] == [
        f"{CDN}{low.file.name}", f"{CDN}{standard.file.name}",
    ]
    # The CDN fetches from the media bucket: a player's Range request there gets those bytes of the rendition.
    origin = player["src"].replace(CDN, f"{s3.endpoint}/{s3.media_bucket}/")
    answer = requests.get(origin, headers={"Range": "bytes=0-99"}, timeout=10)
    assert answer.status_code == 206 and answer.headers["Content-Range"] == f"bytes 0-99/{standard.size_bytes}"
    assert answer.headers["Content-Type"] == "video/mp4" and answer.content[4:8] == b"ftyp"
