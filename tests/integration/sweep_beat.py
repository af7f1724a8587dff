"""The Celery app of the integration tests' beat process: the platform's own app with only the job sweep of
CELERY_BEAT_SCHEDULE scheduled (its task, and its period read from JOBS_SWEEP_SECONDS), so that a test running
at 02:30 or 08:00 is not joined by the nightly plan assignment or the reminders.

    python -m celery -A tests.integration.sweep_beat beat
"""
from django.conf import settings

from academy.celery_app import app

app.conf.beat_schedule = {"sweep-jobs": settings.CELERY_BEAT_SCHEDULE["sweep-jobs"]}
