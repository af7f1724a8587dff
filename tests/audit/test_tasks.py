from datetime import timedelta

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.utils import timezone

from academy.audit import tasks
from academy.audit.models import AuditAction, AuditEntry
from academy.audit.services import audit_record
from academy.celery_app import app

pytestmark = pytest.mark.django_db


def test_beat_purges_the_audit_trail_every_night():
    entry = settings.CELERY_BEAT_SCHEDULE["purge-audit-trail"]
    assert entry["task"] == tasks.purge_expired_audit_entries.name
    assert entry["task"] in app.tasks
    assert entry["schedule"] == crontab(hour=3, minute=15)


def test_the_task_deletes_only_entries_past_the_retention_period(settings):
    settings.AUDIT_RETENTION_DAYS = 200
    kept = audit_record(action=AuditAction.SIGN_IN)
    expired = audit_record(action=AuditAction.SIGN_IN)
    AuditEntry.objects.filter(pk=kept.pk).update(at=timezone.now() - timedelta(days=199))
    AuditEntry.objects.filter(pk=expired.pk).update(at=timezone.now() - timedelta(days=201))

    assert tasks.purge_expired_audit_entries.delay().get() == 1
    assert list(AuditEntry.objects.values_list("pk", flat=True)) == [kept.pk]
    assert tasks.purge_expired_audit_entries.delay().get() == 0
