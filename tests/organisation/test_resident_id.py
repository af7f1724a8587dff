import pytest

from academy.organisation import resident_id
from tests.factories import make_id_number


@pytest.fixture(autouse=True)
def _english(settings):
    """The messages are asserted in English, their source language; Chinese is the default."""
    settings.LANGUAGE_CODE = "en"


@pytest.mark.parametrize(
    "number",
    # The national standard's own example, and two computed by hand.
    ["11010519491231002X", "440524188001010014", "330102198001010018"],
)
def test_known_good_numbers_pass(number):
    assert resident_id.validation_error(number) is None


def test_lower_case_x_is_accepted():
    assert resident_id.validation_error("11010519491231002x") is None


def test_full_width_digits_and_spaces_are_read_as_the_number_they_show():
    number = make_id_number()
    typed = " ".join([number[:6], number[6:14], number[14:]]).translate(
        {ord(c): ord(c) + 0xFEE0 for c in "0123456789X"}
    )
    assert resident_id.validation_error(typed) is None
    assert resident_id.normalise(typed) == number


def test_wrong_check_character_is_rejected():
    good = make_id_number()
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    assert "check character" in resident_id.validation_error(wrong)


@pytest.mark.parametrize("value", ["3.30102E+17", "3.30102199001011E17", "3.3010219900101E+17"])
def test_scientific_notation_is_rejected_with_a_spreadsheet_hint(value):
    message = resident_id.validation_error(value)
    assert "spreadsheet" in message and value.upper() in message


@pytest.mark.parametrize("value", ["", "123", "33010219800101001", "3301021980010100133", "33010219800101001A"])
def test_wrong_shape_is_rejected(value):
    assert resident_id.validation_error(value) is not None


def test_impossible_birth_date_is_rejected():
    first = "330102" + "19800230" + "001"
    assert "birth date" in resident_id.validation_error(first + resident_id.check_character(first))


def test_mask_keeps_region_and_last_four():
    assert resident_id.mask("330102198001010018") == "330102********0018"


def test_encryption_round_trip_and_digest_hides_the_number(settings):
    settings.PERSONAL_DATA_KEYS = ["k1"]
    number = make_id_number()
    token = resident_id.encrypt(number)
    assert number not in token
    assert resident_id.decrypt(token) == number
    assert resident_id.digest(number) == resident_id.digest(number.lower())
    assert number not in resident_id.digest(number)
