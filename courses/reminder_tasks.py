"""Celery beat's jobs for the training plans' reminders (settings: CELERY_BEAT_SCHEDULE). Thin: each
calls one function of reminders.py, which is safe to run again, so retrying after a lost database
connection sends nothing twice.

Celery's autodiscovery looks only for modules named ``tasks``; CoursesConfig.ready() imports this one so
that the worker registers it.
"""
from celery import shared_task
from django.db import InterfaceError, OperationalError

from . import reminders

RETRY_ON = (OperationalError, InterfaceError)


@shared_task(autoretry_for=RETRY_ON, max_retries=3, retry_backoff=60, retry_jitter=True)
def send_trainee_reminders() -> int:
    return reminders.send_trainee_reminders()


@shared_task(autoretry_for=RETRY_ON, max_retries=3, retry_backoff=60, retry_jitter=True)
def send_administrator_digests() -> int:
    return reminders.send_administrator_digests()
