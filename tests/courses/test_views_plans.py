"""The training plan pages: administrators plan the tier their region organises, inside their scope."""
import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from academy.jobs import JOB_INTERRUPTED
from academy.organisation.models import PostKind, Region
from courses.models import PlanAssignment, PlanAssignmentJob, TrainingPlan
from courses.plans import plan_defaults
from courses.years import training_year
from tests.factories import PostFactory, RegionFactory, user_with_role

YEAR = training_year()


def make_plan(*, organiser="330102", post_kind=PostKind.CHILD_DIRECTOR, year=YEAR, title=None) -> TrainingPlan:
    return TrainingPlan.objects.create(
        year=year, post_kind=post_kind, organiser_region=Region.objects.get(code=organiser),
        title=title or f"{organiser} {post_kind} {year}", min_credit_hours=Decimal(4), **plan_defaults(year),
    )


def form_data(**overrides) -> dict:
    data = {"year": YEAR, "post_kind": PostKind.CHILD_DIRECTOR, "title": "", "min_credit_hours": "8",
            "opens_on": "", "deadline": "", "join_cutoff": "", "leave_cutoff": ""}
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


@pytest.fixture
def county_admin(db, client):
    user = user_with_role("county_admin")  # 上城区 330102
    client.force_login(user)
    return user


@pytest.fixture
def home_director(db):
    village = RegionFactory(
        code="330102001901", name="清波一村", level="village", parent=Region.objects.get(code="330102001"),
        is_synthetic=True,
    )
    return PostFactory(kind=PostKind.CHILD_DIRECTOR, region=village, start_date=datetime.date(2020, 1, 1)).person


@pytest.mark.django_db
def test_anonymous_visitors_sign_in_and_trainees_are_refused(client):
    plan = make_plan()
    response = client.get(reverse("courses:plan_list"))
    assert response.status_code == 302 and "login" in response["Location"]
    client.force_login(user_with_role("trainee"))
    for url in (reverse("courses:plan_list"), reverse("courses:plan_create"),
                reverse("courses:plan_detail", args=[plan.pk]), reverse("courses:plan_edit", args=[plan.pk])):
        assert client.get(url).status_code == 403
    assert client.post(reverse("courses:plan_assign", args=[plan.pk])).status_code == 403


def test_a_county_administrator_lists_their_county_plans_this_year_and_earlier(client, county_admin):
    make_plan(title="上城区今年计划")
    make_plan(year=YEAR - 1, title="上城区去年计划")
    make_plan(organiser="330105", title="拱墅区今年计划")
    make_plan(organiser="3301", post_kind=PostKind.CHILD_SUPERVISOR, title="杭州市督导计划")
    response = client.get(reverse("courses:plan_list"))
    page = response.content.decode()
    assert "上城区今年计划" in page and "上城区去年计划" in page
    assert "拱墅区今年计划" not in page and "杭州市督导计划" not in page
    assert [plan.title for plan in response.context["current_plans"]] == ["上城区今年计划"]


def test_a_county_administrator_cannot_open_or_change_another_countys_plan(client, county_admin, home_director):
    other = make_plan(organiser="330105")
    assert client.get(reverse("courses:plan_detail", args=[other.pk])).status_code == 404
    assert client.get(reverse("courses:plan_edit", args=[other.pk])).status_code == 404
    assert client.post(reverse("courses:plan_edit", args=[other.pk]), form_data(title="改")).status_code == 404
    assert client.post(reverse("courses:plan_assign", args=[other.pk])).status_code == 404
    other.refresh_from_db()
    assert other.title != "改" and other.assigned_at is None


def test_a_county_administrator_creates_a_director_plan_with_the_usual_days(
    client, county_admin, home_director, django_capture_on_commit_callbacks
):
    response = client.get(reverse("courses:plan_create"))
    assert [value for value, _label in response.context["form"].fields["post_kind"].choices] == [
        PostKind.CHILD_DIRECTOR
    ]
    assert "organiser_region" not in response.context["form"].fields
    # The joiner and leaver rule is explained on the form, whatever the language.
    assert str(response.context["form"].fields["join_cutoff"].help_text) in response.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("courses:plan_create"), form_data())
    plan = TrainingPlan.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("courses:plan_detail", args=[plan.pk])
    assert plan.organiser_region_id == "330102" and plan.created_by == county_admin
    assert (plan.opens_on, plan.deadline, plan.join_cutoff, plan.leave_cutoff) == (
        datetime.date(YEAR, 1, 1), datetime.date(YEAR, 11, 30), datetime.date(YEAR, 9, 30), datetime.date(YEAR, 11, 30)
    )
    assert plan.title
    assert list(PlanAssignment.objects.filter(plan=plan).values_list("person_id", flat=True)) == [home_director.pk]

    detail = client.get(response["Location"])
    assert detail.context["counts"].required == 1
    assert detail.context["rule_text"] in detail.content.decode()
    assert reverse("courses:plan_edit", args=[plan.pk]) in detail.content.decode()


def test_a_county_administrator_cannot_create_a_supervisor_plan(client, county_admin):
    response = client.post(reverse("courses:plan_create"), form_data(post_kind=PostKind.CHILD_SUPERVISOR))
    assert response.status_code == 200
    assert "post_kind" in response.context["form"].errors
    assert not TrainingPlan.objects.exists()


def test_a_second_plan_for_the_same_year_and_tier_is_refused(client, county_admin):
    make_plan()
    response = client.post(reverse("courses:plan_create"), form_data())
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert TrainingPlan.objects.count() == 1


def test_a_plan_needs_a_requirement_and_cut_offs_in_the_window(client, county_admin):
    response = client.post(
        reverse("courses:plan_create"), form_data(min_credit_hours="", join_cutoff=f"{YEAR}-12-20")
    )
    form = response.context["form"]
    assert form.non_field_errors() and "join_cutoff" in form.errors
    assert not TrainingPlan.objects.exists()


def test_editing_a_plan_reassigns_under_the_new_rule(
    client, county_admin, home_director, django_capture_on_commit_callbacks
):
    plan = make_plan()
    home_director.posts.update(start_date=datetime.date(YEAR, 10, 15))  # joined after the 30 September cut-off
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("courses:plan_assign", args=[plan.pk]))
    assert not PlanAssignment.objects.filter(plan=plan).exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("courses:plan_edit", args=[plan.pk]),
            form_data(year=None, post_kind=None, title="新标题", join_cutoff=f"{YEAR}-10-31"),
        )
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.title == "新标题" and plan.join_cutoff == datetime.date(YEAR, 10, 31)
    assert plan.post_kind == PostKind.CHILD_DIRECTOR and plan.year == YEAR
    assert PlanAssignment.objects.filter(plan=plan, person=home_director).exists()


def test_run_now_is_a_post(client, county_admin):
    plan = make_plan()
    assert client.get(reverse("courses:plan_assign", args=[plan.pk])).status_code == 405


def test_with_the_broker_down_run_now_answers_and_the_plan_page_says_it_starts_later(
    client, county_admin, home_director, dead_broker,
):
    plan = make_plan()
    response = client.post(reverse("courses:plan_assign", args=[plan.pk]))

    assert response.status_code == 302
    job = PlanAssignmentJob.objects.get(plan=plan)
    assert job.status == PlanAssignmentJob.Status.PENDING and job.is_unqueued and job.requested_by == county_admin
    page = client.get(reverse("courses:plan_detail", args=[plan.pk])).content.decode()
    assert "后台服务暂时无法连接：您的请求已保存，服务恢复后自动开始" in page
    assert reverse("courses:plan_assignment_status", args=[job.pk]) in page


def test_a_failed_assignment_is_shown_with_its_reason_and_retried_from_the_plan_page(
    client, county_admin, home_director, django_capture_on_commit_callbacks,
):
    plan = make_plan()
    job = PlanAssignmentJob.objects.create(
        plan=plan, status=PlanAssignmentJob.Status.FAILED, failure_message=JOB_INTERRUPTED,
    )
    page = client.get(reverse("courses:plan_detail", args=[plan.pk])).content.decode()
    assert "分配中途停止" in page and "后台任务中断（处理它的进程已停止），可以重试。" in page
    retry_url = reverse("courses:plan_assignment_retry", args=[job.pk])
    assert f'action="{retry_url}"' in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(retry_url)
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == PlanAssignmentJob.Status.DONE
    assert PlanAssignment.objects.filter(plan=plan, person=home_director).count() == 1
    status = client.get(reverse("courses:plan_assignment_status", args=[job.pk])).json()
    assert (status["status"], status["processed_rows"], status["total_rows"]) == ("done", 1, 1)


@pytest.mark.django_db
def test_an_administrator_who_only_sees_a_plan_cannot_retry_its_assignment(client):
    plan = make_plan()  # 上城区's
    job = PlanAssignmentJob.objects.create(plan=plan, status=PlanAssignmentJob.Status.FAILED)
    client.force_login(user_with_role("city_admin"))  # 杭州市 sees its counties' plans, leaves them to the county
    page = client.get(reverse("courses:plan_detail", args=[plan.pk])).content.decode()
    assert "/retry/" not in page
    assert client.post(reverse("courses:plan_assignment_retry", args=[job.pk])).status_code == 404
    assert PlanAssignmentJob.objects.get(pk=job.pk).status == PlanAssignmentJob.Status.FAILED


@pytest.mark.django_db
def test_a_city_administrator_sees_its_counties_plans_but_leaves_them_to_the_county(client):
    client.force_login(user_with_role("city_admin"))  # 杭州市
    county_plan = make_plan()
    far_plan = make_plan(organiser="330203")  # 海曙区, 宁波市
    assert client.get(reverse("courses:plan_detail", args=[far_plan.pk])).status_code == 404
    detail = client.get(reverse("courses:plan_detail", args=[county_plan.pk]))
    assert detail.status_code == 200 and detail.context["can_manage"] is False
    assert client.get(reverse("courses:plan_edit", args=[county_plan.pk])).status_code == 404
    response = client.get(reverse("courses:plan_create"))
    assert [value for value, _label in response.context["form"].fields["post_kind"].choices] == [
        PostKind.CHILD_SUPERVISOR
    ]


@pytest.mark.django_db
def test_a_system_administrator_chooses_an_organiser_of_the_tiers_level(client):
    client.force_login(user_with_role("system_admin"))
    response = client.post(
        reverse("courses:plan_create"), form_data(post_kind=PostKind.CHILD_SUPERVISOR, organiser_region="330102")
    )
    assert "organiser_region" in response.context["form"].errors  # supervisors are trained by a city
    response = client.post(
        reverse("courses:plan_create"), form_data(post_kind=PostKind.CHILD_SUPERVISOR, organiser_region="3301")
    )
    assert response.status_code == 302
    assert TrainingPlan.objects.get().organiser_region_id == "3301"
