"""Mainland mobile numbers as people type them on a phone (issue 13): one rule, academy.accounts.phone."""
import pytest
from allauth.account.adapter import get_adapter
from django.core.exceptions import ValidationError
from django.utils import translation

from academy.accounts import phone
from academy.organisation.forms import PersonForm
from academy.organisation.models import Person


@pytest.mark.parametrize("typed", [
    "13912345678", "+86 139 1234 5678", "+8613912345678", "8613912345678", "86 139-1234-5678", "0086 13912345678",
    "139-1234-5678", "１３９１２３４５６７８", "＋８６　１３９１２３４５６７８", "139 1234 5678",
])
def test_the_ways_people_write_a_mobile_number_all_read_as_one(typed):
    assert phone.normalise(typed) == "13912345678"
    assert phone.is_valid(typed)


@pytest.mark.parametrize("typed, says", [
    ("1391234567", "You typed 10 digits."),
    ("139123456789", "You typed 12 digits."),
    ("23912345678", "This one starts with 2."),
    ("139l2345678", "Type only digits"),
])
def test_a_wrong_number_is_told_what_to_fix(typed, says):
    with translation.override("en"), pytest.raises(ValidationError) as error:
        phone.validate(typed)
    assert says in error.value.messages[0]


def test_every_box_for_a_mobile_number_opens_the_number_pad(db):
    boxes = [
        str(PersonForm(instance=Person(), can_edit_id_number=False)["mobile"]),
        get_adapter().phone_form_field(required=True).widget.render("phone", ""),
    ]
    for box in boxes:
        assert 'type="tel"' in box and 'inputmode="numeric"' in box


@pytest.mark.parametrize("typed", ["1391234567", "23912345678", "139l2345678"])
def test_the_problem_reads_as_chinese_without_a_western_space_between_its_sentences(typed):
    with translation.override("zh-hans"):
        message = phone.problem(typed)
    assert message.startswith("手机号码为以1开头的11位数字。") and "。 " not in message
