"""Property: whatever the people, posts, plans and training records, every coverage count equals a
brute-force recount written here straight from the rules (not from courses/plans.py): after the assignment
job, after training is recorded or withdrawn one person at a time, and after people move and the job runs
again. Joiners, leavers, people with two posts and moves between villages, counties and cities included."""
import datetime
from collections import Counter, defaultdict
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from academy.organisation.models import Post, PostKind, Region, RunLevel
from courses import plans
from courses.models import (
    CoverageCount, CoursePage, LessonPage, LessonProgress, PlanAssignment, TrainingPlan, TrainingRecord,
    TrainingSource,
)
from courses.years import training_year
from tests.factories import InstitutionFactory, PersonFactory, RegionFactory

YEAR = training_year()
JAN_1 = datetime.date(YEAR, 1, 1)
NOV_30 = datetime.date(YEAR, 11, 30)

# (tier, organiser) of the plans of every example: three counties' directors, two cities' supervisors and
# the province's institution heads.
PLANS = [
    (PostKind.CHILD_DIRECTOR, "330102"),
    (PostKind.CHILD_DIRECTOR, "330105"),
    (PostKind.CHILD_DIRECTOR, "330203"),
    (PostKind.CHILD_SUPERVISOR, "3301"),
    (PostKind.CHILD_SUPERVISOR, "3302"),
    (PostKind.INSTITUTION_HEAD, "33"),
]
VILLAGES = ["330102001901", "330102003901", "330105001901", "330203001901"]  # two in 上城区, 拱墅区, 海曙区
TOWNSHIPS = ["330102001", "330105001", "330203001"]
KINDS = [PostKind.CHILD_DIRECTOR, PostKind.CHILD_SUPERVISOR, PostKind.INSTITUTION_HEAD]


class Rollback(Exception):
    """Ends an example, undoing what it wrote, so the next starts from the same empty roster."""


@pytest.fixture
def world(db, course, catalogue):
    for code in VILLAGES:
        parent = Region.objects.get(code=code[:9])
        RegionFactory(code=code, name=code, level="village", parent=parent, is_synthetic=True)
    second = catalogue.add_child(instance=CoursePage(title="案例", slug="cases", summary="案例", credit_hours=2))
    second.add_child(instance=LessonPage(title="案例一", slug="case-1", body=[("paragraph", "<p>案例</p>")]))
    institutions = [
        InstitutionFactory(region=Region.objects.get(code="330102"), run_level=RunLevel.COUNTY),
        InstitutionFactory(region=Region.objects.get(code="330203"), run_level=RunLevel.CITY),
    ]
    return {"courses": [course, second], "institutions": institutions}


# --- What an example is made of --------------------------------------------------------------------------

days = st.integers(min_value=-400, max_value=400)  # offsets from 1 January of the plan year
post = st.tuples(
    st.sampled_from(range(len(KINDS))), st.integers(min_value=0, max_value=3), days,
    st.one_of(st.none(), st.integers(min_value=0, max_value=500)),  # length held; None: still held
)
training = st.tuples(
    st.integers(min_value=-30, max_value=380),  # the day
    st.sampled_from(["course0", "course1", "other", "face_to_face", "partial"]),
    st.sampled_from([1, 2, 4]),  # hours
)
person = st.fixed_dictionaries({
    "posts": st.lists(post, min_size=1, max_size=3),
    "records": st.lists(training, max_size=3),
    "started_lesson_of": st.sampled_from([None, 0, 1]),
    "later_records": st.lists(training, max_size=2),
    "withdraw_first_record": st.booleans(),
    # Moving to another place (of the same tier) on a day of the year.
    "move": st.one_of(
        st.none(), st.tuples(st.integers(min_value=0, max_value=3), st.integers(min_value=1, max_value=300))
    ),
})
rule = st.fixed_dictionaries({
    "join": st.integers(min_value=0, max_value=333),
    "leave": st.integers(min_value=0, max_value=333),
    "courses": st.sets(st.sampled_from([0, 1])),
    "min_hours": st.sampled_from([None, 3, 6]),
    "face_to_face": st.booleans(),
})


def on(offset: int) -> datetime.date:
    return JAN_1 + datetime.timedelta(days=offset)


def place(kind: str, index: int, institutions) -> dict:
    if kind == PostKind.CHILD_DIRECTOR:
        return {"region_id": VILLAGES[index % len(VILLAGES)]}
    if kind == PostKind.CHILD_SUPERVISOR:
        return {"region_id": TOWNSHIPS[index % len(TOWNSHIPS)]}
    institution = institutions[index % len(institutions)]
    return {"region_id": institution.region_id, "institution": institution}


def write_training(person, spec, courses) -> None:
    offset, what, hours = spec
    day = on(offset)
    values = {"person": person, "year": day.year, "completed_on": day, "credit_hours": hours, "title": what}
    if what.startswith("course"):
        course = courses[int(what[-1])]
        if TrainingRecord.objects.filter(person=person, course=course, year=day.year, source="online").exists():
            return  # one online completion of a course a year
        TrainingRecord.objects.create(source=TrainingSource.ONLINE, course=course, **values)
    elif what == "other":
        TrainingRecord.objects.create(source=TrainingSource.ONLINE, **values)
    else:
        TrainingRecord.objects.create(
            source=TrainingSource.FACE_TO_FACE, counts_as_completion=what == "face_to_face", **values
        )


# --- The brute-force recount -----------------------------------------------------------------------------


def expected(plan: TrainingPlan) -> tuple[dict, dict]:
    """(person id -> (region, status), region code -> Counter of statuses) from the raw tables."""
    posts_by_person = defaultdict(list)
    for row in Post.objects.values("pk", "person_id", "kind", "region_id", "start_date", "end_date"):
        posts_by_person[row["person_id"]].append(row)
    records = defaultdict(list)
    for row in TrainingRecord.objects.values():
        records[row["person_id"]].append(row)
    course_ids = set(plan.required_courses.values_list("pk", flat=True))
    lesson_ids = {lesson.pk for lesson in LessonPage.objects.all() if lesson.get_parent().pk in course_ids}
    started = {
        progress.person_id for progress in LessonProgress.objects.all()
        if progress.lesson_id in lesson_ids and progress.year == plan.year
    }

    people = {}
    for person_id, posts in posts_by_person.items():
        eligible = [
            post for post in posts
            if post["kind"] == plan.post_kind
            and post["region_id"].startswith(plan.organiser_region_id)
            and post["start_date"] <= plan.deadline and (post["end_date"] is None or post["end_date"] >= plan.opens_on)
            and post["start_date"] <= plan.join_cutoff
            and (post["end_date"] is None or post["end_date"] >= plan.leave_cutoff)
        ]
        if not eligible:
            continue
        latest = max(eligible, key=lambda post: (
            post["end_date"] is None, post["end_date"] or datetime.date.min, post["start_date"], post["pk"]
        ))
        in_window = [row for row in records[person_id] if plan.opens_on <= row["completed_on"] <= plan.deadline]
        done = (
            all(any(row["course_id"] == pk and row["counts_as_completion"] for row in in_window) for pk in course_ids)
            and (not plan.requires_face_to_face or any(
                row["source"] == "face_to_face" and row["counts_as_completion"] for row in in_window
            ))
            and (not plan.min_credit_hours or sum(row["credit_hours"] for row in in_window) >= plan.min_credit_hours)
        )
        if done:
            status = "completed"
        elif in_window or person_id in started:
            status = "in_progress"
        else:
            status = "not_started"
        people[person_id] = (latest["region_id"], status)

    counts = defaultdict(Counter)
    for region_code, status in people.values():
        for length in (2, 4, 6, 9, 12):
            if length <= len(region_code):
                counts[region_code[:length]][status] += 1
    return people, counts


def assert_coverage_matches(plan_objects) -> None:
    for plan in plan_objects:
        people, counts = expected(plan)
        assigned = {
            assignment.person_id: (assignment.region_id, assignment.status)
            for assignment in PlanAssignment.objects.filter(plan=plan)
        }
        assert assigned == people, plan
        stored = {row.region_id: row for row in CoverageCount.objects.filter(plan=plan)}
        for code in set(stored) | set(counts):
            row = stored.get(code)
            got = (row.not_started, row.in_progress, row.completed) if row else (0, 0, 0)
            want = (counts[code]["not_started"], counts[code]["in_progress"], counts[code]["completed"])
            assert got == want, (plan, code)


# --- The property ----------------------------------------------------------------------------------------


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(people=st.lists(person, min_size=1, max_size=6), rules=st.lists(rule, min_size=len(PLANS), max_size=len(PLANS)))
def test_coverage_counts_equal_a_brute_force_recount(world, people, rules):
    try:
        with transaction.atomic():
            run_example(world, people, rules)
            raise Rollback
    except Rollback:
        pass


def run_example(world, people, rules) -> None:
    courses, institutions = world["courses"], world["institutions"]
    plan_objects = []
    for (kind, organiser), spec in zip(PLANS, rules, strict=True):
        plan = TrainingPlan.objects.create(
            year=YEAR, post_kind=kind, organiser_region_id=organiser, title=f"{kind} {organiser}",
            opens_on=JAN_1, deadline=NOV_30, join_cutoff=on(spec["join"]), leave_cutoff=on(spec["leave"]),
            min_credit_hours=Decimal(spec["min_hours"]) if spec["min_hours"] else None,
            requires_face_to_face=spec["face_to_face"] or not (spec["courses"] or spec["min_hours"]),
        )
        plan.required_courses.set([courses[index] for index in spec["courses"]])
        plan_objects.append(plan)

    written = []
    for spec in people:
        person = PersonFactory()
        first_post = None
        open_places = set()
        for kind_index, place_index, start, length in spec["posts"]:
            kind = KINDS[kind_index]
            where = place(kind, place_index, institutions)
            key = (kind, where["region_id"], getattr(where.get("institution"), "pk", None))
            if length is None and key in open_places:
                continue  # one open post of a kind per person and place (the database keeps it, issue 12)
            if length is None:
                open_places.add(key)
            post = Post.objects.create(
                person=person, kind=kind, start_date=on(start),
                end_date=None if length is None else on(start + length), **place(kind, place_index, institutions),
            )
            first_post = first_post or post
        for training_spec in spec["records"]:
            write_training(person, training_spec, courses)
        if spec["started_lesson_of"] is not None:
            lesson = LessonPage.objects.child_of(courses[spec["started_lesson_of"]]).first()
            LessonProgress.objects.create(person=person, lesson=lesson, year=YEAR)
        written.append((person, first_post, spec))

    # 1. The assignment job.
    for plan in plan_objects:
        plans.plan_assign(plan=plan)
    assert_coverage_matches(plan_objects)

    # 2. Training recorded and withdrawn, one person at a time, as the pages do it.
    for person, _post, spec in written:
        for training_spec in spec["later_records"]:
            write_training(person, training_spec, courses)
        if spec["withdraw_first_record"]:
            first = TrainingRecord.objects.filter(person=person).order_by("pk").first()
            if first:
                first.delete()
        plans.plan_statuses_refresh(person=person)
    assert_coverage_matches(plan_objects)

    # 3. People move (the old post ends the day before the new one starts); the next run follows them.
    for person, post, spec in written:
        if spec["move"] is None:
            continue
        place_index, offset = spec["move"]
        moved_on = max(on(offset), post.start_date + datetime.timedelta(days=1))
        if post.end_date is not None and post.end_date < moved_on:
            continue  # the post had already ended
        destination = place(post.kind, place_index + 1, institutions)
        if Post.objects.filter(person=person, kind=post.kind, end_date=None, **destination).exclude(pk=post.pk).exists():
            continue  # already holds that post there, open: one of a kind per person and place (issue 12)
        Post.objects.filter(pk=post.pk).update(end_date=moved_on - datetime.timedelta(days=1))
        Post.objects.create(person=person, kind=post.kind, start_date=moved_on, **destination)
    for plan in plan_objects:
        plans.plan_assign(plan=plan)
    assert_coverage_matches(plan_objects)
