"""Background jobs of the organisation: the roster import's check and apply. Each task loads the import
by id and calls one function of roster.py, where the work and its rules live.

Both are queued on commit by receivers.py when roster.py announces the import ready, and both are safe to
run again: each takes the import only from its waiting status, so a message delivered twice (tasks are
acknowledged late) does nothing, and a retry after a lost database connection (the import put back to
waiting by academy.job_tasks) starts from the database as it then is. When a task gives up, the import is
marked failed and its uploaded file deleted (academy.jobs).
"""
from celery import shared_task
from django.db import IntegrityError, InterfaceError, OperationalError

from academy.job_tasks import JobTask

from . import roster
from .models import RosterImport

# Worth another try: the database went away or was locked, or (when applying) another import created the
# same person at the same moment; the retry starts from the database as it then is.
RETRY_ON = (OperationalError, InterfaceError, IntegrityError)


@shared_task(
    base=JobTask, job_model=RosterImport, autoretry_for=RETRY_ON, max_retries=3, retry_backoff=5, retry_jitter=True
)
def validate_roster_import(import_id: str) -> None:
    roster.roster_import_validate(roster_import=RosterImport.objects.get(pk=import_id))


@shared_task(
    base=JobTask, job_model=RosterImport, autoretry_for=RETRY_ON, max_retries=3, retry_backoff=5, retry_jitter=True
)
def apply_roster_import(import_id: str) -> None:
    roster.roster_import_apply(roster_import=RosterImport.objects.get(pk=import_id))
