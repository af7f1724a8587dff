"""Lesson videos for weak networks (issue 13 §3): each video's renditions and poster frame, made in the
background by a VideoTranscodeJob, and what a lesson page plays.

On upload (the CMS's snippet hooks, wagtail_hooks.py), for the demo's videos (academy.demo) and after an upgrade
(`manage.py transcode_videos`), ``video_transcode_start`` records a job for what is missing; the worker runs
``video_transcode_run``, which has academy/transcoding.py make a low rendition (~360p, at most 400 kbit/s), a
standard one (~720p) and a small JPEG poster from the upload, and keeps them on the default storage (the disk
or S3). A rendition remembers the upload it was made from: when the file is replaced, what was made from the old
one counts as missing and is made again; nothing else is ever made twice.

The page (``video_playback``) offers the renditions once they exist and the original file until then.
"""
import logging
import os
import shutil
import tempfile

from django.core.files import File
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from academy import transcoding
from academy.jobs import JOB_INTERRUPTED, job_announce, job_fail, job_progress, job_retry, job_start

from .models import Video, VideoQuality, VideoRendition, VideoTranscodeJob

logger = logging.getLogger(__name__)

POSTER = "poster"
PROFILES = {profile.quality: profile for profile in transcoding.PROFILES}


def video_outputs_missing(video: Video) -> list[str]:
    """What is still to make from the video's current file: its qualities without a rendition of that file, and
    "poster" when its poster frame is missing or of another file."""
    if not video.file:
        return []
    made = {rendition.quality for rendition in video.renditions.all() if rendition.source_name == video.file.name}
    missing = [quality for quality in PROFILES if quality not in made]
    if not video.poster_frame or video.poster_frame_source != video.file.name:
        missing.append(POSTER)
    return missing


def video_transcode_start(*, video: Video) -> VideoTranscodeJob | None:
    """Record a job making what the video lacks and announce it (on commit); None when nothing is missing. A job
    of the video still waiting for a worker is returned instead: it will make what is missing when it starts."""
    if not video_outputs_missing(video):
        return None
    waiting = VideoTranscodeJob.objects.filter(video=video, status=VideoTranscodeJob.Status.PENDING).first()
    if waiting is not None:
        return waiting
    job = VideoTranscodeJob.objects.create(video=video)
    job_announce(job)
    return job


def videos_transcode_start() -> list[VideoTranscodeJob]:
    """A job for every video lacking a rendition or its poster frame (`manage.py transcode_videos`)."""
    jobs = []
    for video in Video.objects.exclude(file="").prefetch_related("renditions").order_by("pk"):
        job = video_transcode_start(video=video)
        if job is not None:
            jobs.append(job)
    return jobs


def video_transcode_run(*, job_id) -> None:
    """Make what the job's video lacks. Takes only a waiting job, so a message delivered twice does nothing;
    whatever fails (ffmpeg missing, a file it cannot read) fails the job with ffmpeg's reason (job_tasks)."""
    if not job_start(VideoTranscodeJob, job_id, from_statuses=[VideoTranscodeJob.Status.PENDING], done=0):
        return
    transcoding.ffmpeg_check()
    video = Video.objects.get(pk=VideoTranscodeJob.objects.values_list("video_id", flat=True).get(pk=job_id))
    missing = video_outputs_missing(video)
    job_progress(VideoTranscodeJob, job_id, total=len(missing))
    if missing:
        with tempfile.TemporaryDirectory(prefix="academy-transcode-") as folder:
            source = os.path.join(folder, "source" + os.path.splitext(video.file.name)[1].lower())
            with video.file.open("rb") as upload, open(source, "wb") as copy:
                shutil.copyfileobj(upload, copy)
            for output in missing:
                if output == POSTER:
                    _poster_frame_make(video, source, folder)
                else:
                    _rendition_make(video, PROFILES[output], source, folder)
                job_progress(VideoTranscodeJob, job_id, done=F("done") + 1)
    VideoTranscodeJob.objects.filter(pk=job_id, status=VideoTranscodeJob.Status.RUNNING).update(
        status=VideoTranscodeJob.Status.DONE, finished_at=timezone.now(),
    )
    logger.info("Video %s: made %s", video.pk, ", ".join(missing) or "nothing (all there)")


def _rendition_make(video: Video, profile: transcoding.Profile, source: str, folder: str) -> VideoRendition:
    target = os.path.join(folder, f"{profile.quality}.mp4")
    info = transcoding.transcode(source, target, profile)
    rendition = VideoRendition.objects.filter(video=video, quality=profile.quality).first()
    replaced = rendition.file.name if rendition else ""
    rendition = rendition or VideoRendition(video=video, quality=profile.quality)
    with open(target, "rb") as handle:
        rendition.file.save(f"video-{video.pk}-{profile.quality}.mp4", File(handle), save=False)
    rendition.source_name = video.file.name
    rendition.size_bytes, rendition.bitrate = info.size_bytes, info.bit_rate
    rendition.width, rendition.height = info.width, info.height
    rendition.save()
    _delete_on_commit(VideoRendition.file.field.storage, replaced)
    return rendition


def _poster_frame_make(video: Video, source: str, folder: str) -> None:
    target = os.path.join(folder, "poster.jpg")
    transcoding.poster(source, target, duration_seconds=video.duration_seconds)
    replaced = video.poster_frame.name
    with open(target, "rb") as handle:
        video.poster_frame.save(f"video-{video.pk}.jpg", File(handle), save=False)
    Video.objects.filter(pk=video.pk).update(poster_frame=video.poster_frame.name, poster_frame_source=video.file.name)
    video.poster_frame_source = video.file.name
    _delete_on_commit(Video.poster_frame.field.storage, replaced)


def _delete_on_commit(storage, name: str) -> None:
    if name:
        transaction.on_commit(lambda: storage.delete(name))


def video_transcode_retryable(job: VideoTranscodeJob | None) -> bool:
    """A person may run the job again: it failed, or its worker was lost (academy.jobs, ``is_stale``) and the
    sweep has not come by yet to fail it."""
    return job is not None and (job.is_failed or job.is_stale())


def video_transcode_retry(*, job: VideoTranscodeJob) -> bool:
    """Run a failed job again, or one whose worker was lost (failed first, as the sweep would): the same job, and
    it makes only what is still missing. False when it is neither (a second click, retried already)."""
    if job.is_stale():
        job_fail(VideoTranscodeJob, job.pk, message=JOB_INTERRUPTED)
    return job_retry(job)


def video_transcode_latest(video: Video) -> VideoTranscodeJob | None:
    """The video's latest job: from ``transcode_jobs`` prefetched where a page shows many videos (a video has a
    job for each upload, a few at most)."""
    return max(video.transcode_jobs.all(), key=lambda job: job.created_at, default=None)


def video_renditions_made(video: Video) -> dict[str, VideoRendition]:
    """The video's renditions made from its current file, by quality (one of an older upload does not count)."""
    return {
        rendition.quality: rendition for rendition in video.renditions.all()
        if rendition.source_name == video.file.name
    }


def video_playback(video: Video) -> dict:
    """What the lesson page plays: the renditions made from the video's current file, low first (the page picks
    one by the connection, lesson.js), or the original file while there are none; and the poster, the editor's
    image or else the frame made from the video. ``renditions`` should be prefetched (blocks.VideoChooserBlock)."""
    made = video_renditions_made(video)
    sources = [
        {"quality": quality.value, "label": str(quality.label), "url": made[quality.value].file.url,
         "size": made[quality.value].size_bytes}
        for quality in VideoQuality if quality.value in made
    ]
    standard = made.get(VideoQuality.STANDARD) or made.get(VideoQuality.LOW)
    return {
        "sources": sources,
        "url": standard.file.url if standard else video.file.url,
        "poster_frame_url": video.poster_frame.url if video.poster_frame else "",
    }
