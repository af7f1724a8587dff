"""Issue 2 §7: a county administrator sees only their county's people: in the list, through search and at a
guessed address. On a desktop and on a phone."""
import csv
import datetime
import io

import pytest
from django.urls import reverse

from academy.organisation import roster
from academy.organisation.models import PostKind, Region, Sex
from academy.organisation.services import post_close, village_create
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


# Issue 12: an import never undoes a later change without saying so. ------------------------------------

IMPORT_ADMIN_MOBILE = "13957100031"


@pytest.fixture
def shangcheng_after_last_years_file(zhejiang_regions):
    """上城区 as changes made since last year's roster file left it: 陈静 left 清波村 on 2024-06-30 and 王强 is
    still the director of 清波村. Last year's file (written here) still has 陈静 at 清波村 and, edited since,
    moves 王强 to 柳浪村 and renames him 王强国. The administrator of 上城区 signs in."""
    township = Region.objects.get(code="330102001")
    qingbo = village_create(township=township, code="330102001201", name="清波村")
    village_create(township=township, code="330102001202", name="柳浪村")
    chen = roster_trainee(name="陈静", mobile="13957100032", kind=PostKind.CHILD_DIRECTOR, region=qingbo).person
    post_close(post=chen.posts.get(), end_date=datetime.date(2024, 6, 30), actor=None)
    wang = roster_trainee(
        name="王强", mobile="13957100033", kind=PostKind.CHILD_DIRECTOR, region=qingbo, sex=Sex.MALE,
    ).person
    UserFactory(phone=IMPORT_ADMIN_MOBILE, admin_region=Region.objects.get(code="330102"), password=ADMIN_PASSWORD)

    rows = [
        {"name": "陈静", "sex": "女", "id_number": chen.id_number, "mobile": "13957100032",
         "region_code": "330102001201", "start_date": "2023-01-01"},
        {"name": "王强国", "sex": "男", "id_number": wang.id_number, "mobile": "13957100033",
         "region_code": "330102001202", "start_date": "2024-07-01"},
    ]
    output = io.StringIO()
    writer = csv.writer(output)
    writer.writerow([column.heading for column in roster.COLUMNS])
    for row in rows:
        row = {"professional_category": "无", "post": "儿童主任", **row}
        writer.writerow([row.get(column.field, "") for column in roster.COLUMNS])
    return chen, wang, output.getvalue().encode("utf-8-sig")


def test_an_older_roster_file_lists_what_it_would_undo_and_reopens_only_by_choice(
    phone_page, live_server, shangcheng_after_last_years_file, screenshot, tmp_path,
):
    chen, wang, file_bytes = shangcheng_after_last_years_file
    page = phone_page
    problems = console_problems(page)
    upload = tmp_path / "上城区名册2023.csv"
    upload.write_bytes(file_bytes)

    sign_in(page, live_server.url, IMPORT_ADMIN_MOBILE, ADMIN_PASSWORD)
    page.goto(live_server.url + reverse("organisation:import_new"))
    page.locator("input[type=file]").set_input_files(str(upload))
    with page.expect_navigation():
        page.get_by_role("button", name="上传并检查").click()
    page.wait_for_selector("table.import-change-rows")  # the check runs in process: the page shows its end

    rows = page.locator("table.import-change-rows tbody tr").all_inner_texts()
    assert len(rows) == 3
    assert "重新开放已结束的岗位" in rows[0] and "结束日期2024-06-30" in rows[0] and chen.id_number_masked in rows[0]
    assert "姓名变更" in rows[1] and "王强国" in rows[1]
    assert "调动" in rows[2] and "清波村的岗位于前一天（2024-06-30）结束" in rows[2]
    assert chen.id_number not in page.content() and wang.id_number not in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "organisation-import-preview-phone")

    # Confirming without saying what becomes of the closed post is not possible: the browser asks first.
    page.get_by_role("button", name="确认导入").click()
    assert page.locator("input[name=reopen_closed_posts]:invalid").count() == 2
    assert "/confirm/" not in page.url

    page.get_by_label("保持结束：结束日期不变").check()
    with page.expect_navigation():
        page.get_by_role("button", name="确认导入").click()
    page.wait_for_selector("text=保持结束：结束日期2024-06-30")
    screenshot(page, "organisation-import-applied-phone")

    chen.refresh_from_db(), wang.refresh_from_db()
    assert chen.posts.get().end_date == datetime.date(2024, 6, 30)
    assert wang.name == "王强国"
    assert list(wang.posts.filter(end_date__isnull=True).values_list("region_id", flat=True)) == ["330102001202"]
    assert problems == []
