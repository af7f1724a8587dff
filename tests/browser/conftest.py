"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server, at a phone
viewport (390x844) and a desktop one. Screenshots land in test-artifacts/ for a person to look at."""
import io
import os
from pathlib import Path

import pytest

from academy.organisation.models import PostKind, Region
from academy.organisation.services import village_create

from .helpers import WECHAT_USER_AGENT, roster_trainee

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}

# Playwright's sync API runs an event loop in this thread; the ORM calls made by the tests themselves are
# still synchronous, so Django's guard against async contexts does not apply.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items):
    # The hook sees every collected test, not only this folder's.
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (make test does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


def _page(browser, viewport, **options):
    context = browser.new_context(viewport=viewport, locale="zh-CN", **options)
    page = context.new_page()
    page.set_default_timeout(15000)
    return context, page


@pytest.fixture
def phone_page(browser):
    context, page = _page(browser, PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    yield page
    context.close()


@pytest.fixture
def wechat_phone(browser):
    """A phone (390×844) in WeChat's browser, whose network a test can cut (page.context.set_offline(True))."""
    context, page = _page(
        browser, PHONE, user_agent=WECHAT_USER_AGENT, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    yield page
    context.close()


@pytest.fixture
def director(zhejiang_regions):
    """李春燕, the child director of 宝石山村 (西湖区), with a claimed trainee account."""
    village = village_create(township=Region.objects.get(code="330106002"), code="330106002201", name="宝石山村")
    return roster_trainee(name="李春燕", mobile="13957100001", kind=PostKind.CHILD_DIRECTOR, region=village)


@pytest.fixture
def desktop_page(browser):
    context, page = _page(browser, DESKTOP)
    yield page
    context.close()


@pytest.fixture
def artifacts():
    """The folder for what a person looks at after the run: screenshots, and files such as PDFs."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def screenshot():
    ARTIFACTS.mkdir(exist_ok=True)

    def take(page, name):
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def media_served(settings):
    """Uploaded media (lesson videos) served by the live server: see tests/browser/urls.py. The live server's
    thread reads the same settings, so the change reaches it."""
    settings.ROOT_URLCONF = "tests.browser.urls"


@pytest.fixture
def site_home(zhejiang_regions, wagtail_roots):
    """The site's Wagtail home page with the demo announcements, as the default site's root (browser tests are
    transactional: `wagtail_roots` makes again what the flush removed)."""
    from django.core.management import call_command

    from academy.home.models import HomePage

    call_command("load_demo_pages", stdout=io.StringIO())
    return HomePage.objects.get()


@pytest.fixture
def demo(site_home):
    """The demo of the README on a small scale: 丽水市's roster, the demo accounts of every role, the courses
    and the certification sessions (manage.py load_demo)."""
    from django.core.management import call_command

    call_command("load_demo", "--cities", "3311", "--small", stdout=io.StringIO())
