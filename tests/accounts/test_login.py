import re

import pytest
from django.contrib.auth import get_user
from django.urls import reverse

from academy.accounts.models import User

LOGIN = reverse("account_login")


def sign_in(client, login, password):
    return client.post(LOGIN, {"login": login, "password": password})


def test_sign_in_page_asks_for_the_mobile_number_and_offers_a_code(client, db):
    page = client.get(LOGIN).content.decode()
    assert '<label for="id_login">Mobile number</label>' in page
    assert "First time here or forgot your password? Sign in with a one-time code" in page
    assert reverse("account_request_login_code") in page


@pytest.mark.parametrize("login", ["13912345678", "+86 139 1234 5678"])
def test_sign_in_with_mobile_number_and_password(client, claimed_trainee, login):
    response = sign_in(client, login, "a-long-secret-phrase")
    assert response.status_code == 302
    assert response.url == reverse("accounts:home")
    assert get_user(client).pk == claimed_trainee.pk


def test_sign_in_with_email_and_password(client, claimed_trainee):
    response = sign_in(client, "WangFang@example.org", "a-long-secret-phrase")
    assert response.status_code == 302
    assert get_user(client).pk == claimed_trainee.pk


def test_wrong_password_is_refused_with_a_message(client, claimed_trainee):
    response = sign_in(client, "13912345678", "not-the-password")
    assert response.status_code == 200
    assert "The phone number and/or password you specified are not correct." in response.content.decode()
    assert not get_user(client).is_authenticated


def test_unclaimed_account_cannot_sign_in_with_a_password(client, unclaimed_trainee):
    response = sign_in(client, "13700001111", "")
    assert response.status_code == 200
    assert not get_user(client).is_authenticated


def test_repeated_failed_sign_ins_are_refused_even_with_the_right_password(client, claimed_trainee):
    for _ in range(5):
        sign_in(client, "13912345678", "guess")
    response = sign_in(client, "13912345678", "a-long-secret-phrase")
    assert response.status_code == 200
    assert "Too many failed login attempts. Try again later." in response.content.decode()
    assert not get_user(client).is_authenticated


def test_failures_on_one_mobile_number_do_not_lock_out_another(client, claimed_trainee, unclaimed_trainee):
    unclaimed_trainee.set_password("another-long-phrase")
    unclaimed_trainee.save()
    for _ in range(5):
        sign_in(client, "13912345678", "guess")
    response = sign_in(client, "13700001111", "another-long-phrase")
    assert response.status_code == 302
    assert get_user(client).pk == unclaimed_trainee.pk


def test_signup_is_closed(client, db):
    users_before = User.objects.count()
    page = client.get(reverse("account_signup"))
    assert "Registration is closed" in page.content.decode()
    client.post(reverse("account_signup"), {"phone": "13600000000", "password1": "x-long-password-1"})
    assert User.objects.count() == users_before


def test_sign_out(client, claimed_trainee):
    client.force_login(claimed_trainee)
    assert "Sign out now?" in client.get(reverse("account_logout")).content.decode()
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert not get_user(client).is_authenticated


def test_change_password(client, claimed_trainee):
    client.force_login(claimed_trainee)
    response = client.post(reverse("account_change_password"), {
        "oldpassword": "a-long-secret-phrase",
        "password1": "a-newer-secret-phrase",
        "password2": "a-newer-secret-phrase",
    })
    assert response.status_code == 302
    assert response.url == reverse("accounts:home")
    client.logout()
    assert sign_in(client, "13912345678", "a-newer-secret-phrase").status_code == 302


def test_reset_password_by_email(client, claimed_trainee, mailoutbox):
    response = client.post(reverse("account_reset_password"), {"email": "wangfang@example.org"})
    assert response.url == reverse("account_reset_password_done")
    assert len(mailoutbox) == 1
    link = next(line for line in mailoutbox[0].body.splitlines() if "/accounts/password/reset/key/" in line).strip()
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    response = client.post(form_page.redirect_chain[-1][0], {
        "password1": "a-reset-secret-phrase", "password2": "a-reset-secret-phrase",
    })
    assert response.status_code == 302
    client.logout()
    assert sign_in(client, "wangfang@example.org", "a-reset-secret-phrase").status_code == 302


def test_a_reset_for_an_unknown_address_sends_nothing_and_looks_the_same(client, claimed_trainee, mailoutbox):
    known = client.post(reverse("account_reset_password"), {"email": "wangfang@example.org"})
    mailoutbox.clear()
    unknown = client.post(reverse("account_reset_password"), {"email": "nobody@example.org"})
    assert mailoutbox == []
    assert unknown.status_code == known.status_code == 302 and unknown.url == known.url


def test_too_many_attempts_page_is_in_the_site_look(client, db, settings):
    settings.ACCOUNT_RATE_LIMITS = {"login": "1/m/ip"}
    client.post(LOGIN, {"login": "13912345678", "password": "x"})
    response = client.post(LOGIN, {"login": "13912345678", "password": "x"})
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()


def test_sign_in_returns_to_the_page_asked_for(client, claimed_trainee):
    page = client.get(LOGIN + "?next=/me/").content.decode()
    assert 'name="next" value="/me/"' in page
    response = client.post(LOGIN, {"login": "13912345678", "password": "a-long-secret-phrase", "next": "/me/"})
    assert response.url == "/me/"


@pytest.mark.parametrize("login", ["8613912345678", "１３９１２３４５６７８", "139-1234-5678"])
def test_sign_in_with_a_mobile_number_written_the_chinese_way(client, claimed_trainee, login):
    """Issue 13: "8613800000001" or full-width digits were refused as a wrong password."""
    response = sign_in(client, login, "a-long-secret-phrase")
    assert response.status_code == 302
    assert get_user(client).pk == claimed_trainee.pk


@pytest.mark.parametrize("login, problem", [
    ("1391234567", "You typed 10 digits."),
    ("23912345678", "This one starts with 2."),
    ("139l2345678", "Type only digits"),
])
def test_a_mistyped_mobile_number_is_named_as_the_problem_not_the_password(client, claimed_trainee, login, problem):
    """A number that cannot be a mobile number was answered "username and/or password not correct" (there are
    no usernames): the sign-in page says what to fix about the number, on its box."""
    page = sign_in(client, login, "a-long-secret-phrase").content.decode()
    assert "A mobile number has 11 digits and starts with 1." in page and problem in page
    assert "username and/or password" not in page
    assert not get_user(client).is_authenticated


def login_box(page: str) -> str:
    return re.search(r'<input [^>]*name="login"[^>]*>', page).group(0)


@pytest.mark.parametrize("url", [LOGIN, reverse("account_request_login_code")])
def test_a_link_shows_the_same_page_with_an_email_box_and_one_leads_back(client, db, url):
    """Issue 13: the sign-in pages open with the number pad's box; those who sign in by email (some staff) follow
    a plain link to an email box, in the same field, and back. Server side: no script (CSP)."""
    page = client.get(url + "?next=/me/").content.decode()
    assert 'type="tel"' in login_box(page)
    assert '<a href="?next=%2Fme%2F&amp;by=email">Sign in with email</a>' in page

    page = client.get(url + "?next=/me/&by=email").content.decode()
    assert 'type="email"' in login_box(page) and 'autocomplete="email"' in login_box(page)
    assert '<label for="id_login">Email</label>' in page
    assert f'action="{url}?next=/me/&amp;by=email"' in page
    assert '<a href="?next=%2Fme%2F">Sign in with your mobile number</a>' in page
    assert "Sign in with email" not in page


def test_the_email_box_stays_through_a_refused_sign_in(client, claimed_trainee):
    response = client.post(LOGIN + "?by=email", {"login": "wangfang@example.org", "password": "not-the-password"})
    assert response.status_code == 200 and not get_user(client).is_authenticated
    assert 'type="email"' in login_box(response.content.decode())


@pytest.mark.parametrize("login", ["WangFang@example.org", "+86 139-1234-5678"])
def test_either_box_signs_in_with_either(client, claimed_trainee, login):
    """Both boxes post "login": the form reads whichever was typed, whatever box the page showed."""
    response = client.post(LOGIN + "?by=email", {"login": login, "password": "a-long-secret-phrase"})
    assert response.status_code == 302
    assert get_user(client).pk == claimed_trainee.pk


def test_the_password_and_code_pages_keep_the_box_and_the_next_page_between_them(client, db):
    page = client.get(LOGIN + "?next=/me/&by=email").content.decode()
    assert f'href="{reverse("account_request_login_code")}?next=%2Fme%2F&amp;by=email"' in page
    page = client.get(reverse("account_request_login_code") + "?next=/me/&by=email").content.decode()
    assert f'href="{LOGIN}?next=%2Fme%2F&amp;by=email"' in page
