"""manage.py transcode_videos: after an upgrade, only the videos lacking something get a job, and a second run
adds none."""
import io
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command

from courses.models import Video, VideoRendition, VideoTranscodeJob

SHORT = Path(__file__).resolve().parents[1] / "data" / "short.mp4"


def run() -> str:
    out = io.StringIO()
    call_command("transcode_videos", stdout=out)
    return out.getvalue()


def test_videos_uploaded_before_the_upgrade_get_their_renditions_once(db, django_capture_on_commit_callbacks):
    video = Video.objects.create(title="家访示范", file=ContentFile(SHORT.read_bytes(), name="v.mp4"), duration_seconds=4)

    with django_capture_on_commit_callbacks(execute=True):  # in process, as without a broker
        assert "1 video(s)" in run()
    assert VideoTranscodeJob.objects.get().status == VideoTranscodeJob.Status.DONE
    assert VideoRendition.objects.filter(video=video).count() == 2

    with django_capture_on_commit_callbacks(execute=True):
        assert "0 video(s)" in run()
    assert VideoTranscodeJob.objects.count() == 1


def test_without_ffmpeg_the_command_says_how_to_install_it(db, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(CommandError, match="apt-get install ffmpeg"):
        run()
