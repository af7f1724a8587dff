"""Issue 10 §4: a content editor must set up an authenticator app before reaching the CMS, is asked for its
code at every sign-in, and can sign in once with each recovery code."""
import time

import pytest

from tests.accounts.totp import totp_code
from tests.factories import user_with_role

from .helpers import console_problems

PASSWORD = "a-long-secret-phrase"
MOBILE = "13600000009"


@pytest.fixture
def editor(site_home, settings):  # signing out ends on the home page
    settings.SECOND_FACTOR_REQUIRED = True  # as in production; the live server's thread reads the same settings
    user = user_with_role("editor")
    user.phone = MOBILE
    user.set_password(PASSWORD)
    user.save()
    return user


def submit(page, form="form.account-form"):
    with page.expect_navigation():
        page.locator(f"{form} button[type=submit]").first.click()


def sign_in(page, base_url, path="/cms/"):
    """Ask for ``path`` signed out: the site's sign-in page comes first, and brings the person back."""
    page.goto(base_url + path)
    assert page.url.startswith(f"{base_url}/accounts/login/")
    page.locator("#id_login").fill(MOBILE)
    page.locator("#id_password").fill(PASSWORD)
    submit(page)


def sign_out(page, base_url):
    page.goto(base_url + "/accounts/logout/")
    submit(page, "main form")  # the next sign_in() finds the CMS closed again


def enter_code(page, code):
    page.locator("#id_code").fill(code)
    submit(page)


def in_the_cms(page, base_url):
    return page.url == base_url + "/cms/" and page.locator("#id_login").count() == 0 and (
        page.locator("form[action='/cms/logout/']").count() == 1
    )


def test_editor_sets_up_the_app_then_signs_in_with_its_code_and_a_recovery_code(
    live_server, editor, desktop_page, phone_page, screenshot
):
    base = live_server.url
    page = desktop_page
    problems = console_problems(page)

    # First sign-in: sent to set up the app (after confirming the password, as allauth asks), whatever was asked.
    sign_in(page, base)
    assert "/accounts/reauthenticate/" in page.url
    page.locator("#id_password").fill(PASSWORD)
    submit(page)
    assert page.url == base + "/accounts/2fa/totp/activate/"
    page.goto(base + "/cms/")
    assert page.url == base + "/accounts/2fa/totp/activate/"
    assert page.locator("img.totp-qr").is_visible()
    secret = page.locator("#totp-secret").inner_text().strip()
    screenshot(page, "mfa-activate-desktop")
    enter_code(page, totp_code(secret))

    # Recovery codes, shown once set up; then the CMS opens.
    assert page.url == base + "/accounts/2fa/recovery-codes/"
    recovery_codes = page.locator("ol.recovery-codes code").all_inner_texts()
    assert len(recovery_codes) == 10
    screenshot(page, "mfa-recovery-codes-desktop")
    page.goto(base + "/cms/")
    assert in_the_cms(page, base)
    sign_out(page, base)

    # Second sign-in, on a phone: the code from the app is asked for before anything opens.
    page = phone_page
    problems += console_problems(page)
    sign_in(page, base)
    assert page.url.startswith(base + "/accounts/2fa/authenticate/")
    screenshot(page, "mfa-authenticate-phone")
    enter_code(page, "000000")
    assert page.locator(".errorlist, .field-invalid, .message-error").count() >= 1
    enter_code(page, totp_code(secret, at=time.time() + 30))  # the next code: the last one may not be used again
    assert in_the_cms(page, base)
    sign_out(page, base)

    # A recovery code signs in once, and only once.
    sign_in(page, base)
    enter_code(page, recovery_codes[0])
    assert in_the_cms(page, base)
    sign_out(page, base)
    sign_in(page, base)
    enter_code(page, recovery_codes[0])
    assert page.url.startswith(base + "/accounts/2fa/authenticate/")
    enter_code(page, recovery_codes[1])
    assert in_the_cms(page, base)
    assert problems == []
