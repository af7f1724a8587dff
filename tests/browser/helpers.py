"""What the browser tests do again and again: make a roster person with a claimed account, sign in through
the real sign-in form, and listen for errors in the browser console."""
import datetime

from academy.accounts.services import account_for_person
from academy.demo.people import DEMO_PASSWORD, DEMO_TOTP_KEY
from academy.organisation import services as organisation
from academy.organisation.models import Sex
from tests.accounts.totp import totp_code
from tests.factories import make_id_number

PASSWORD = "a-long-secret-phrase"
# The demo accounts of the README (manage.py load_demo), one per role.
DEMO_ROLES = {
    "13800000001": "child director",
    "13800000002": "child supervisor",
    "13800000003": "institution head",
    "13800000004": "carer",
    "13800000005": "assessor",
    "13800000011": "chief assessor",
    "13800000006": "county administrator",
    "13800000007": "city administrator",
    "13800000008": "province administrator",
    "13800000009": "content editor",
    "13800000010": "system administrator",
}
# Those who must sign in with a second factor; the demo set up their authenticator app with a published key.
CMS_ROLES = {"13800000009", "13800000010"}
# WeChat's own browser on a cheap Android phone, as its requests name it.
WECHAT_USER_AGENT = (
    "Mozilla/5.0 (Linux; Android 10; V2026 Build/QP1A.190711.020; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Version/4.0 Chrome/107.0.5304.141 Mobile Safari/537.36 XWEB/5023 MMWEBSDK/20230805 MMWEBID/6170 "
    "MicroMessenger/8.0.47.2560(0x28002F30) WeChat/arm64 Weixin NetType/4G Language/zh_CN ABI/arm64"
)


def roster_trainee(
    *, name, mobile, kind, region, id_number=None, sex=Sex.FEMALE, start_date=datetime.date(2023, 1, 1)
):
    """A person on the roster holding one post, whose account has been claimed (a password is set)."""
    person = organisation.person_create(
        name=name, sex=sex, id_number=id_number or make_id_number(region.code[:6]), mobile=mobile
    )
    organisation.post_open(person=person, actor=None, kind=kind, region=region, start_date=start_date)
    user = account_for_person(person=person)
    user.set_password(PASSWORD)
    user.save()
    return user


def sign_in(page, base_url, login, password=PASSWORD):
    """Sign in through /accounts/login/ as a person would, by email through the page's email box; the page ends
    where the site sends them."""
    page.goto(f"{base_url}/accounts/login/")
    if "@" in login:
        with page.expect_navigation():
            page.locator("a[href='?by=email']").click()
    page.locator("#id_login").fill(login)
    page.locator("#id_password").fill(password)
    with page.expect_navigation():
        page.locator("form.account-form button[type=submit]").click()


def console_problems(page) -> list[str]:
    """Errors the page logs or throws from now on. A missing favicon is not a problem of the page."""
    problems = []

    def on_console(message):
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            problems.append(f"{message.text} ({message.location.get('url', '')})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    return problems


def sign_in_demo(page, base_url, mobile):
    """Sign in as a demo account, with the authenticator app's code for the roles that need one."""
    sign_in(page, base_url, mobile, DEMO_PASSWORD)
    if mobile in CMS_ROLES:
        page.locator("#id_code").fill(totp_code(DEMO_TOTP_KEY))
        with page.expect_navigation():
            page.locator("form.account-form button[type=submit]").click()


def press_play(video) -> None:
    """Start a lesson video as a trainee does. With preload="none" nothing of it is loaded, and Chromium's phone
    controls take the first tap on the picture to show themselves; the tap gives the page the user activation that
    allows playing with sound, and the test then presses play as the controls' button would."""
    video.click()
    video.evaluate("video => video.paused ? video.play() : null")
