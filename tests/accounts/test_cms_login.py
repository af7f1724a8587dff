"""The CMS has no sign-in of its own: /cms/ sends people to the site's sign-in page (allauth's, with its limits
and second factor), and nothing signs in by the internal username."""
import pytest
from django.contrib.auth import authenticate, get_user
from django.urls import reverse

from tests.factories import user_with_role

LOGIN = reverse("account_login")
PASSWORD = "correct-horse-battery"  # UserFactory's


@pytest.fixture
def editor(db):
    user = user_with_role("editor")
    user.phone = "13600000009"
    user.save()
    return user


def test_cms_sends_anonymous_visitors_to_the_site_sign_in(client, db):
    response = client.get("/cms/")
    assert response.status_code == 302
    assert response.url == f"{LOGIN}?next=/cms/"


def test_cms_login_page_is_the_site_sign_in(client, db):
    response = client.get("/cms/login/?next=/cms/pages/")
    assert response.status_code == 302
    assert response.url == f"{LOGIN}?next=/cms/pages/"


def test_cms_login_does_not_accept_the_internal_username(client, editor):
    response = client.post("/cms/login/", {"username": editor.username, "password": PASSWORD})
    assert not get_user(client).is_authenticated
    assert response.status_code in (302, 405)


def test_cms_login_does_not_accept_any_number_of_wrong_passwords(client, editor):
    for _ in range(30):
        client.post("/cms/login/", {"username": editor.email, "password": "guess"})
    client.post("/cms/login/", {"username": editor.email, "password": PASSWORD})
    assert not get_user(client).is_authenticated


def test_an_account_locked_on_the_sign_in_page_stays_locked_for_the_cms(client, editor):
    for _ in range(5):
        client.post(LOGIN, {"login": editor.email, "password": "guess"})
    client.post("/cms/login/", {"username": editor.email, "password": PASSWORD})
    assert not get_user(client).is_authenticated
    response = client.post(LOGIN, {"login": editor.email, "password": PASSWORD})
    assert "Too many failed login attempts. Try again later." in response.content.decode()
    assert not get_user(client).is_authenticated


def test_the_internal_username_signs_in_nowhere(editor):
    assert authenticate(username=editor.username, password=PASSWORD) is None
    assert authenticate(username=editor.email, password=PASSWORD) == editor  # allauth: email as username


def test_the_site_sign_in_refuses_the_internal_username(client, editor):
    client.post(LOGIN, {"login": editor.username, "password": PASSWORD})
    assert not get_user(client).is_authenticated


def test_editor_signs_in_on_the_site_page_and_reaches_the_cms(client, editor):
    response = client.post(f"{LOGIN}?next=/cms/", {"login": "13600000009", "password": PASSWORD})
    assert response.status_code == 302 and response.url == "/cms/"
    assert client.get("/cms/").status_code == 200


def test_cms_password_reset_is_the_site_password_reset(client, db):
    response = client.get("/cms/password_reset/")
    assert response.status_code == 302
    assert response.url == reverse("account_reset_password")


def test_cms_sign_out_ends_at_the_site_sign_in(client, editor):
    client.force_login(editor)
    response = client.post(reverse("wagtailadmin_logout"))
    assert not get_user(client).is_authenticated
    assert response.url == LOGIN
