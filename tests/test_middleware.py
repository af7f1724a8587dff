"""The site's own middleware (academy.middleware)."""
import pytest


@pytest.mark.django_db
def test_an_english_language_browser_gets_chinese_on_its_first_visit(client):
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="zh-CN"' in page.content.decode()


@pytest.mark.django_db
def test_the_language_chosen_with_the_switch_is_kept(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert '<html lang="en"' in page.content.decode()


@pytest.mark.django_db
def test_an_unknown_language_in_the_cookie_gives_chinese(client):
    client.cookies["django_language"] = "fr"
    assert '<html lang="zh-CN"' in client.get("/accounts/login/").content.decode()
