"""Issue 4 §5: a county administrator sees their county's director coverage on a desktop, drills down to a
township and finds a named director not yet trained; that director completes the required course on a
phone; the administrator reloads and the township's figure has gone up and the director has left the list.
The pages are then looked at on a phone as well.

The plan is assigned by the real job (courses.plans.plan_assign) and the coverage counts move only through
the app's own path: the lesson page's heartbeats complete the lesson, which writes the training record and
refreshes the plan's statuses. The text lesson asks for 3 s of study instead of a minute (see
test_learning.short_study_time).
"""
import datetime

import pytest

from academy.organisation.models import PostKind, Region
from academy.organisation.services import village_create
from courses.models import CourseIndexPage, CoursePage, LessonPage, PlanAssignment, PlanStatus, TrainingPlan
from courses.plans import plan_assign
from courses.years import training_year
from tests.factories import UserFactory

from .helpers import console_problems, roster_trainee, sign_in
from .test_learning import STUDY_SECONDS, short_study_time  # noqa: F401 (a fixture)

ADMIN_MOBILE = "13957100009"
ADMIN_PASSWORD = "county-admin-secret-phrase"
COURSE_TITLE = "儿童主任年度必修课"
# The director who trains during the test, in 北山街道.
TRAINEE_NAME = "李春燕"
TRAINEE_MOBILE = "13957100001"
BEISHAN, XIXI = "330106002", "330106004"  # two townships of 西湖区


@pytest.fixture
def xihu_directors(zhejiang_regions):
    """Five child directors of 西湖区 in three villages under two townships (three in 北山街道, two in
    西溪街道), and the county's administrator."""
    beishan = Region.objects.get(code=BEISHAN)
    xixi = Region.objects.get(code=XIXI)
    baoshishan = village_create(township=beishan, code=f"{BEISHAN}201", name="宝石山村")
    qixialing = village_create(township=beishan, code=f"{BEISHAN}202", name="栖霞岭村")
    xixi_village = village_create(township=xixi, code=f"{XIXI}201", name="西溪村")
    directors = [
        (TRAINEE_NAME, TRAINEE_MOBILE, baoshishan),
        ("王丽华", "13957100002", baoshishan),
        ("赵晓梅", "13957100003", qixialing),
        ("陈建国", "13957100004", xixi_village),
        ("孙丽娟", "13957100005", xixi_village),
    ]
    people = [
        roster_trainee(name=name, mobile=mobile, kind=PostKind.CHILD_DIRECTOR, region=village).person
        for name, mobile, village in directors
    ]
    UserFactory(phone=ADMIN_MOBILE, admin_region=Region.objects.get(code="330106"), password=ADMIN_PASSWORD)
    return people


@pytest.fixture
def director_plan(site_home, xihu_directors):
    """西湖区's plan of this year for its child directors, requiring one course of one short text lesson,
    assigned by the real job."""
    catalogue = site_home.add_child(instance=CourseIndexPage(title="课程", slug="courses"))
    course = catalogue.add_child(instance=CoursePage(
        title=COURSE_TITLE, slug="director-annual", summary="儿童主任每年必修：职责与强制报告。",
        audience=[PostKind.CHILD_DIRECTOR], credit_hours=2, pass_mark=60, lessons_in_order=True,
    ))
    course.add_child(instance=LessonPage(
        title="强制报告", slug="mandatory-reporting", min_study_minutes=1,
        body=[("paragraph", "<p>发现儿童遭受或者疑似遭受侵害，应当立即向公安、民政、教育等部门报告。</p>")],
    ))
    year = training_year()
    # The whole calendar year, so that the test passes on any day of it (the usual deadline is 30 November).
    plan = TrainingPlan.objects.create(
        year=year, post_kind=PostKind.CHILD_DIRECTOR, organiser_region=Region.objects.get(code="330106"),
        title=f"西湖区{year}年儿童主任培训计划", opens_on=datetime.date(year, 1, 1),
        deadline=datetime.date(year, 12, 31), join_cutoff=datetime.date(year, 9, 30),
        leave_cutoff=datetime.date(year, 12, 31),
    )
    plan.required_courses.set([course])
    summary = plan_assign(plan=plan)
    assert summary.required == len(xihu_directors)
    return plan


def figures(page) -> dict[str, str]:
    """The coverage page's headline figure: its rate badge and its four counts."""
    total = page.locator("section.coverage-total")
    result = {"rate": total.locator("[data-coverage-rate]").inner_text().strip()}
    for name in ("required", "completed", "in_progress", "not_started"):
        result[name] = total.locator(f"dd[data-figure={name}]").inner_text().strip()
    return result


def region_row(page, code) -> list[str]:
    """A row of the coverage table: region, required, completed, in progress, not started, rate."""
    return [cell.strip() for cell in page.locator(f"tr[data-region='{code}'] td").all_inner_texts()]


def untrained_names(page) -> set[str]:
    return set(page.locator("table.untrained-list td.person-name").all_inner_texts())


def assert_fits_phone(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_coverage_changes_when_a_director_completes_the_course(
    live_server, short_study_time, director_plan, desktop_page, phone_page, screenshot  # noqa: F811
):
    admin, trainee = desktop_page, phone_page
    admin_problems = console_problems(admin)
    trainee_problems = console_problems(trainee)
    year = director_plan.year

    # The administrator opens the coverage pages and the directors' tier: nobody of the county trained yet.
    sign_in(admin, live_server.url, ADMIN_MOBILE, ADMIN_PASSWORD)
    admin.goto(live_server.url + "/coverage/")
    directors_card = admin.locator("a.coverage-tier[href^='/coverage/child_director/']")
    assert directors_card.locator("[data-tier=child_director]").inner_text().strip() == "0% / 100%"
    screenshot(admin, "coverage-1-home-desktop")
    with admin.expect_navigation():
        directors_card.click()
    assert admin.url == f"{live_server.url}/coverage/child_director/?year={year}"
    assert "西湖区" in admin.locator("h1").inner_text()
    assert figures(admin) == {"rate": "0% / 100%", "required": "5", "completed": "0", "in_progress": "0", "not_started": "5"}
    assert region_row(admin, BEISHAN)[:5] == ["北山街道", "3", "0", "0", "3"]
    assert region_row(admin, XIXI)[:5] == ["西溪街道", "2", "0", "0", "2"]
    assert director_plan.title in admin.locator("section[aria-labelledby=plans-title]").inner_text()
    screenshot(admin, "coverage-2-county-desktop")

    # Down to 北山街道, then its people not yet trained: the director who is about to train is among them.
    with admin.expect_navigation():
        admin.locator(f"tr[data-region='{BEISHAN}'] td a").click()
    assert admin.url == f"{live_server.url}/coverage/child_director/{BEISHAN}/?year={year}"
    assert figures(admin)["required"] == "3"
    assert figures(admin)["completed"] == "0"
    assert region_row(admin, f"{BEISHAN}201")[:3] == ["宝石山村", "2", "0"]
    screenshot(admin, "coverage-3-township-desktop")
    township_url = admin.url
    with admin.expect_navigation():
        admin.locator("section.coverage-total a.button:not(.secondary)").click()
    assert untrained_names(admin) == {TRAINEE_NAME, "王丽华", "赵晓梅"}
    trainee_row = admin.locator("table.untrained-list tr", has=admin.locator("td.person-name", has_text=TRAINEE_NAME))
    assert "宝石山村" in trainee_row.inner_text()
    assert trainee_row.locator(".badge-bad").is_visible()  # not started
    screenshot(admin, "coverage-4-untrained-desktop")
    untrained_url = admin.url

    # The director, on a phone: My learning shows the plan; the course is offered for their post.
    sign_in(trainee, live_server.url, TRAINEE_MOBILE)
    trainee.locator("details.menu summary").click()
    with trainee.expect_navigation():
        trainee.locator(".menu-panel a[href='/learn/']").click()
    obligation = trainee.locator("article.plan-obligation")
    assert obligation.locator("h3").inner_text() == director_plan.title
    assert COURSE_TITLE in obligation.inner_text()
    assert obligation.locator(".badge-ok").count() == 0
    screenshot(trainee, "coverage-5-my-learning-phone")
    # The plan requires the course, so it is among the courses assigned to her (issue 13), not the optional ones.
    course_card = trainee.locator("section[aria-labelledby=assigned-title] .course-card", has_text=COURSE_TITLE)
    with trainee.expect_navigation():
        course_card.locator(".course-go a.button").click()
    assert trainee.locator("h1").inner_text() == "强制报告"

    # Opening the lesson puts the plan in progress; the page's heartbeats complete it.
    assert PlanAssignment.objects.get(plan=director_plan, person__name=TRAINEE_NAME).status == PlanStatus.IN_PROGRESS
    trainee.locator("[data-lesson-next]").wait_for(state="visible", timeout=STUDY_SECONDS * 1000 + 10000)
    screenshot(trainee, "coverage-6-lesson-complete-phone")
    trainee.goto(live_server.url + "/learn/")
    assert obligation.locator(".badge-ok").is_visible()
    assert "✓" in obligation.locator(".obligation-steps").inner_text()

    # The administrator reloads: one of 北山街道's three is trained, and she has left the untrained list.
    admin.goto(township_url)
    assert figures(admin) == {
        "rate": "33.3% / 100%", "required": "3", "completed": "1", "in_progress": "0", "not_started": "2",
    }
    assert region_row(admin, f"{BEISHAN}201")[:3] == ["宝石山村", "2", "1"]
    screenshot(admin, "coverage-7-township-after-desktop")
    admin.goto(untrained_url)
    assert untrained_names(admin) == {"王丽华", "赵晓梅"}
    screenshot(admin, "coverage-8-untrained-after-desktop")
    # Among everyone required, she is shown as completed.
    admin.goto(untrained_url + "&status=all")
    trainee_row = admin.locator("table.untrained-list tr", has=admin.locator("td.person-name", has_text=TRAINEE_NAME))
    assert trainee_row.locator(".badge-ok").is_visible()
    # The county: 1 of 5, and 西溪街道 unchanged.
    admin.goto(f"{live_server.url}/coverage/child_director/?year={year}")
    assert figures(admin)["rate"] == "20% / 100%"
    assert region_row(admin, BEISHAN)[:6] == ["北山街道", "3", "1", "0", "2", "33.3%"]
    assert region_row(admin, XIXI)[:3] == ["西溪街道", "2", "0"]

    # The same pages on a phone, the administrator signed in there instead of the director.
    trainee.context.clear_cookies()
    sign_in(trainee, live_server.url, ADMIN_MOBILE, ADMIN_PASSWORD)
    for url, name in [
        (f"{live_server.url}/coverage/", "coverage-9-home-phone"),
        (f"{live_server.url}/coverage/child_director/?year={year}", "coverage-10-county-phone"),
        (township_url, "coverage-11-township-phone"),
        (untrained_url, "coverage-12-untrained-phone"),
    ]:
        trainee.goto(url)
        assert_fits_phone(trainee)
        screenshot(trainee, name)
    assert untrained_names(trainee) == {"王丽华", "赵晓梅"}

    assert admin_problems == []
    assert trainee_problems == []
