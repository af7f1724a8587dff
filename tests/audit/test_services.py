from datetime import timedelta

import pytest
from django.test import RequestFactory, override_settings
from django.utils import timezone

from academy.audit.models import AuditAction, AuditEntry
from academy.audit.services import audit_purge_expired, audit_record
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_an_entry_names_the_actor_the_object_and_the_address():
    user = UserFactory()
    request = RequestFactory().get("/", REMOTE_ADDR="10.1.2.3")
    request.user = user
    entry = audit_record(action=AuditAction.PERSONAL_DATA_EXPORTED, request=request, target=user,
                         region_code="330106", detail={"rows": 12})
    assert entry.actor == user and entry.actor_label == str(user)
    assert entry.object_type == "accounts.User" and entry.object_id == str(user.pk)
    assert entry.ip_address == "10.1.2.3" and entry.detail == {"rows": 12}


def test_entries_cannot_be_changed_or_deleted_one_by_one():
    entry = audit_record(action=AuditAction.SIGN_IN, actor=UserFactory())
    entry.object_label = "edited"
    with pytest.raises(ValueError):
        entry.save()
    with pytest.raises(ValueError):
        entry.delete()


@override_settings(AUDIT_RETENTION_DAYS=30)
def test_the_purge_keeps_at_least_six_months():
    recent = audit_record(action=AuditAction.SIGN_IN, actor=UserFactory())
    old = audit_record(action=AuditAction.SIGN_IN, actor=UserFactory())
    AuditEntry.objects.filter(pk=recent.pk).update(at=timezone.now() - timedelta(days=179))
    AuditEntry.objects.filter(pk=old.pk).update(at=timezone.now() - timedelta(days=181))
    assert audit_purge_expired() == 1
    assert list(AuditEntry.objects.values_list("pk", flat=True)) == [recent.pk]
