"""The audit trail of signing in and out: every sign-in, failure and sign-out, and the second factor turned on
or off, with the name typed at a failure masked and never a password or a code."""
import json

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.urls import reverse

from academy.accounts.receivers import masked_login
from academy.audit.models import AuditAction, AuditEntry
from tests.accounts.totp import totp_code
from tests.factories import user_with_role

LOGIN = reverse("account_login")


def entries(action):
    return list(AuditEntry.objects.filter(action=action).order_by("pk"))


@pytest.mark.parametrize("typed, shown", [
    ("13912345678", "139****5678"),
    ("+86 139 1234 5678", "139****5678"),
    ("WangFang@example.org", "W***@example.org"),
    ("person-42", "pe***"),
    ("", ""),
])
def test_masked_login(typed, shown):
    assert masked_login(typed) == shown


def test_sign_in_is_recorded_with_how(client, claimed_trainee):
    client.post(LOGIN, {"login": "13912345678", "password": "a-long-secret-phrase"})
    (entry,) = entries(AuditAction.SIGN_IN)
    assert entry.actor == claimed_trainee
    assert entry.object_id == str(claimed_trainee.pk)
    assert entry.ip_address == "127.0.0.1"
    assert entry.detail == {"methods": ["password"]}


def test_failed_sign_in_is_recorded_with_the_name_masked_and_no_password(client, claimed_trainee):
    client.post(LOGIN, {"login": "13912345678", "password": "not-the-password"})
    client.post(LOGIN, {"login": "wangfang@example.org", "password": "not-the-password"})
    first, second = entries(AuditAction.SIGN_IN_FAILED)
    assert first.actor is None and first.object_id == str(claimed_trainee.pk)
    assert first.detail == {"login": "139****5678", "stage": "password"}
    assert second.detail == {"login": "w***@example.org", "stage": "password"}
    recorded = json.dumps([first.detail, second.detail]) + first.object_label
    assert "not-the-password" not in recorded and "13912345678" not in recorded
    assert not entries(AuditAction.SIGN_IN)


def test_failed_sign_in_with_an_unknown_name_names_no_account(client, db):
    client.post(LOGIN, {"login": "13000000000", "password": "guess"})
    (entry,) = entries(AuditAction.SIGN_IN_FAILED)
    assert entry.object_id == "" and entry.detail["login"] == "130****0000"


def test_sign_out_is_recorded(client, claimed_trainee):
    client.force_login(claimed_trainee)
    client.post(reverse("account_logout"))
    (entry,) = entries(AuditAction.SIGN_OUT)
    assert entry.actor == claimed_trainee


def test_sign_out_of_the_cms_is_recorded(client, db):
    editor = user_with_role("editor")
    client.force_login(editor)
    client.post(reverse("wagtailadmin_logout"))
    (entry,) = entries(AuditAction.SIGN_OUT)
    assert entry.actor == editor


def test_second_factor_turned_on_and_off_is_recorded(client, db, django_capture_on_commit_callbacks):
    user = user_with_role("county_admin")
    user.phone = "13600000006"
    user.save()
    client.post(LOGIN, {"login": user.phone, "password": "correct-horse-battery"})
    activate = reverse("mfa_activate_totp")
    client.post(f"{reverse('account_reauthenticate')}?next={activate}", {"password": "correct-horse-battery"})
    secret = client.get(activate).context["form"].secret
    with django_capture_on_commit_callbacks(execute=True):  # allauth signals it once the change is committed
        client.post(activate, {"code": totp_code(secret)})
    (activated,) = entries(AuditAction.MFA_ACTIVATED)
    assert activated.actor == user and secret not in json.dumps(activated.detail)
    client.post(reverse("mfa_deactivate_totp"))
    (deactivated,) = entries(AuditAction.MFA_DEACTIVATED)
    assert deactivated.actor == user


def test_sign_in_with_the_second_factor_records_a_wrong_code_and_how_it_ended(client, db):
    user = user_with_role("system_admin")
    user.phone = "13600000010"
    user.save()
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    client.post(LOGIN, {"login": user.phone, "password": "correct-horse-battery"})
    client.post(reverse("mfa_authenticate"), {"code": "000000"})
    (failed,) = entries(AuditAction.SIGN_IN_FAILED)
    assert failed.object_id == str(user.pk) and failed.detail == {"stage": "second_factor"}
    assert "000000" not in json.dumps(failed.detail)
    client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    (signed_in,) = entries(AuditAction.SIGN_IN)
    assert signed_in.detail == {"methods": ["password", "mfa:totp"]}
