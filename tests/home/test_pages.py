import re

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from wagtail.documents.models import Document
from wagtail.models import Page, Site

from academy.home.models import AnnouncementPage, HomePage, StandardPage
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def home(db):
    """A home page under Wagtail's root, serving the default site."""
    root = Page.get_first_root_node()
    home = root.add_child(instance=HomePage(
        title="Child Welfare Workforce Academy", slug="academy", introduction="Training for every child director.",
        body=[
            ("heading", {"text": "How training works", "size": "h2"}),
            ("callout", {"tone": "warning", "title": "Deadline", "body": "<p>Finish by 30 November.</p>"}),
        ],
    ))
    Site.objects.update_or_create(is_default_site=True, defaults={"root_page": home, "hostname": "localhost"})
    return home


@pytest.fixture
def announcement(home):
    return home.add_child(instance=AnnouncementPage(
        title="2025 supervisor training opens", slug="supervisor-training",
        summary="Courses for child supervisors are online.", body=[("paragraph", "<p>Sign in to start.</p>")],
    ))


def test_home_page_lists_announcements(client, announcement):
    page = client.get("/").content.decode()
    assert "Training for every child director." in page
    assert "2025 supervisor training opens" in page
    assert "Courses for child supervisors are online." in page
    assert announcement.url in page


def test_home_page_renders_its_blocks(client, home):
    page = client.get("/").content.decode()
    assert '<h2 class="block-heading">How training works</h2>' in page
    assert "callout-warning" in page
    assert "Finish by 30 November." in page


def test_pinned_announcements_come_first(client, home, announcement):
    home.add_child(instance=AnnouncementPage(title="Roster deadline", slug="roster", is_pinned=True, body=[]))
    page = client.get("/").content.decode()
    assert page.index("Roster deadline") < page.index("2025 supervisor training opens")


def test_anonymous_visitors_are_invited_to_sign_in(client, home):
    page = client.get("/").content.decode()
    assert reverse("account_login") in page
    assert "Go to my page" not in page


def test_signed_in_users_get_a_link_to_their_page(client, home):
    client.force_login(UserFactory())
    page = client.get("/").content.decode()
    assert "Go to my page" in page
    assert reverse("accounts:home") in page


def test_announcement_page(client, announcement):
    page = client.get(announcement.url).content.decode()
    assert "<h1>2025 supervisor training opens</h1>" in page
    assert "Sign in to start." in page


def test_standard_page_and_its_subpages(client, home):
    help_page = home.add_child(instance=StandardPage(
        title="Help", slug="help", introduction="Answers to common questions.",
        body=[("paragraph", "<p>Call your county office.</p>")],
    ))
    help_page.add_child(instance=StandardPage(title="Claiming your account", slug="claim"))
    page = client.get(help_page.url).content.decode()
    assert "<h1>Help</h1>" in page
    assert "Call your county office." in page
    assert "Claiming your account" in page


def test_document_block_links_to_the_file(client, home):
    document = Document.objects.create(title="Training plan", file=ContentFile(b"%PDF-1.4 plan", name="plan.pdf"))
    home.body = [("document", {"document": document, "title": "Download the 2025 plan"})]
    home.save_revision().publish()
    page = client.get("/").content.decode()
    assert "Download the 2025 plan" in page
    assert document.url in page
    assert "PDF" in page


def test_published_announcements_show_their_date(client, announcement):
    announcement.save_revision().publish()
    announcement.refresh_from_db()
    published_on = timezone.localdate(announcement.first_published_at)
    assert published_on.isoformat() in client.get("/").content.decode()


def test_every_page_has_a_favicon_served_by_the_site_itself(client, home):
    """Issue 13: no favicon (the browser asked for /favicon.ico and got a 404 on every page)."""
    html = client.get(home.url).content.decode()
    links = re.findall(r'<link rel="(?:icon|apple-touch-icon)"[^>]*href="([^"]+)"', html)
    assert len(links) >= 2
    for href in links:
        assert href.startswith(settings.STATIC_URL)  # no remote asset
        assert finders.find(href[len(settings.STATIC_URL):]) is not None


def test_the_home_page_names_the_site_once_in_its_title(client, announcement):
    home_title = re.search(r"<title>(.*?)</title>", client.get("/").content.decode(), re.S).group(1).strip()
    assert home_title == "Child Welfare Workforce Academy"
    page_title = re.search(r"<title>(.*?)</title>", client.get(announcement.url).content.decode(), re.S).group(1)
    assert page_title.strip() == "2025 supervisor training opens · Child Welfare Workforce Academy"
