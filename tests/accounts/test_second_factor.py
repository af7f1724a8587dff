"""The second factor: required for system administrators and content editors, offered to tier administrators
and assessors, asked for at every sign-in once set up (by password or by a code by text message), with
recovery codes for a lost phone."""
import base64
import io
import re

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth import get_user
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from academy.audit.models import AuditAction, AuditEntry
from tests.accounts.totp import totp_code
from tests.factories import user_with_role

LOGIN = reverse("account_login")
PASSWORD = "correct-horse-battery"  # UserFactory's
ACTIVATE = reverse("mfa_activate_totp")
AUTHENTICATE = reverse("mfa_authenticate")


@pytest.fixture(autouse=True)
def _second_factor_required(settings):
    settings.SECOND_FACTOR_REQUIRED = True


def make_user(role, phone="13600000009"):
    user = user_with_role(role)
    user.phone = phone
    user.save()
    return user


def with_authenticator(user) -> str:
    """Give ``user`` an authenticator app (and recovery codes); returns its secret."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    RecoveryCodes.activate(user)
    return secret


def sign_in(client, user, password=PASSWORD):
    return client.post(LOGIN, {"login": user.phone, "password": password})


def confirm_password(client, next_url):
    """allauth asks for the password again before the second factor is set up or turned off."""
    response = client.post(f"{reverse('account_reauthenticate')}?next={next_url}", {"password": PASSWORD})
    assert response.status_code == 302, response.content.decode()


def test_totp_code_follows_rfc_6238():
    # RFC 6238, appendix B: the SHA-1 secret "12345678901234567890" at 59 s gives 94287082 (eight digits).
    assert totp_code(base64.b32encode(b"12345678901234567890").decode(), at=59, digits=8) == "94287082"


@pytest.mark.parametrize("role", ["editor", "system_admin"])
def test_powerful_accounts_must_set_up_an_authenticator_before_anything_else(client, db, role):
    user = make_user(role)
    sign_in(client, user)
    assert get_user(client).pk == user.pk
    for url in ["/cms/", reverse("accounts:home"), reverse("organisation:person_list"), "/"]:
        response = client.get(url)
        assert response.status_code == 302 and response.url == ACTIVATE, url
    page = client.get(ACTIVATE, follow=True)
    assert page.redirect_chain[-1][0].startswith(reverse("account_reauthenticate"))
    assert "set up an authenticator app first" in page.content.decode()
    confirm_password(client, ACTIVATE)
    assert client.get(ACTIVATE).status_code == 200
    assert client.post(reverse("account_logout")).status_code == 302
    assert not get_user(client).is_authenticated


def test_setting_up_the_app_shows_recovery_codes_then_opens_the_cms(client, db):
    user = make_user("editor")
    sign_in(client, user)
    confirm_password(client, ACTIVATE)
    page = client.get(ACTIVATE)
    secret = page.context["form"].secret
    assert secret in page.content.decode()
    response = client.post(ACTIVATE, {"code": totp_code(secret)})
    assert response.status_code == 302 and response.url == reverse("mfa_view_recovery_codes")
    codes = client.get(response.url).context["unused_codes"]
    assert len(codes) == 10
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    assert client.get("/cms/").status_code == 200


def test_a_wrong_code_sets_nothing_up(client, db):
    user = make_user("editor")
    sign_in(client, user)
    confirm_password(client, ACTIVATE)
    client.get(ACTIVATE)
    response = client.post(ACTIVATE, {"code": "000000"})
    assert response.status_code == 200
    assert "Incorrect code." in response.content.decode()
    assert not Authenticator.objects.filter(user=user).exists()


@pytest.mark.parametrize("role", ["county_admin", "assessor"])
def test_tier_administrators_and_assessors_are_offered_the_app_not_forced(client, db, role):
    user = make_user(role)
    sign_in(client, user)
    page = client.get(reverse("accounts:home"))
    assert page.status_code == 200
    assert "Turn on two-step verification" in page.content.decode()
    assert reverse("mfa_index") in page.content.decode()


def test_trainees_are_not_offered_the_app(client, db):
    user = make_user("trainee")
    client.force_login(user)
    assert "two-step verification" not in client.get(reverse("accounts:home")).content.decode()


def test_the_requirement_can_be_turned_off(client, db, settings):
    settings.SECOND_FACTOR_REQUIRED = False
    user = make_user("editor")
    sign_in(client, user)
    assert client.get("/cms/").status_code == 200


def test_sign_in_asks_for_the_code_once_set_up(client, db):
    user = make_user("editor")
    secret = with_authenticator(user)
    response = sign_in(client, user)
    assert response.status_code == 302 and response.url == AUTHENTICATE
    assert not get_user(client).is_authenticated
    assert client.get("/cms/").status_code == 302
    response = client.post(AUTHENTICATE, {"code": "000000"})
    assert "Incorrect code." in response.content.decode()
    assert not get_user(client).is_authenticated
    response = client.post(AUTHENTICATE, {"code": totp_code(secret)})
    assert response.status_code == 302
    assert get_user(client).pk == user.pk
    assert client.get("/cms/").status_code == 200


def test_sign_in_by_a_code_by_text_message_also_asks_for_the_app(client, db, sms_outbox):
    user = make_user("system_admin")
    with_authenticator(user)
    client.post(reverse("account_request_login_code"), {"login": user.phone})
    sms_code = re.search(r"\d{6}", sms_outbox[-1][1]).group()
    response = client.post(reverse("account_confirm_login_code"), {"code": sms_code})
    assert response.status_code == 302 and response.url == AUTHENTICATE
    assert not get_user(client).is_authenticated


def test_wrong_codes_are_limited_like_wrong_passwords(client, db):
    user = make_user("editor")
    secret = with_authenticator(user)
    sign_in(client, user)
    for _ in range(5):
        client.post(AUTHENTICATE, {"code": "000000"})
    response = client.post(AUTHENTICATE, {"code": totp_code(secret)})
    assert "Too many failed login attempts. Try again later." in response.content.decode()
    assert not get_user(client).is_authenticated


def test_a_recovery_code_signs_in_once(client, db):
    user = make_user("editor")
    with_authenticator(user)
    code = Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES).wrap().get_unused_codes()[0]
    sign_in(client, user)
    client.post(AUTHENTICATE, {"code": code})
    assert get_user(client).pk == user.pk
    client.post(reverse("account_logout"))
    sign_in(client, user)
    response = client.post(AUTHENTICATE, {"code": code})
    assert "Incorrect code." in response.content.decode()
    assert not get_user(client).is_authenticated


def _signed_in_with_the_app(client, user):
    secret = with_authenticator(user)
    sign_in(client, user)
    client.post(AUTHENTICATE, {"code": totp_code(secret)})
    assert get_user(client).pk == user.pk


def test_a_required_role_cannot_turn_the_app_off(client, db):
    user = make_user("editor")
    _signed_in_with_the_app(client, user)
    confirm_password(client, reverse("mfa_deactivate_totp"))
    response = client.post(reverse("mfa_deactivate_totp"))
    assert "must keep their authenticator app" in response.content.decode()
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def test_an_offered_role_can_turn_the_app_off(client, db):
    user = make_user("county_admin")
    _signed_in_with_the_app(client, user)
    confirm_password(client, reverse("mfa_deactivate_totp"))
    response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=user).exists()


def test_a_lost_app_and_recovery_codes_are_reset_from_the_command_line(client, db):
    user = make_user("editor")
    with_authenticator(user)
    out = io.StringIO()
    call_command("second_factor_reset", user.phone, stdout=out)
    assert "Removed the authenticator app" in out.getvalue()
    assert not Authenticator.objects.filter(user=user).exists()
    entry = AuditEntry.objects.get(action=AuditAction.MFA_DEACTIVATED)
    assert entry.object_id == str(user.pk) and entry.detail == {"reset": True}
    sign_in(client, user)
    assert client.get("/cms/").url == ACTIVATE
    with pytest.raises(CommandError, match="No account signs in with 13000000000"):
        call_command("second_factor_reset", "13000000000")
