"""An editor uploading a lesson video in the CMS starts its transcoding job; saving it again without a new file
starts none."""
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from courses.models import Video, VideoTranscodeJob
from tests.factories import UserFactory

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
