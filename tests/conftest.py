import pytest

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
