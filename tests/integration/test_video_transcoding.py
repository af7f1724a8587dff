"""A lesson video's renditions through the real path: the job announced on commit, carried by Redis, run by a
Celery worker process with the real ffmpeg against PostgreSQL, the files written to the shared media folder and
seen by the web process."""
from pathlib import Path

from django.core.files.base import ContentFile

from academy.transcoding import probe
from courses.models import Video, VideoTranscodeJob
from courses.renditions import video_outputs_missing, video_playback, video_transcode_start

from .conftest import wait_for

SHORT = Path(__file__).resolve().parents[1] / "data" / "short.mp4"


def test_an_uploaded_video_is_transcoded_by_the_worker(celery_worker_process, settings):
    video = Video.objects.create(title="家访示范", file=ContentFile(SHORT.read_bytes(), name="visit.mp4"), duration_seconds=4)

    job = video_transcode_start(video=video)  # autocommit: announced at once, queued to Redis

    def finished():
        job.refresh_from_db()
        return not job.is_running

    assert wait_for(finished, timeout=180), celery_worker_process.log_text()[-3000:]
    assert job.status == VideoTranscodeJob.Status.DONE, job.failure_message
    assert job.queued_at is not None and (job.done, job.total) == (3, 3)
    video = Video.objects.prefetch_related("renditions").get(pk=video.pk)
    assert video_outputs_missing(video) == []
    for rendition in video.renditions.all():
        info = probe(str(Path(settings.MEDIA_ROOT) / rendition.file.name))
        assert (info.video_codec, info.faststart, info.size_bytes) == ("h264", True, rendition.size_bytes)
    assert [source["quality"] for source in video_playback(video)["sources"]] == ["low", "standard"]
    assert (Path(settings.MEDIA_ROOT) / video.poster_frame.name).read_bytes()[:3] == b"\xff\xd8\xff"

    # Asked again (an edit that kept the file, `manage.py transcode_videos`): nothing to make, no job.
    assert video_transcode_start(video=video) is None
    assert VideoTranscodeJob.objects.count() == 1
