import pytest
from django.test import RequestFactory

from academy.accounts.adapters import AccountAdapter
from tests.factories import UserFactory


@pytest.fixture
def adapter():
    return AccountAdapter()


@pytest.mark.parametrize("written", ["13912345678", "+8613912345678", "+86 139 1234 5678", "0086-139-1234-5678"])
def test_phone_numbers_are_normalised(adapter, written):
    assert adapter.clean_phone(written) == "13912345678"


def test_phone_form_field_accepts_mainland_mobiles_only(adapter):
    field = adapter.phone_form_field(required=True)
    assert field.clean("+86 139 1234 5678") == "13912345678"
    with pytest.raises(Exception, match="11 digits"):
        field.clean("0571-8888888")


def test_get_user_by_phone_finds_the_active_account(adapter, db):
    user = UserFactory(phone="13912345678")
    assert adapter.get_user_by_phone("+86 139-1234-5678") == user
    assert adapter.get_user_by_phone("13800000000") is None


def test_get_user_by_phone_ignores_inactive_accounts(adapter, db):
    UserFactory(phone="13912345678", is_active=False)
    assert adapter.get_user_by_phone("13912345678") is None


def test_nobody_signs_up(adapter):
    assert adapter.is_open_for_signup(RequestFactory().get("/")) is False


def test_a_number_not_on_the_roster_gets_no_text(adapter, sms_outbox):
    adapter.send_unknown_account_sms("13800000000")
    assert sms_outbox == []


def test_codes_are_six_digits(adapter):
    codes = {adapter.generate_phone_verification_code(user=None, phone="13912345678") for _ in range(20)}
    assert all(len(code) == 6 and code.isdigit() for code in codes)
    assert len(codes) > 1


def test_failed_logins_are_counted_per_mobile_number(adapter):
    request = RequestFactory().get("/")
    first = adapter._get_login_attempts_cache_key(request, phone="13912345678")
    same = adapter._get_login_attempts_cache_key(request, phone="+86 139 1234 5678")
    other = adapter._get_login_attempts_cache_key(request, phone="13700001111")
    assert first == same != other
