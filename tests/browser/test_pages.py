"""The public pages render in Chinese, on a phone and on a desktop, without errors in the browser console."""
import pytest
from django.utils import translation

from academy.accounts.forms import LOGIN_LABEL

from .helpers import console_problems

VIEWPORTS = ["phone_page", "desktop_page"]


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_home_page(request, viewport, live_server, site_home, screenshot):
    page = request.getfixturevalue(viewport)
    problems = console_problems(page)

    response = page.goto(live_server.url + "/")

    assert response.status == 200
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator("h1").inner_text() == site_home.title
    assert page.locator("article.announcement").count() == 3
    assert page.locator(".sign-in-call a[href='/accounts/login/']").is_visible()
    screenshot(page, f"pages-home-{viewport.removesuffix('_page')}")
    assert problems == []


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_sign_in_page(request, viewport, live_server, site_home, screenshot):
    page = request.getfixturevalue(viewport)
    problems = console_problems(page)

    response = page.goto(live_server.url + "/accounts/login/")

    assert response.status == 200
    assert page.locator("#id_login").is_visible()
    assert page.locator("#id_password").is_visible()
    with translation.override("zh-hans"):
        assert page.locator("label[for=id_login]").inner_text() == str(LOGIN_LABEL)
    assert page.locator("a[href='/accounts/login/code/']").is_visible()
    screenshot(page, f"pages-sign-in-{viewport.removesuffix('_page')}")
    assert problems == []
