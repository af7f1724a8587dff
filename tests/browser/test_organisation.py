"""Issue 2 §7: a county administrator sees only their county's people: in the list, through search and at a
guessed address. On a desktop and on a phone."""
import datetime

import pytest

from academy.organisation.models import PostKind, Region, Sex
from academy.organisation.services import village_create
from tests.factories import UserFactory, make_id_number

from .helpers import console_problems, roster_trainee, sign_in

ADMIN_MOBILE = "13957100009"
ADMIN_PASSWORD = "county-admin-secret-phrase"


@pytest.fixture
def xihu_and_shangcheng(zhejiang_regions):
    """Three people of 西湖区 (330106), whose administrator signs in, and one of 上城区 (330102)."""
    xihu_village = village_create(township=Region.objects.get(code="330106002"), code="330106002201", name="宝石山村")
    shangcheng_village = village_create(township=Region.objects.get(code="330102001"), code="330102001201", name="清波村")
    inside = [
        roster_trainee(name="王丽华", mobile="13957100011", kind=PostKind.CHILD_DIRECTOR, region=xihu_village).person,
        roster_trainee(
            name="陈建国", mobile="13957100012", kind=PostKind.CHILD_SUPERVISOR,
            region=Region.objects.get(code="330106004"), sex=Sex.MALE,
        ).person,
        roster_trainee(
            name="赵晓梅", mobile="13957100013", kind=PostKind.CHILD_DIRECTOR, region=xihu_village,
            start_date=datetime.date(2024, 3, 1),
        ).person,
    ]
    outside_id_number = make_id_number("330102", born=datetime.date(1979, 6, 1), serial=412)
    outside = roster_trainee(
        name="孙丽娟", mobile="13957100021", kind=PostKind.CHILD_DIRECTOR, region=shangcheng_village,
        id_number=outside_id_number,
    ).person
    administrator = UserFactory(
        phone=ADMIN_MOBILE, admin_region=Region.objects.get(code="330106"), password=ADMIN_PASSWORD
    )
    return inside, outside, outside_id_number, administrator


def people_listed(page) -> set[str]:
    return set(page.locator("table.people td.person-name a").all_inner_texts())


def search(page, text):
    page.locator("#id_q").fill(text)
    with page.expect_navigation():
        page.locator(".search-row button[type=submit]").click()


@pytest.mark.parametrize("viewport", ["desktop_page", "phone_page"])
def test_county_administrator_sees_only_their_county(request, viewport, live_server, xihu_and_shangcheng, screenshot):
    inside, outside, outside_id_number, _administrator = xihu_and_shangcheng
    device = viewport.removesuffix("_page")
    page = request.getfixturevalue(viewport)
    problems = console_problems(page)

    sign_in(page, live_server.url, ADMIN_MOBILE, ADMIN_PASSWORD)
    assert page.url == live_server.url + "/me/"
    assert "西湖区" in page.locator(".manage-box").inner_text()
    with page.expect_navigation():
        page.locator(".manage-box a[href='/manage/people/']").click()

    # The list: everyone of 西湖区, nobody of 上城区.
    assert page.url == live_server.url + "/manage/people/"
    assert people_listed(page) == {person.name for person in inside}
    assert outside.name not in page.content()
    screenshot(page, f"organisation-people-{device}")

    # Searching for the person of 上城区, by name and by resident ID number, finds nothing.
    search(page, outside.name)
    assert people_listed(page) == set()
    assert page.locator("p.card.muted").is_visible()  # "nobody in your area matches"
    screenshot(page, f"organisation-people-search-outside-{device}")
    search(page, outside_id_number)
    assert people_listed(page) == set()
    assert outside_id_number not in page.url

    # Searching for part of a name in the county finds that person.
    search(page, "丽华")
    assert people_listed(page) == {"王丽华"}

    # A guessed address of the person of 上城区 is not found (asked with the page's cookies, so that the
    # expected 404 does not count among the console's errors).
    response = page.request.get(f"{live_server.url}/manage/people/{outside.pk}/")
    assert response.status == 404
    assert outside.name not in response.text()

    # A person of the county opens with their posts; the resident ID number stays masked.
    page.goto(live_server.url + "/manage/people/")
    with page.expect_navigation():
        page.get_by_role("link", name="陈建国").click()
    supervisor = next(person for person in inside if person.name == "陈建国")
    assert page.url == f"{live_server.url}/manage/people/{supervisor.pk}/"
    assert page.locator("h1").inner_text() == "陈建国"
    assert "西溪街道" in page.locator("table.data").inner_text()
    assert supervisor.id_number_masked in page.content()
    assert supervisor.id_number not in page.content()
    if device == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, f"organisation-person-{device}")
    assert problems == []
