"""manage.py transcode_videos: after an upgrade, the renditions and poster frames of the videos uploaded before
(courses/renditions.py). Only what is missing is made; running it again adds nothing."""
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from academy.transcoding import TranscodingError, ffmpeg_check
from courses.renditions import videos_transcode_start


class Command(BaseCommand):
    help = (
        "Make the missing renditions (流畅 ~360p, 标清 ~720p) and poster frames of every lesson video, one background "
        "job per video. Safe to run again: only what is missing is made."
    )

    def handle(self, *args, **options):
        try:
            ffmpeg_check()  # the worker needs it; so, in the demo, does this process
        except TranscodingError as error:
            raise CommandError(str(error)) from error
        with transaction.atomic():
            jobs = videos_transcode_start()
        for job in jobs:
            self.stdout.write(f"{job.video}: queued")
        self.stdout.write(self.style.SUCCESS(
            f"{len(jobs)} video(s) with something missing, one job each (done in this process without a broker); "
            "the others are complete."
        ))
