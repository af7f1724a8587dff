"""Mainland mobile numbers as people type them on a phone (issue 13): one rule, academy.accounts.phone."""
import time
from html.parser import HTMLParser

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from academy.accounts import phone
from academy.accounts.models import MobileChange
from academy.accounts.services import account_for_person
from academy.accounts.wechat.binding import PENDING_SESSION_KEY
from academy.organisation.models import Region
from tests.factories import PersonFactory, PostFactory, user_with_role


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


class Inputs(HTMLParser):
    """The <input> elements of a page, by name, and the text of each <label>, by the id it is for."""

    def __init__(self, html: str):
        super().__init__()
        self.inputs, self.labels, self._label_for = {}, {}, None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name"):
            self.inputs[attrs["name"]] = attrs
        elif tag == "label":
            self._label_for = attrs.get("for")

    def handle_endtag(self, tag):
        if tag == "label":
            self._label_for = None

    def handle_data(self, data):
        if self._label_for:
            self.labels[self._label_for] = self.labels.get(self._label_for, "") + data.strip()


def _sign_in_page(client):
    return client.get(reverse("account_login"))


def _code_request_page(client):
    return client.get(reverse("account_request_login_code"))


def _wechat_binding_page(client):
    session = client.session
    session[PENDING_SESSION_KEY] = {"uid": "u-1", "data": {}, "at": time.time()}
    session.save()
    return client.get(reverse("accounts:wechat_bind"))


def _person_edit_page(client):
    post = PostFactory(person__mobile="13912345678", region=Region.objects.get(code="330102001"))
    client.force_login(user_with_role("county_admin"))
    return client.get(reverse("organisation:person_edit", args=[post.person.pk]))


def _mobile_change_page(client):
    user = account_for_person(person=PersonFactory(mobile="13912345678"))
    now = timezone.now()
    MobileChange.objects.create(user=user, phone="13987654321", requested_at=now, code_digest="-", code_sent_at=now)
    client.force_login(user)
    return client.get(reverse("accounts:mobile_change"))


# Every page with a box for a mobile number (issue 13), and the name of the box: the sign-in and code-request
# pages in their first, mobile-number form; WeChat binding; an administrator's edit of a person (the roster's
# one form with a mobile number: the import takes a spreadsheet). /me/mobile/ has none: the new number was
# entered by an administrator, and the holder types only the code sent to it.
PAGES_WITH_A_MOBILE_BOX = [
    (_sign_in_page, "login"),
    (_code_request_page, "login"),
    (_wechat_binding_page, "login"),
    (_person_edit_page, "mobile"),
    (_mobile_change_page, None),
]


@pytest.mark.parametrize("page, name", PAGES_WITH_A_MOBILE_BOX, ids=lambda value: getattr(value, "__name__", value))
def test_every_box_for_a_mobile_number_opens_the_number_pad(client, db, page, name):
    response = page(client)
    assert response.status_code == 200
    inputs = Inputs(response.content.decode())
    mobile_boxes = {
        input_name: attrs for input_name, attrs in inputs.inputs.items()
        if "mobile" in inputs.labels.get(attrs.get("id"), "").lower()
    }
    assert list(mobile_boxes) == ([name] if name else [])
    for attrs in mobile_boxes.values():
        assert attrs.get("type") == "tel" and attrs.get("autocomplete") == "tel"
        assert inputs.labels[attrs["id"]] == "Mobile number"


@pytest.mark.parametrize("typed", ["1391234567", "23912345678", "139l2345678"])
def test_the_problem_reads_as_chinese_without_a_western_space_between_its_sentences(typed):
    with translation.override("zh-hans"):
        message = phone.problem(typed)
    assert message.startswith("手机号码为以1开头的11位数字。") and "。 " not in message
