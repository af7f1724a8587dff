"""What the browser tests do again and again: make a roster person with a claimed account, sign in through
the real sign-in form, and listen for errors in the browser console."""
import datetime

from academy.accounts.services import account_for_person
from academy.organisation import services as organisation
from academy.organisation.models import Sex
from tests.factories import make_id_number

PASSWORD = "a-long-secret-phrase"


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
    """Sign in through /accounts/login/ as a person would; the page ends where the site sends them."""
    page.goto(f"{base_url}/accounts/login/")
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
