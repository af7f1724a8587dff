"""Background jobs of the organisation: the roster import's check and apply. Each task loads the import
by id and calls one function of roster.py, where the work and its rules live.

Both are queued on commit by receivers.py when roster.py announces the import ready, and both are safe to
run again: a retry after a lost database connection, or a message delivered twice (tasks are acknowledged
late), changes nothing that was already done. When a task gives up, its base (academy.job_tasks) marks the
import failed, and the uploaded file is deleted.
"""
from celery import shared_task
from django.db import IntegrityError, InterfaceError, OperationalError

from academy.job_tasks import JobTask

from . import roster
from .models import RosterImport

# Worth another try: the database went away or was locked, or (when applying) another import created the
# same person at the same moment; the retry starts from the database as it then is.
RETRY_ON = (OperationalError, InterfaceError, IntegrityError)


class RosterImportTask(JobTask):
    job_model = RosterImport

    def job_failed(self, job_id, *, message: str) -> None:
        roster.roster_import_fail(import_id=job_id, message=message)


@shared_task(base=RosterImportTask, autoretry_for=RETRY_ON, max_retries=3, retry_backoff=5, retry_jitter=True)
def validate_roster_import(import_id: str) -> None:
    roster.roster_import_validate(roster_import=RosterImport.objects.get(pk=import_id))


@shared_task(base=RosterImportTask, autoretry_for=RETRY_ON, max_retries=3, retry_backoff=5, retry_jitter=True)
def apply_roster_import(import_id: str) -> None:
    roster.roster_import_apply(roster_import=RosterImport.objects.get(pk=import_id))
