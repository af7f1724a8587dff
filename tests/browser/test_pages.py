"""The public pages render in Chinese, on a phone and on a desktop, without errors in the browser console."""
import pytest

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
    assert page.locator("label[for=id_login]").inner_text() == "手机号码"
    assert page.locator("#id_login").get_attribute("type") == "tel"
    assert page.locator("a[href='/accounts/login/code/']").is_visible()
    screenshot(page, f"pages-sign-in-{viewport.removesuffix('_page')}")
    assert problems == []


def test_the_sign_in_page_switches_to_an_email_box_and_back(live_server, site_home, phone_page, screenshot):
    """Issue 13: the number pad's box first; a plain link (no script) to the email box, and one back."""
    problems = console_problems(phone_page)
    phone_page.goto(live_server.url + "/accounts/login/?next=/me/")
    with phone_page.expect_navigation():
        phone_page.get_by_role("link", name="用邮箱登录").click()

    assert phone_page.url == live_server.url + "/accounts/login/?next=%2Fme%2F&by=email"
    assert phone_page.locator("#id_login").get_attribute("type") == "email"
    assert phone_page.locator("label[for=id_login]").inner_text() == "电子邮箱"
    screenshot(phone_page, "pages-sign-in-by-email-phone")
    with phone_page.expect_navigation():
        phone_page.get_by_role("link", name="用手机号码登录").click()

    assert phone_page.locator("#id_login").get_attribute("type") == "tel"
    assert phone_page.url == live_server.url + "/accounts/login/?next=%2Fme%2F"
    assert problems == []


def test_on_a_pc_the_menu_is_open_and_on_a_phone_behind_its_button(live_server, site_home, desktop_page, phone_page, screenshot):
    desktop_page.goto(live_server.url + "/")
    assert desktop_page.locator(".menu-panel a[href='/accounts/login/']").is_visible()
    assert desktop_page.locator("details.menu summary").is_hidden()
    screenshot(desktop_page, "pages-menu-desktop")

    phone_page.goto(live_server.url + "/")
    assert phone_page.locator(".menu-panel a[href='/accounts/login/']").is_hidden()
    phone_page.locator("details.menu summary").click()
    assert phone_page.locator(".menu-panel a[href='/accounts/login/']").is_visible()


def test_a_printed_page_has_its_content_without_header_menu_or_footer(live_server, site_home, desktop_page):
    desktop_page.goto(live_server.url + "/")
    desktop_page.emulate_media(media="print")
    assert desktop_page.locator("h1").is_visible()
    assert desktop_page.locator(".site-header").is_hidden()
    assert desktop_page.locator(".site-footer").is_hidden()
