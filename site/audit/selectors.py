"""Reading the audit trail: the filters of the system administrators' page and its exports."""
import datetime

from django.db.models import QuerySet
from django.utils import timezone

from .models import AuditEntry


def audit_entries(
    *,
    actor_id: int | None = None,
    actor_name: str = "",
    action: str = "",
    since: datetime.date | None = None,
    until: datetime.date | None = None,
    region_code: str = "",
) -> QuerySet:
    """Entries matching every filter given, newest first. ``since`` and ``until`` are whole days in China
    time, both included; ``region_code`` keeps entries in that region and the regions under it."""
    entries = AuditEntry.objects.select_related("actor")
    if actor_id is not None:
        entries = entries.filter(actor_id=actor_id)
    if actor_name:
        # The label is kept with the entry, so people are found after their account is gone.
        entries = entries.filter(actor_label__icontains=actor_name)
    if action:
        entries = entries.filter(action=action)
    # Bounds as instants rather than a date lookup on the column, so the index on "at" is used.
    if since:
        entries = entries.filter(at__gte=_start_of(since))
    if until:
        entries = entries.filter(at__lt=_start_of(until + datetime.timedelta(days=1)))
    if region_code:
        entries = entries.filter(region_code__startswith=region_code)
    return entries


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
