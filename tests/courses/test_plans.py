"""Training plans: who a plan requires, their statuses, the assignment job and the coverage it keeps."""
import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from academy.jobs import jobs_sweep
from academy.organisation import roster
from academy.organisation import services as organisation_services
from academy.organisation.models import PostKind, Region, RosterImport, RunLevel
from courses import plans
from courses.completion import course_completion_check
from courses.models import (
    CoverageCount, ExamAttempt, LessonPage, LessonProgress, PlanAssignment, PlanAssignmentJob, PlanStatus, TrainingPlan,
    TrainingRecord, TrainingSource,
)
from courses.sessions import AttendanceMark, attendance_mark
from courses.tasks import assign_current_year_plans, run_plan_assignment
from courses.years import training_year
from tests.races import race
from tests.factories import (
    InstitutionFactory, PersonFactory, PostFactory, RegionFactory, TrainingSessionFactory, UserFactory,
    make_id_number,
)

YEAR = training_year()
D = datetime.date


def day(month, number, year=YEAR):
    return D(year, month, number)


def village(township_code: str, suffix: str = "901") -> Region:
    return RegionFactory(
        code=township_code + suffix, name=f"村{township_code}{suffix}", level="village",
        parent=Region.objects.get(code=township_code), is_synthetic=True,
    )


def make_director(region, *, start=None, end=None, person=None):
    start = start or D(2020, 1, 1)
    post = PostFactory(
        person=person or PersonFactory(), kind=PostKind.CHILD_DIRECTOR, region=region, start_date=start, end_date=end
    )
    return post.person


def make_plan(
    *, post_kind=PostKind.CHILD_DIRECTOR, organiser="330102", year=YEAR, courses=(), **fields
) -> TrainingPlan:
    values = {**plans.plan_defaults(year), "min_credit_hours": Decimal(4), **fields}
    plan = TrainingPlan.objects.create(
        year=year, post_kind=post_kind, organiser_region=Region.objects.get(code=organiser), title=f"plan {year}",
        **values,
    )
    plan.required_courses.set(courses)
    return plan


def record(person, completed_on, *, hours=4, course=None, source=TrainingSource.ONLINE, counts=True, session=None):
    return TrainingRecord.objects.create(
        person=person, year=completed_on.year, source=source, course=course, session=session, title="培训",
        completed_on=completed_on, credit_hours=hours, counts_as_completion=counts,
    )


def assignments(plan) -> dict:
    return {
        assignment.person_id: (assignment.region_id, assignment.status)
        for assignment in PlanAssignment.objects.filter(plan=plan)
    }


def count(plan, code) -> tuple[int, int, int]:
    row = CoverageCount.objects.filter(plan=plan, region_id=code).first()
    return (row.not_started, row.in_progress, row.completed) if row else (0, 0, 0)


@pytest.fixture
def villages(db):
    """Two villages of 上城区 (one per township), one of 拱墅区 (same city), one of 海曙区 (another city)."""
    return {
        "home": village("330102001"),
        "home2": village("330102003"),
        "neighbour": village("330105001"),
        "far": village("330203001"),
    }


# --- Rules -----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_each_administrator_plans_only_the_tier_their_region_organises():
    county = UserFactory(admin_region=Region.objects.get(code="330102"))
    city = UserFactory(admin_region=Region.objects.get(code="3301"))
    province = UserFactory(admin_region=Region.objects.get(code="33"))
    system = UserFactory(is_superuser=True)
    trainee = UserFactory()
    assert plans.plannable_tiers(county) == [PostKind.CHILD_DIRECTOR]
    assert plans.plannable_tiers(city) == [PostKind.CHILD_SUPERVISOR]
    assert plans.plannable_tiers(province) == [PostKind.INSTITUTION_HEAD]
    assert set(plans.plannable_tiers(system)) == {
        PostKind.INSTITUTION_HEAD, PostKind.CHILD_SUPERVISOR, PostKind.CHILD_DIRECTOR
    }
    assert plans.plannable_tiers(trainee) == []


def test_the_usual_window_and_cut_offs():
    assert plans.plan_defaults(2027) == {
        "opens_on": D(2027, 1, 1), "deadline": D(2027, 11, 30),
        "join_cutoff": D(2027, 9, 30), "leave_cutoff": D(2027, 11, 30),
    }


@pytest.mark.django_db
def test_a_plan_is_organised_at_its_tiers_level_with_cut_offs_in_the_window_and_a_requirement():
    plan = TrainingPlan(
        year=YEAR, post_kind=PostKind.CHILD_SUPERVISOR, organiser_region=Region.objects.get(code="330102"),
        title="x", opens_on=day(1, 1), deadline=day(11, 30), join_cutoff=day(12, 15), leave_cutoff=day(11, 30),
    )
    with pytest.raises(ValidationError) as caught:
        plans.plan_validate(plan, required_course_ids=[])
    errors = caught.value.message_dict
    assert "organiser_region" in errors  # supervisors are trained by a city, not a county
    assert "join_cutoff" in errors
    assert errors["__all__"]  # no requirement

    plan.post_kind = PostKind.CHILD_DIRECTOR
    plan.join_cutoff = day(9, 30)
    plan.requires_face_to_face = True
    plans.plan_validate(plan, required_course_ids=[])  # now valid


@pytest.mark.django_db
def test_one_plan_per_year_tier_and_organiser():
    make_plan()
    with pytest.raises(ValidationError, match=str(YEAR)):
        plans.plan_create(
            year=YEAR, post_kind=PostKind.CHILD_DIRECTOR, organiser_region=Region.objects.get(code="330102"),
            min_credit_hours=Decimal(2), **plans.plan_defaults(YEAR),
        )
    # Next year, or the neighbouring county, is another plan.
    plans.plan_create(
        year=YEAR + 1, post_kind=PostKind.CHILD_DIRECTOR, organiser_region=Region.objects.get(code="330102"),
        min_credit_hours=Decimal(2), **plans.plan_defaults(YEAR + 1),
    )
    plans.plan_create(
        year=YEAR, post_kind=PostKind.CHILD_DIRECTOR, organiser_region=Region.objects.get(code="330105"),
        min_credit_hours=Decimal(2), **plans.plan_defaults(YEAR),
    )
    assert TrainingPlan.objects.count() == 3


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="two connections at once need PostgreSQL")
def test_two_administrators_making_the_countys_plan_at_once_make_one_plan(zhejiang_regions):
    # Both pass the check before either plan is saved; the database keeps the first, the second is told.
    def create():
        return plans.plan_create(
            year=YEAR, post_kind=PostKind.CHILD_DIRECTOR, organiser_region=Region.objects.get(code="330102"),
            min_credit_hours=Decimal(2), **plans.plan_defaults(YEAR),
        )

    first, second = race(create, create)
    assert isinstance(first, TrainingPlan)
    assert isinstance(second, ValidationError)
    assert second.message_dict == {"__all__": [f"上城区已有{YEAR}年度儿童主任培训计划。"]}
    assert TrainingPlan.objects.count() == 1


@pytest.mark.django_db
def test_a_county_plan_requires_its_own_directors_only(villages):
    home = make_director(villages["home"])
    home2 = make_director(villages["home2"])
    make_director(villages["neighbour"])
    make_director(villages["far"])
    PostFactory(kind=PostKind.CHILD_SUPERVISOR, region=Region.objects.get(code="330102001"))
    plan = make_plan()
    plans.plan_assign(plan=plan)
    assert assignments(plan) == {
        home.pk: (villages["home"].code, PlanStatus.NOT_STARTED),
        home2.pk: (villages["home2"].code, PlanStatus.NOT_STARTED),
    }


@pytest.mark.django_db
def test_a_city_plan_requires_the_supervisors_of_all_its_counties(villages):
    home = PostFactory(kind=PostKind.CHILD_SUPERVISOR, region=Region.objects.get(code="330102001")).person
    neighbour = PostFactory(kind=PostKind.CHILD_SUPERVISOR, region=Region.objects.get(code="330105001")).person
    PostFactory(kind=PostKind.CHILD_SUPERVISOR, region=Region.objects.get(code="330203001"))
    make_director(villages["home"])
    plan = make_plan(post_kind=PostKind.CHILD_SUPERVISOR, organiser="3301")
    plans.plan_assign(plan=plan)
    assert set(assignments(plan)) == {home.pk, neighbour.pk}


@pytest.mark.django_db
def test_the_province_plan_requires_institution_heads_of_every_run_level():
    heads = [
        PostFactory(kind=PostKind.INSTITUTION_HEAD, institution=InstitutionFactory(run_level=level)).person
        for level in RunLevel.values
    ]
    PostFactory(kind=PostKind.CARER, institution=InstitutionFactory())
    plan = make_plan(post_kind=PostKind.INSTITUTION_HEAD, organiser="33")
    plans.plan_assign(plan=plan)
    assert set(assignments(plan)) == {head.pk for head in heads}


@pytest.mark.django_db
def test_late_joiners_and_early_leavers_are_not_required(villages):
    place = villages["home"]
    plan = make_plan(join_cutoff=day(9, 30), leave_cutoff=day(6, 30))
    joined_on_cutoff = make_director(place, start=day(9, 30))
    joined_after = make_director(place, start=day(10, 1))
    left_on_cutoff = make_director(place, end=day(6, 30))
    left_before = make_director(place, end=day(6, 29))
    left_last_year = make_director(place, end=D(YEAR - 1, 12, 31))
    starts_next_year = make_director(place, start=D(YEAR + 1, 1, 1))
    plans.plan_assign(plan=plan)
    assert set(assignments(plan)) == {joined_on_cutoff.pk, left_on_cutoff.pk}
    for person in (joined_after, left_before, left_last_year, starts_next_year):
        assert person.pk not in assignments(plan)


@pytest.mark.django_db
def test_someone_with_two_posts_is_assigned_once_where_they_hold_the_post_latest(villages):
    person = make_director(villages["home"], end=day(8, 31))
    make_director(villages["home2"], start=day(9, 1), person=person)
    both_held = make_director(villages["home"])
    make_director(villages["home2"], start=D(2022, 1, 1), person=both_held)  # the later start wins
    plan = make_plan(leave_cutoff=day(1, 1))
    plans.plan_assign(plan=plan)
    assert assignments(plan) == {
        person.pk: (villages["home2"].code, PlanStatus.NOT_STARTED),
        both_held.pk: (villages["home2"].code, PlanStatus.NOT_STARTED),
    }
    assert count(plan, "330102") == (2, 0, 0)
    assert count(plan, "330102003") == (2, 0, 0)
    assert count(plan, "330102001") == (0, 0, 0)


@pytest.mark.django_db
def test_the_next_run_moves_people_within_the_area_and_removes_those_who_moved_away(villages):
    moves_within = make_director(villages["home"])
    moves_away = make_director(villages["home"])
    stays = make_director(villages["home"])
    record(stays, day(3, 1))
    plan = make_plan()
    plans.plan_assign(plan=plan)
    assert count(plan, "330102") == (2, 0, 1)

    for person, new_place in ((moves_within, villages["home2"]), (moves_away, villages["neighbour"])):
        person.posts.update(region=new_place)
    summary = plans.plan_assign(plan=plan)

    assert (summary.required, summary.added, summary.changed, summary.removed) == (2, 0, 1, 1)
    assert assignments(plan) == {
        moves_within.pk: (villages["home2"].code, PlanStatus.NOT_STARTED),
        stays.pk: (villages["home"].code, PlanStatus.COMPLETED),
    }
    assert count(plan, "330102") == (1, 0, 1)
    assert count(plan, "330102001") == (0, 0, 1)
    assert count(plan, "330102003") == (1, 0, 0)


@pytest.mark.django_db
def test_running_the_job_twice_changes_nothing(villages):
    people = [make_director(villages["home"]) for _ in range(3)]
    record(people[0], day(2, 1))
    plan = make_plan()
    plans.plan_assign(plan=plan)
    before = (assignments(plan), list(CoverageCount.objects.filter(plan=plan).values_list(
        "region_id", "not_started", "in_progress", "completed").order_by("region_id")))
    summary = plans.plan_assign(plan=plan)
    after = (assignments(plan), list(CoverageCount.objects.filter(plan=plan).values_list(
        "region_id", "not_started", "in_progress", "completed").order_by("region_id")))
    assert (summary.added, summary.changed, summary.removed) == (0, 0, 0)
    assert before == after


@pytest.mark.django_db
def test_removals_from_anywhere_in_the_id_range_are_found(villages):
    people = [make_director(villages["home"]) for _ in range(7)]
    plan = make_plan()
    plans.plan_assign(plan=plan)
    assert set(assignments(plan)) == {person.pk for person in people}
    for person in (people[0], people[4], people[6]):
        person.posts.update(end_date=D(YEAR - 1, 6, 1))
    summary = plans.plan_assign(plan=plan)
    assert summary.removed == 3
    assert set(assignments(plan)) == {people[i].pk for i in (1, 2, 3, 5)}
    assert count(plan, "330102") == (4, 0, 0)


def coverage_rows(plan) -> list:
    return list(CoverageCount.objects.filter(plan=plan).values_list(
        "region_id", "not_started", "in_progress", "completed").order_by("region_id"))


class WorkerDied(Exception):
    pass


@pytest.mark.django_db
def test_a_run_cut_short_writes_nothing_and_the_next_makes_it_whole(villages, monkeypatch):
    """A worker dying before the coverage is recounted leaves neither assignments nor counts half-written:
    the run is one transaction. Running the job again gives exactly what one whole run gives."""
    people = [make_director(villages["home" if number % 2 else "home2"]) for number in range(7)]
    record(people[0], day(2, 1))
    plan = make_plan()

    def die(plan_ids):
        raise WorkerDied

    monkeypatch.setattr(plans.coverage, "recount_plans", die)
    with pytest.raises(WorkerDied):
        plans.plan_assign(plan=plan)
    assert assignments(plan) == {} and coverage_rows(plan) == []
    monkeypatch.undo()
    summary = plans.plan_assign(plan=plan)
    assert (summary.required, summary.added, summary.changed, summary.removed) == (7, 7, 0, 0)
    assert sum(count(plan, "330102")) == 7 and count(plan, "330102")[0] == 6


@pytest.mark.django_db
def test_many_plans_are_assigned_in_a_few_statements_each_its_own_people(villages, django_assert_max_num_queries):
    """A year's plans in one pass: the same few statements for two plans or two thousand."""
    home = make_director(villages["home"])
    neighbour = make_director(villages["neighbour"])
    far = make_director(villages["far"])
    both = make_director(villages["home"])
    make_director(villages["neighbour"], person=both, start=D(2021, 1, 1))  # latest-held post: 拱墅区
    county_plans = [make_plan(organiser=code) for code in ("330102", "330105", "330203")]
    city_plan = make_plan(post_kind=PostKind.CHILD_SUPERVISOR, organiser="3301")
    with django_assert_max_num_queries(35):
        summaries = plans.plans_assign(TrainingPlan.objects.filter(year=YEAR))
    assert {plan_id: summary.required for plan_id, summary in summaries.items()} == {
        county_plans[0].pk: 2, county_plans[1].pk: 2, county_plans[2].pk: 1, city_plan.pk: 0,
    }
    assert set(assignments(county_plans[0])) == {home.pk, both.pk}
    assert assignments(county_plans[1]) == {
        neighbour.pk: (villages["neighbour"].code, PlanStatus.NOT_STARTED),
        both.pk: (villages["neighbour"].code, PlanStatus.NOT_STARTED),
    }
    assert set(assignments(county_plans[2])) == {far.pk}
    assert count(county_plans[2], "33") == (1, 0, 0)


# --- Statuses --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_status_follows_the_records_in_the_window(villages, course):
    place = villages["home"]
    nothing = make_director(place)
    outside_window = make_director(place)
    record(outside_window, day(12, 15), hours=10, course=course)  # after the 30 November deadline
    partial = make_director(place)
    record(partial, day(3, 1), hours=2)
    started_lesson = make_director(place)
    LessonProgress.objects.create(
        person=started_lesson, lesson=LessonPage.objects.child_of(course).first(), year=YEAR
    )
    done = make_director(place)
    record(done, day(2, 1), hours=2, source=TrainingSource.FACE_TO_FACE)
    record(done, day(5, 20), hours=4, course=course)
    plan = make_plan(courses=[course], min_credit_hours=Decimal(6), requires_face_to_face=True)
    plans.plan_assign(plan=plan)

    by_person = {a.person_id: a for a in PlanAssignment.objects.filter(plan=plan)}
    assert by_person[nothing.pk].status == PlanStatus.NOT_STARTED
    assert by_person[outside_window.pk].status == PlanStatus.NOT_STARTED
    assert by_person[partial.pk].status == PlanStatus.IN_PROGRESS
    assert by_person[partial.pk].credit_hours == 2
    assert by_person[started_lesson.pk].status == PlanStatus.IN_PROGRESS
    assert by_person[done.pk].status == PlanStatus.COMPLETED
    assert by_person[done.pk].completed_on == day(5, 20)  # the day the last requirement was met
    assert count(plan, "330102") == (2, 2, 1)


@pytest.mark.django_db
def test_every_requirement_must_be_met(villages, course):
    place = villages["home"]
    plan = make_plan(courses=[course], min_credit_hours=Decimal(6), requires_face_to_face=True)
    no_session = make_director(place)
    record(no_session, day(3, 1), hours=8, course=course)
    too_few_hours = make_director(place)
    record(too_few_hours, day(3, 1), hours=2, course=course)
    record(too_few_hours, day(3, 2), hours=2, source=TrainingSource.FACE_TO_FACE)
    partly_present = make_director(place)
    record(partly_present, day(3, 1), hours=4, course=course)
    record(partly_present, day(3, 2), hours=3, source=TrainingSource.FACE_TO_FACE, counts=False)
    plans.plan_assign(plan=plan)
    assert {status for _region, status in assignments(plan).values()} == {PlanStatus.IN_PROGRESS}


@pytest.mark.django_db
def test_completing_the_required_course_online_updates_the_plan_and_the_coverage(villages, course, director):
    person = director.person
    place = person.posts.get().region
    plan = make_plan(
        courses=[course], min_credit_hours=None, organiser="330106", deadline=day(12, 31), leave_cutoff=day(12, 31)
    )
    plans.plan_assign(plan=plan)
    assert count(plan, "330106") == (1, 0, 0)

    now = timezone.now()
    for lesson in LessonPage.objects.child_of(course):
        LessonProgress.objects.create(person=person, lesson=lesson, year=YEAR, completed_at=now)
    ExamAttempt.objects.create(
        person=person, exam=course.exam(), year=YEAR, number=1, started_at=now, deadline_at=now,
        submitted_at=now, score=90, passed=True,
    )
    course_completion_check(person=person, course=course, year=YEAR)

    assignment = PlanAssignment.objects.get(plan=plan, person=person)
    assert assignment.status == PlanStatus.COMPLETED
    assert assignment.completed_on == timezone.localdate()
    assert assignment.credit_hours == course.credit_hours
    for code in ("33", "3301", "330106", "330106002", place.code):
        assert count(plan, code) == (0, 0, 1)


@pytest.mark.django_db
def test_attendance_marked_and_corrected_moves_the_coverage(villages):
    person = make_director(villages["home"])
    session = TrainingSessionFactory(
        starts_at=timezone.make_aware(datetime.datetime(YEAR, 6, 1, 9)),
        ends_at=timezone.make_aware(datetime.datetime(YEAR, 6, 1, 12)),
    )
    enrolment = session.enrolments.create(person=person)
    plan = make_plan(min_credit_hours=None, requires_face_to_face=True)
    plans.plan_assign(plan=plan)

    attendance_mark(session=session, marks=[AttendanceMark(enrolment.pk, "present")])
    assert assignments(plan)[person.pk][1] == PlanStatus.COMPLETED
    assert count(plan, "330102") == (0, 0, 1)

    attendance_mark(session=session, marks=[AttendanceMark(enrolment.pk, "absent")])  # marked by mistake
    assert assignments(plan)[person.pk][1] == PlanStatus.NOT_STARTED
    assert count(plan, "330102") == (1, 0, 0)


@pytest.mark.django_db
def test_opening_a_lesson_of_a_required_course_puts_the_plan_in_progress(course, director):
    from courses.progress import lesson_progress_open

    person = director.person
    plan = make_plan(courses=[course], min_credit_hours=None, organiser="330106")
    plans.plan_assign(plan=plan)
    lesson_progress_open(person=person, lesson=LessonPage.objects.child_of(course).first())
    assert assignments(plan)[person.pk][1] == PlanStatus.IN_PROGRESS
    assert count(plan, "330106") == (0, 1, 0)


@pytest.mark.django_db
def test_a_new_years_plan_starts_everyone_afresh_and_last_year_stays(villages):
    person = make_director(villages["home"])
    last_year = make_plan(year=YEAR - 1)
    record(person, D(YEAR - 1, 4, 1))
    plans.plan_assign(plan=last_year)
    this_year = make_plan()
    plans.plan_assign(plan=this_year)

    assert assignments(last_year)[person.pk][1] == PlanStatus.COMPLETED
    assert assignments(this_year)[person.pk][1] == PlanStatus.NOT_STARTED
    record(person, day(2, 1), hours=1)
    plans.plan_statuses_refresh(person=person)
    assert assignments(this_year)[person.pk][1] == PlanStatus.IN_PROGRESS
    assert count(last_year, "330102") == (0, 0, 1)


# --- Background jobs -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_assignment_job_assigns_the_plan_and_a_second_delivery_does_nothing(
    villages, django_capture_on_commit_callbacks,
):
    person = make_director(villages["home"])
    plan = make_plan()
    with django_capture_on_commit_callbacks(execute=True):
        job = plans.plan_assignment_start(plan=plan)
    job.refresh_from_db()
    assert job.status == PlanAssignmentJob.Status.DONE and (job.done, job.total) == (1, 1)
    assert job.summary == {"required": 1, "added": 1, "changed": 0, "removed": 0}
    assert set(assignments(plan)) == {person.pk}
    plan.refresh_from_db()
    assert plan.assigned_at is not None

    run_plan_assignment(str(job.pk))  # the message delivered again
    assert PlanAssignmentJob.objects.get(pk=job.pk).finished_at == job.finished_at
    plan_id = plan.pk
    plan.delete()
    run_plan_assignment(str(job.pk))  # the plan deleted since: nothing to do
    assert not PlanAssignmentJob.objects.filter(plan_id=plan_id).exists()


@pytest.mark.django_db
def test_a_run_waiting_for_a_worker_is_not_recorded_twice(villages, django_capture_on_commit_callbacks):
    plan = make_plan()
    with django_capture_on_commit_callbacks(execute=False) as queued:
        first = plans.plan_assignment_start(plan=plan)
        assert plans.plan_assignment_start(plan=plan) == first
    assert len(queued) == 1 and PlanAssignmentJob.objects.count() == 1


@pytest.mark.django_db
def test_a_failed_assignment_is_run_again_by_its_retry(villages, django_capture_on_commit_callbacks, monkeypatch):
    person = make_director(villages["home"])
    plan = make_plan()

    def broken(*arguments, **keywords):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(plans, "plans_assign", broken)
    with pytest.raises(RuntimeError), django_capture_on_commit_callbacks(execute=True):
        job = plans.plan_assignment_start(plan=plan)
    job = PlanAssignmentJob.objects.get(plan=plan)
    assert job.status == PlanAssignmentJob.Status.FAILED and job.failure_message == "RuntimeError: disk on fire"
    monkeypatch.undo()

    with django_capture_on_commit_callbacks(execute=True):
        assert plans.plan_assignment_retry(job=job)
    job.refresh_from_db()
    assert job.status == PlanAssignmentJob.Status.DONE and job.failure_message == ""
    assert set(assignments(plan)) == {person.pk}
    assert not plans.plan_assignment_retry(job=job)  # only a failed job


@pytest.mark.django_db
def test_the_nightly_job_assigns_the_current_years_plans_only(villages, django_capture_on_commit_callbacks):
    person = make_director(villages["home"])
    current, earlier = make_plan(), make_plan(year=YEAR - 1)
    with django_capture_on_commit_callbacks(execute=True):
        assign_current_year_plans()
    assert set(assignments(current)) == {person.pk}
    assert assignments(earlier) == {}


@pytest.mark.django_db
def test_the_first_job_of_a_nightly_run_assigns_every_waiting_plan_in_one_pass(
    villages, django_capture_on_commit_callbacks,
):
    """The nightly run records one job per plan; the first worker takes them all, and the other messages find
    their jobs done."""
    home, neighbour = make_director(villages["home"]), make_director(villages["neighbour"])
    first_plan, second_plan = make_plan(), make_plan(organiser="330105")
    with django_capture_on_commit_callbacks(execute=False) as messages:
        jobs = plans.plans_assignment_start_current_year()
    assert len(jobs) == len(messages) == 2
    run_plan_assignment(str(jobs[0].pk))
    for job in jobs:
        job.refresh_from_db()
        assert job.status == PlanAssignmentJob.Status.DONE
        assert job.summary == {"required": 1, "added": 1, "changed": 0, "removed": 0}
    assert set(assignments(first_plan)) == {home.pk} and set(assignments(second_plan)) == {neighbour.pk}
    finished = jobs[1].finished_at
    run_plan_assignment(str(jobs[1].pk))  # its own message, delivered later: nothing to do
    assert PlanAssignmentJob.objects.get(pk=jobs[1].pk).finished_at == finished


@pytest.mark.django_db
def test_jobs_taken_with_a_failed_one_wait_again(villages, django_capture_on_commit_callbacks, monkeypatch):
    make_plan(), make_plan(organiser="330105")
    with django_capture_on_commit_callbacks(execute=False):
        first, second = plans.plans_assignment_start_current_year()

    def broken(*arguments, **keywords):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(plans, "plans_assign", broken)
    with pytest.raises(RuntimeError):
        run_plan_assignment(str(first.pk))
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == PlanAssignmentJob.Status.FAILED
    assert second.status == PlanAssignmentJob.Status.PENDING  # its message (or the sweep) runs it


def checked_roster_import(village_region, django_capture_on_commit_callbacks, name="陈静") -> RosterImport:
    """A one-director roster file of 上城区, uploaded and checked, waiting for its confirmation."""
    output = io.StringIO()
    writer = csv.writer(output)
    writer.writerow([column.heading for column in roster.COLUMNS])
    row = {
        "name": name, "sex": "女", "id_number": make_id_number("330102", datetime.date(1985, 3, 4), 12),
        "mobile": "13900000001", "professional_category": "社工", "post": "儿童主任",
        "region_code": village_region.code, "start_date": f"{YEAR - 1}-01-01",
    }
    writer.writerow([row.get(column.field, "") for column in roster.COLUMNS])
    with django_capture_on_commit_callbacks(execute=True):
        roster_import = roster.roster_import_create(
            created_by=UserFactory(admin_region=Region.objects.get(code="330102")),
            upload=SimpleUploadedFile("roster.csv", output.getvalue().encode()), language="en",
        )
    roster_import.refresh_from_db()
    assert roster_import.status == RosterImport.Status.VALID, roster_import.errors
    return roster_import


@pytest.mark.django_db
def test_a_roster_import_brings_new_directors_into_this_years_plans(villages, django_capture_on_commit_callbacks):
    """The organisation announces an applied import (roster_applied, in its transaction); courses assigns the plans."""
    current, earlier = make_plan(), make_plan(year=YEAR - 1)
    roster_import = checked_roster_import(villages["home"], django_capture_on_commit_callbacks)
    assert assignments(current) == {}
    with django_capture_on_commit_callbacks(execute=True):
        roster.roster_import_confirm(roster_import=roster_import)
    roster_import.refresh_from_db()
    assert roster_import.status == RosterImport.Status.DONE
    [(region_code, _status)] = assignments(current).values()
    assert region_code == villages["home"].code
    assert assignments(earlier) == {}


@pytest.mark.django_db
def test_the_assignment_a_roster_import_starts_is_recorded_with_the_roster_and_sent_by_the_sweep_if_lost(
    villages, django_capture_on_commit_callbacks, settings,
):
    # The worker dies just after the roster's transaction commits, before anything it meant to do next: the plan's
    # assignment job was written in that transaction (an outbox), so it is not lost with the worker.
    current = make_plan()
    roster_import = checked_roster_import(villages["home"], django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=False):
        roster.roster_import_confirm(roster_import=roster_import)  # its task's message: see below
    roster.roster_import_apply(roster_import=roster_import)  # as the worker would; what it does on commit never runs
    roster_import.refresh_from_db()
    assert roster_import.status == RosterImport.Status.DONE
    job = PlanAssignmentJob.objects.get(plan=current)
    assert job.status == PlanAssignmentJob.Status.PENDING and job.is_unqueued
    assert assignments(current) == {}

    # The sweep finds it never reached the broker and sends it; it assigns the imported director.
    later = timezone.now() + datetime.timedelta(seconds=settings.JOBS_RESEND_AFTER_SECONDS + 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs_sweep(now=later)["courses.PlanAssignmentJob sent again"] == 1
    job.refresh_from_db()
    assert job.status == PlanAssignmentJob.Status.DONE
    [(region_code, _status)] = assignments(current).values()
    assert region_code == villages["home"].code


@pytest.mark.django_db
def test_a_roster_apply_that_writes_nothing_starts_no_assignment(villages, django_capture_on_commit_callbacks):
    current = make_plan()
    roster_import = checked_roster_import(villages["home"], django_capture_on_commit_callbacks)
    # The village is gone from the administrator's scope since the preview: applying refuses every row.
    UserFactory._meta.model.objects.filter(pk=roster_import.created_by_id).update(admin_region="330106")
    with django_capture_on_commit_callbacks(execute=True):
        roster.roster_import_confirm(roster_import=roster_import)
    roster_import.refresh_from_db()
    assert roster_import.status == RosterImport.Status.INVALID
    assert not PlanAssignmentJob.objects.filter(plan=current).exists()


@pytest.mark.django_db
def test_creating_a_plan_assigns_it_once_committed(villages, django_capture_on_commit_callbacks):
    person = make_director(villages["home"])
    with django_capture_on_commit_callbacks(execute=True):
        plan = plans.plan_create(
            year=YEAR, post_kind=PostKind.CHILD_DIRECTOR, organiser_region=Region.objects.get(code="330102"),
            min_credit_hours=Decimal(4), **plans.plan_defaults(YEAR),
        )
    assert set(assignments(plan)) == {person.pk}
    assert plan.title  # a default title


@pytest.mark.django_db
def test_the_rule_in_plain_words(villages):
    plan = make_plan()
    text = plans.plan_rule_text(plan)
    assert "上城区" in text and str(YEAR) in text
    [line] = plans.plan_requirement_lines(plan)
    assert "4" in line


# --- What an assignment copies for the untrained list ------------------------------------------------------


@pytest.mark.django_db
def test_an_assignment_carries_its_plans_year_and_its_persons_name(villages):
    """The untrained list filters and sorts on the assignment's own columns (one index): year and name copied."""
    make_director(villages["home"], person=PersonFactory(name="张三"))
    plan = make_plan()
    plans.plan_assign(plan=plan)
    assert list(PlanAssignment.objects.filter(plan=plan).values_list("year", "person_name")) == [(YEAR, "张三")]


@pytest.mark.django_db
def test_the_next_run_puts_right_a_copied_name_gone_stale(villages):
    person = make_director(villages["home"], person=PersonFactory(name="张三"))
    plan = make_plan()
    plans.plan_assign(plan=plan)
    PlanAssignment.objects.filter(plan=plan).update(person_name="旧名")
    assert plans.plan_assign(plan=plan).changed == 1
    assert PlanAssignment.objects.get(plan=plan, person=person).person_name == "张三"


@pytest.mark.django_db
def test_a_renamed_person_is_renamed_on_the_assignments_of_every_year(villages):
    person = make_director(villages["home"], person=PersonFactory(name="张三"))
    current, earlier = make_plan(), make_plan(year=YEAR - 1)
    plans.plan_assign(plan=current)
    plans.plan_assign(plan=earlier)
    organisation_services.person_update(person=person, actor=None, name="张珊")
    assert set(PlanAssignment.objects.filter(person=person).values_list("person_name", flat=True)) == {"张珊"}


@pytest.mark.django_db
def test_a_roster_import_renaming_a_person_renames_their_assignments(villages, django_capture_on_commit_callbacks):
    roster_import = checked_roster_import(villages["home"], django_capture_on_commit_callbacks)
    earlier = make_plan(year=YEAR - 1)
    with django_capture_on_commit_callbacks(execute=True):
        roster.roster_import_confirm(roster_import=roster_import)
    plans.plan_assign(plan=earlier)
    person = PlanAssignment.objects.get(plan=earlier).person
    renamed = checked_roster_import(villages["home"], django_capture_on_commit_callbacks, name="陈晶")
    with django_capture_on_commit_callbacks(execute=True):
        roster.roster_import_confirm(roster_import=renamed)
    person.refresh_from_db()
    assert person.name == "陈晶"
    assert PlanAssignment.objects.get(plan=earlier).person_name == "陈晶"
