import pytest
from wagtail.models import Collection, Locale, Page

from academy.organisation.regions import load_divisions


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The real Zhejiang divisions, loaded once for the whole session."""
    with django_db_blocker.unblock():
        load_divisions()


@pytest.fixture
def sms_outbox():
    from academy.accounts.sms import OutboxSMSBackend

    OutboxSMSBackend.outbox.clear()
    return OutboxSMSBackend.outbox


@pytest.fixture
def zhejiang_regions(transactional_db):
    """For transactional tests (browser, integration), whose flush removes the session's regions."""
    load_divisions()


@pytest.fixture
def wagtail_roots(transactional_db):
    """For transactional tests: the flush after each one removes what Wagtail's migrations created (the locale,
    the page tree's root, the root collection), so they are made again here when missing."""
    Locale.objects.get_or_create(language_code="zh-hans")
    if Page.get_first_root_node() is None:
        Page.add_root(instance=Page(title="Root", slug="root"))
    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")
