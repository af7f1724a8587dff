"""Background jobs of the organisation: the roster import's check and apply. Each task loads the import
by id and calls one function of roster.py, where the work and its rules live.

Both are queued with transaction.on_commit by roster.py, and both are safe to run again: a retry after a
lost database connection, or a message delivered twice (tasks are acknowledged late), changes nothing
that was already done.
"""
import logging

from celery import Task, shared_task
from celery.exceptions import Retry
from django.db import IntegrityError, InterfaceError, OperationalError

from .models import RosterImport

logger = logging.getLogger(__name__)

# Worth another try: the database went away or was locked, or (when applying) another import created the
# same person at the same moment; the retry starts from the database as it then is.
RETRY_ON = (OperationalError, InterfaceError, IntegrityError)


class RosterImportTask(Task):
    """Marks the import failed when the job gives up, so that its page does not wait for ever. This wraps
    the call rather than using on_failure, which Celery skips when tasks run in process (no broker)."""

    def __call__(self, import_id):
        try:
            return super().__call__(import_id)
        except Retry as retry:
            if not self.request.is_eager:
                raise  # another attempt is queued
            _fail(import_id, retry.exc or retry)  # in process nothing retries
            raise
        except Exception as error:
            _fail(import_id, error)
            raise


def _fail(import_id, error: BaseException) -> None:
    # roster.py imports this module to queue the tasks, so it is imported here, when first needed.
    from .roster import roster_import_fail

    try:
        roster_import_fail(import_id=import_id, message=f"{type(error).__name__}: {error}")
    except Exception:  # the database itself may be what failed; the original error is what matters
        logger.exception("Could not mark roster import %s failed", import_id)


@shared_task(base=RosterImportTask, autoretry_for=RETRY_ON, max_retries=3, retry_backoff=5, retry_jitter=True)
def validate_roster_import(import_id: str) -> None:
    from .roster import roster_import_validate

    roster_import_validate(roster_import=RosterImport.objects.get(pk=import_id))


@shared_task(base=RosterImportTask, autoretry_for=RETRY_ON, max_retries=3, retry_backoff=5, retry_jitter=True)
def apply_roster_import(import_id: str) -> None:
    from .roster import roster_import_apply

    roster_import_apply(roster_import=RosterImport.objects.get(pk=import_id))
