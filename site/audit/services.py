"""The functions that write the audit trail (one entry, or a batch's at once), and the retention purge."""
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from academy.http import client_ip

from .models import AuditAction, AuditEntry


def audit_record(**fields) -> AuditEntry:
    """Record one entry; the arguments are audit_entry's."""
    entry = audit_entry(**fields)
    entry.save(force_insert=True)
    return entry


def audit_record_many(entries: list[AuditEntry]) -> list[AuditEntry]:
    """Record many entries made by audit_entry in one INSERT (a batch's, say: one round trip, not one each)."""
    return AuditEntry.objects.bulk_create(entries)


def audit_entry(
    *,
    action: AuditAction,
    actor=None,
    request=None,
    target: models.Model | None = None,
    target_label: str = "",
    region_code: str = "",
    detail: dict | None = None,
) -> AuditEntry:
    """One entry, not saved yet (audit_record saves it, audit_record_many saves many). ``actor`` defaults to the
    request's signed-in user; ``target`` is the object the action touched (its type, id and label are stored,
    never its personal data); ``detail`` holds what a reviewer needs (row counts, before/after of non-secret
    fields) and must never hold a full ID number."""
    if actor is None and request is not None and getattr(request, "user", None) is not None:
        actor = request.user if request.user.is_authenticated else None
    return AuditEntry(
        actor=actor,
        actor_label=str(actor)[:150] if actor is not None else "",
        action=action,
        object_type=target._meta.label if target is not None else "",
        object_id=str(target.pk) if target is not None else "",
        object_label=(target_label or (str(target) if target is not None else ""))[:200],
        region_code=region_code,
        ip_address=(client_ip(request) or None) if request is not None else None,
        detail=detail or {},
    )


def audit_purge_expired(*, now=None) -> int:
    """Delete entries older than the retention period (AUDIT_RETENTION_DAYS, at least 180 days)."""
    days = max(int(settings.AUDIT_RETENTION_DAYS), 180)
    cutoff = (now or timezone.now()) - timedelta(days=days)
    deleted, _per_model = AuditEntry.objects.filter(at__lt=cutoff).delete()
    return deleted
