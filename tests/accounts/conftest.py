import pytest
from django.core.cache import cache

from academy.accounts.services import account_for_person
from tests.factories import PersonFactory


@pytest.fixture(autouse=True)
def _english_and_fresh_rate_limits(settings):
    """Pages are read in English (the msgids), and each test starts with no failed logins counted."""
    settings.LANGUAGE_CODE = "en"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def claimed_trainee(db):
    """A roster person whose account has been claimed: it has a password and an email address."""
    person = PersonFactory(name="王芳", mobile="13912345678")
    user = account_for_person(person=person)
    user.email = "wangfang@example.org"
    user.set_password("a-long-secret-phrase")
    user.save()
    return user


@pytest.fixture
def unclaimed_trainee(db):
    """A roster person whose account nobody has used yet: mobile number set, no usable password."""
    person = PersonFactory(name="李强", mobile="13700001111")
    return account_for_person(person=person)
