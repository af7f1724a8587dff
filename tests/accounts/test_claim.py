"""A roster person claims their account: a code by text message, then a password of their own."""
import re

from django.contrib.auth import get_user
from django.urls import reverse

REQUEST_CODE = reverse("account_request_login_code")
CONFIRM_CODE = reverse("account_confirm_login_code")


def code_in(text: str) -> str:
    return re.search(r"code is (\d{6})\b", text).group(1)


def test_first_sign_in_by_code_then_password(client, unclaimed_trainee, sms_outbox):
    response = client.post(REQUEST_CODE, {"login": "13700001111"})
    assert response.url == CONFIRM_CODE
    assert len(sms_outbox) == 1
    phone, text = sms_outbox[0]
    assert phone == "13700001111"

    response = client.post(CONFIRM_CODE, {"code": code_in(text)})
    assert get_user(client).pk == unclaimed_trainee.pk
    assert response.url == reverse("account_set_password")
    assert "Choose your password" in client.get(response.url).content.decode()

    response = client.post(reverse("account_set_password"), {
        "password1": "my-own-long-phrase", "password2": "my-own-long-phrase",
    })
    assert response.url == reverse("accounts:home")
    unclaimed_trainee.refresh_from_db()
    assert unclaimed_trainee.phone_verified

    client.post(reverse("account_logout"))
    response = client.post(reverse("account_login"), {"login": "13700001111", "password": "my-own-long-phrase"})
    assert response.url == reverse("accounts:home")
    assert get_user(client).pk == unclaimed_trainee.pk


def test_the_number_may_be_written_with_the_country_code(client, unclaimed_trainee, sms_outbox):
    client.post(REQUEST_CODE, {"login": "+86 137-0000-1111"})
    assert [phone for phone, _ in sms_outbox] == ["13700001111"]


def test_a_wrong_code_does_not_sign_in(client, unclaimed_trainee, sms_outbox):
    client.post(REQUEST_CODE, {"login": "13700001111"})
    wrong = "000000" if code_in(sms_outbox[0][1]) != "000000" else "111111"
    response = client.post(CONFIRM_CODE, {"code": wrong})
    assert "Incorrect code." in response.content.decode()
    assert not get_user(client).is_authenticated


def test_a_number_not_on_the_roster_gets_no_text_and_no_hint(client, unclaimed_trainee, sms_outbox):
    known = client.post(REQUEST_CODE, {"login": "13700001111"})
    client.post(reverse("account_logout"))
    sms_outbox.clear()

    unknown = client.post(REQUEST_CODE, {"login": "13811112222"})
    assert sms_outbox == []
    assert unknown.status_code == known.status_code == 302
    assert unknown.url == known.url
    page = client.get(unknown.url).content.decode()
    assert "If 13811112222 is on the roster, a code is on its way to it." in page


def test_a_malformed_number_is_refused_with_a_message(client, db, sms_outbox):
    response = client.post(REQUEST_CODE, {"login": "12345"})
    assert "A mobile number has 11 digits and starts with 1." in response.content.decode()
    assert sms_outbox == []


def test_a_code_by_email(client, claimed_trainee, mailoutbox):
    client.post(REQUEST_CODE, {"login": "wangfang@example.org"})
    assert len(mailoutbox) == 1
    code = re.search(r"^\s*(\d{6})\s*$", mailoutbox[0].body, re.MULTILINE).group(1)
    response = client.post(CONFIRM_CODE, {"code": code})
    assert response.url == reverse("accounts:new_password")  # a claimed account is offered a new password
    assert get_user(client).pk == claimed_trainee.pk


def test_forgotten_password_is_replaced_after_a_code_sign_in(client, claimed_trainee, sms_outbox):
    client.post(REQUEST_CODE, {"login": "13912345678"})
    response = client.post(CONFIRM_CODE, {"code": code_in(sms_outbox[0][1])})
    assert response.url == reverse("accounts:new_password")
    assert "Keep my password and go to my page" in client.get(response.url).content.decode()

    response = client.post(reverse("accounts:new_password"), {
        "password1": "remembered-this-time", "password2": "remembered-this-time",
    })
    assert response.url == reverse("accounts:home")
    client.post(reverse("account_logout"))
    response = client.post(reverse("account_login"), {"login": "13912345678", "password": "remembered-this-time"})
    assert response.url == reverse("accounts:home")


def test_a_new_password_without_the_old_one_needs_a_code_sign_in(client, claimed_trainee):
    response = client.post(reverse("account_login"), {"login": "13912345678", "password": "a-long-secret-phrase"})
    assert response.url == reverse("accounts:home")
    response = client.post(reverse("accounts:new_password"), {
        "password1": "hijacked-password-1", "password2": "hijacked-password-1",
    })
    assert response.url == reverse("account_change_password")
    claimed_trainee.refresh_from_db()
    assert claimed_trainee.check_password("a-long-secret-phrase")


def test_requests_for_codes_are_rate_limited_per_number(client, unclaimed_trainee, sms_outbox):
    for _ in range(3):
        client.post(REQUEST_CODE, {"login": "13700001111"})
        client.post(reverse("account_logout"))
    response = client.post(REQUEST_CODE, {"login": "13700001111"})
    assert "Too many failed login attempts. Try again later." in response.content.decode()
    assert len(sms_outbox) == 3
