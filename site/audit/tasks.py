"""Background jobs of the audit trail: the daily retention purge (CELERY_BEAT_SCHEDULE)."""
from celery import shared_task

from .services import audit_purge_expired


@shared_task
def purge_expired_audit_entries() -> int:
    """Delete the entries older than AUDIT_RETENTION_DAYS (never fewer than 180 days); safe to run twice."""
    return audit_purge_expired()
