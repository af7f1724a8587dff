"""Annual training plans (box 专栏6 item 1): the rules of who a plan requires and when they are done, the
writes (create, update, the assignment job, status refresh) and the reads of the plan pages.

The rules, in one place:
- Tier -> organiser: institution heads are trained by the province, child supervisors by a city, child
  directors by a county. An administrator plans only for the tier their own region organises.
- Required: people holding the tier's post under the organiser's region (scope.py decides what "under"
  means, run levels included) on at least one day of the window, who took it up on or before the join
  cut-off and did not leave it before the leave cut-off. Someone with several such posts is assigned once,
  where they hold the post latest.
- Completed: every requirement set on the plan met by training records dated in the window; the
  completion date is the day the last one was met. In progress: some training in the window, or a lesson
  of a required course started in the plan's year. Otherwise not started.

The assignment job (plans_assign) applies the rules set-based, in a few SQL statements for any number of plans:
a county's 300 directors or a national year's 3,200 plans and 600,000 directors; running it twice changes
nothing. For one person (the refresh after a training record, the learner's page) the same rules are the Python
functions below.
"""
import datetime
import logging
from collections import defaultdict
from dataclasses import asdict, dataclass
from decimal import Decimal
from functools import reduce
from operator import or_
from typing import NamedTuple

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from academy.jobs import job_announce, job_retry, job_start
from academy.organisation.models import CODE_LENGTHS, Person, PostKind, Region, RegionLevel, RunLevel
from academy.organisation.scope import Scope, managed_run_levels

from . import coverage
from .models import (
    CoursePage, CoverageCount, LessonPage, LessonProgress, PlanAssignment, PlanAssignmentJob, PlanStatus, TrainingPlan,
    TrainingRecord, TrainingSource,
)
from .rowsync import RowSync
from .years import training_year

logger = logging.getLogger(__name__)

# The level of the region that organises each tier's training (box 专栏6 item 1).
ORGANISER_LEVELS = {
    PostKind.INSTITUTION_HEAD: RegionLevel.PROVINCE,
    PostKind.CHILD_SUPERVISOR: RegionLevel.CITY,
    PostKind.CHILD_DIRECTOR: RegionLevel.COUNTY,
}
# The columns assignment_copies fills.
ASSIGNMENT_COPIED = ("year", "person_name")


# --- Rules -----------------------------------------------------------------------------------------------


def plannable_tiers(user) -> list[str]:
    """The tiers ``user`` may make plans for: the one their region organises; every tier for system
    administrators."""
    if user.is_superuser:
        return list(ORGANISER_LEVELS)
    region = user.admin_region if user.admin_region_id else None
    return [kind for kind, level in ORGANISER_LEVELS.items() if region is not None and region.level == level]


def plan_defaults(year: int) -> dict:
    """The usual window of a year's plan: 1 January to 30 November; people who take up the post after
    30 September, or who left it before the deadline, are not required that year."""
    deadline = datetime.date(year, 11, 30)
    return {
        "opens_on": datetime.date(year, 1, 1),
        "deadline": deadline,
        "join_cutoff": datetime.date(year, 9, 30),
        "leave_cutoff": deadline,
    }


def plan_default_title(*, year: int, post_kind: str, organiser_region: Region) -> str:
    return _("%(region)s %(year)s training plan for %(tier)s") % {
        "region": organiser_region.name, "year": year, "tier": PostKind(post_kind).label,
    }


def plan_validate(plan: TrainingPlan, *, required_course_ids) -> None:
    """Raise ValidationError (by field) if ``plan`` breaks a rule of plans; ``required_course_ids`` are the
    courses it is about to require (a many-to-many cannot be read before the plan is saved)."""
    errors = defaultdict(list)
    level = ORGANISER_LEVELS.get(plan.post_kind)
    if level is None:
        errors["post_kind"].append(_("Plans are made for institution heads, child supervisors and child directors."))
    elif plan.organiser_region.level != level:
        errors["organiser_region"].append(
            _("Training of %(tier)s is organised by a %(level)s, not by %(region)s.") % {
                "tier": PostKind(plan.post_kind).label, "level": RegionLevel(level).label.lower(),
                "region": plan.organiser_region.name,
            }
        )
    if plan.opens_on.year != plan.year:
        errors["opens_on"].append(_("The window opens in the plan's year, %(year)s.") % {"year": plan.year})
    if plan.deadline < plan.opens_on:
        errors["deadline"].append(_("The deadline is on or after the day the window opens."))
    else:
        for name in ("join_cutoff", "leave_cutoff"):
            if not plan.opens_on <= getattr(plan, name) <= plan.deadline:
                errors[name].append(_("Choose a day from the window's opening to the deadline."))
    if not (required_course_ids or plan.min_credit_hours or plan.requires_face_to_face):
        errors[NON_FIELD_ERRORS].append(
            _("Set at least one requirement: courses to complete, a minimum of credit hours or a face-to-face session.")
        )
    taken = _plan_taken_error(plan)
    if taken:
        errors[NON_FIELD_ERRORS].append(taken)
    if errors:
        raise ValidationError(dict(errors))


def _plan_taken_error(plan: TrainingPlan) -> str:
    """One plan per tier, organiser and year (one_plan_per_tier_organiser_year): the message naming the plan
    already there, or ""."""
    same = TrainingPlan.objects.filter(
        year=plan.year, post_kind=plan.post_kind, organiser_region_id=plan.organiser_region_id
    ).exclude(pk=plan.pk)
    if not same.exists():
        return ""
    return _("%(region)s already has a %(year)s plan for %(tier)s.") % {
        "region": plan.organiser_region.name, "year": plan.year, "tier": PostKind(plan.post_kind).label,
    }


def _plan_save(plan: TrainingPlan) -> None:
    """Save a validated plan. Two administrators of one region making its plan at the same moment both pass
    the check; the database keeps the first, and the second is told which plan is there."""
    try:
        with transaction.atomic():
            plan.save()
    except IntegrityError:
        taken = _plan_taken_error(plan)
        if not taken:
            raise
        raise ValidationError({NON_FIELD_ERRORS: [taken]}) from None


class RecordFacts(NamedTuple):
    """What the status rule reads of a training record."""

    course_id: int | None
    source: str
    counts_as_completion: bool
    credit_hours: Decimal
    completed_on: datetime.date


@dataclass(frozen=True)
class Requirement:
    """A plan's requirement, read once per job: the window and what must be done in it."""

    year: int
    opens_on: datetime.date
    deadline: datetime.date
    course_ids: frozenset
    min_credit_hours: Decimal | None
    face_to_face: bool
    lesson_ids: frozenset  # lessons of the required courses: starting one puts someone in progress

    @classmethod
    def of(cls, plan: TrainingPlan) -> "Requirement":
        courses = list(plan.required_courses.values_list("pk", "path", "depth"))
        lesson_ids = []
        if courses:
            under_courses = reduce(
                or_, (Q(path__startswith=path, depth=depth + 1) for _pk, path, depth in courses)
            )
            lesson_ids = LessonPage.objects.filter(under_courses).values_list("pk", flat=True)
        return cls.with_courses(plan, course_ids=[pk for pk, _path, _depth in courses], lesson_ids=lesson_ids)

    @classmethod
    def with_courses(cls, plan: TrainingPlan, *, course_ids, lesson_ids=()) -> "Requirement":
        """The requirement of ``plan`` requiring ``course_ids``, read already (prefetched courses)."""
        return cls(
            year=plan.year, opens_on=plan.opens_on, deadline=plan.deadline, course_ids=frozenset(course_ids),
            min_credit_hours=plan.min_credit_hours or None, face_to_face=plan.requires_face_to_face,
            lesson_ids=frozenset(lesson_ids),
        )

    def in_window(self, day: datetime.date) -> bool:
        return self.opens_on <= day <= self.deadline


class StatusFacts(NamedTuple):
    status: str
    credit_hours: Decimal
    completed_on: datetime.date | None


class RequirementProgress(NamedTuple):
    """How far ``records`` (all in the window) go towards each part of a requirement: the day each part was
    met, None while it is not."""

    courses: dict  # required course id -> the day it was first completed, or None
    face_to_face: datetime.date | None  # None also when the plan does not ask for a session
    credit_hours: Decimal
    credit_hours_met: datetime.date | None  # None also when the plan asks for no minimum


def requirement_progress(requirement: Requirement, records: list[RecordFacts]) -> RequirementProgress:
    completions = [record for record in records if record.counts_as_completion]
    courses = {
        course_id: min((record.completed_on for record in completions if record.course_id == course_id), default=None)
        for course_id in requirement.course_ids
    }
    face_to_face = None
    if requirement.face_to_face:
        face_to_face = min(
            (record.completed_on for record in completions if record.source == TrainingSource.FACE_TO_FACE),
            default=None,
        )
    total, hours_met = Decimal(0), None
    for record in sorted(records, key=lambda record: record.completed_on):
        total += record.credit_hours
        if hours_met is None and requirement.min_credit_hours and total >= requirement.min_credit_hours:
            hours_met = record.completed_on
    return RequirementProgress(courses, face_to_face, total, hours_met)


def requirement_met_on(requirement: Requirement, records: list[RecordFacts]) -> datetime.date | None:
    """The day the last requirement was met by ``records`` (all in the window), or None while one is not."""
    progress = requirement_progress(requirement, records)
    days = list(progress.courses.values())
    if requirement.face_to_face:
        days.append(progress.face_to_face)
    if requirement.min_credit_hours:
        days.append(progress.credit_hours_met)
    if None in days:
        return None
    if not days:
        # A plan stored without any requirement (the forms refuse one): any training in the window does.
        return min((record.completed_on for record in records), default=None)
    return max(days)


def assignment_status(requirement: Requirement, records: list[RecordFacts], *, lessons_started: bool) -> StatusFacts:
    records = [record for record in records if requirement.in_window(record.completed_on)]
    hours = sum((record.credit_hours for record in records), Decimal(0))
    met_on = requirement_met_on(requirement, records)
    if met_on is not None:
        return StatusFacts(PlanStatus.COMPLETED, hours, met_on)
    if records or lessons_started:
        return StatusFacts(PlanStatus.IN_PROGRESS, hours, None)
    return StatusFacts(PlanStatus.NOT_STARTED, hours, None)


# --- The assignment job ----------------------------------------------------------------------------------


@dataclass
class AssignmentSummary:
    required: int = 0
    added: int = 0
    changed: int = 0
    removed: int = 0


# Two temporary tables, built by the statements below: the people each plan requires, then the rows the rules give
# them, written to courses_planassignment where they differ (rowsync.py). A column added to PlanAssignment and
# decided by the rules or copied (assignment_copies) is added to ASSIGNMENTS and to the wanted table of
# ASSIGNMENT_ROWS_SQL.
REQUIRED_TABLE = """
CREATE TEMPORARY TABLE assignment_required (
    plan_id bigint NOT NULL, person_id bigint NOT NULL, region_id varchar(12) NOT NULL
)
"""
ASSIGNMENTS = RowSync(
    table=PlanAssignment._meta.db_table, rows="assignment_rows",
    columns="plan_id bigint NOT NULL, person_id bigint NOT NULL, region_id varchar(12) NOT NULL, "
            "status varchar(12) NOT NULL, credit_hours decimal(6, 1) NOT NULL, completed_on date, "
            "year smallint NOT NULL, person_name varchar(50) NOT NULL",
    keys=("plan_id", "person_id"), values=("region_id", "status", "credit_hours", "completed_on", *ASSIGNMENT_COPIED),
    stamp="updated_at",
)

# The rules of the module's docstring, set-based, in plain SQL that PostgreSQL and SQLite both run.
# requirement_progress and assignment_status say the same for one person (the refresh after a record, the
# learner's page); tests/courses/test_plan_coverage_property.py checks the assignment against a brute-force recount.
#
# Who is required, for the plans of one tier and organiser level ({plans}: their ids; {code_length}: the organiser
# level's code length; {institutions}: scope.py's condition on institution posts of the organiser's scope).
REQUIRED_SQL = """
INSERT INTO assignment_required (plan_id, person_id, region_id)
WITH held AS (
    SELECT plan.id AS plan_id, post.person_id, post.region_id,
        row_number() OVER (
            PARTITION BY plan.id, post.person_id
            -- a person with several posts counts once, where they hold the post latest
            ORDER BY CASE WHEN post.end_date IS NULL THEN 0 ELSE 1 END, post.end_date DESC, post.start_date DESC,
                post.id DESC
        ) AS latest_first
    FROM courses_trainingplan plan
    JOIN organisation_post post
        ON post.kind = plan.post_kind AND substr(post.region_id, 1, {code_length}) = plan.organiser_region_id
    LEFT JOIN organisation_institution institution ON institution.id = post.institution_id
    WHERE plan.id IN ({plans}) AND ({institutions})
        AND post.start_date <= plan.deadline AND post.start_date <= plan.join_cutoff
        AND (post.end_date IS NULL OR (post.end_date >= plan.opens_on AND post.end_date >= plan.leave_cutoff))
)
SELECT plan_id, person_id, region_id FROM held WHERE latest_first = 1
"""
# Their status, hours and completion day from the records in the window. Credit hours are summed in tenths (whole
# numbers), so that SQLite's floating point neither misses a minimum nor sees a change that is not there.
ASSIGNMENT_ROWS_SQL = """
WITH in_window AS (
    SELECT required.plan_id, required.person_id, record.course_id, record.source, record.counts_as_completion,
        record.completed_on, round(record.credit_hours * 10) AS tenths,
        sum(round(record.credit_hours * 10)) OVER (
            PARTITION BY required.plan_id, required.person_id ORDER BY record.completed_on, record.id
        ) AS tenths_so_far
    FROM assignment_required required
    JOIN courses_trainingplan plan ON plan.id = required.plan_id
    JOIN courses_trainingrecord record ON record.person_id = required.person_id
        AND record.completed_on >= plan.opens_on AND record.completed_on <= plan.deadline
),
totals AS (
    SELECT in_window.plan_id, in_window.person_id, sum(in_window.tenths) AS tenths,
        min(in_window.completed_on) AS first_on,
        min(CASE WHEN in_window.tenths_so_far >= round(plan.min_credit_hours * 10) THEN in_window.completed_on END)
            AS hours_on,
        min(CASE WHEN in_window.source = '{face_to_face}' AND in_window.counts_as_completion
            THEN in_window.completed_on END) AS face_to_face_on
    FROM in_window JOIN courses_trainingplan plan ON plan.id = in_window.plan_id
    GROUP BY in_window.plan_id, in_window.person_id
),
-- the day each part of the requirement was met (NULL while it is not): each required course, the session, the hours
requirement_days AS (
    SELECT required.plan_id, required.person_id, min(in_window.completed_on) AS met_on
    FROM assignment_required required
    JOIN courses_trainingplan_required_courses wanted ON wanted.trainingplan_id = required.plan_id
    LEFT JOIN in_window ON in_window.plan_id = required.plan_id AND in_window.person_id = required.person_id
        AND in_window.course_id = wanted.coursepage_id AND in_window.counts_as_completion
    GROUP BY required.plan_id, required.person_id, wanted.coursepage_id
    UNION ALL
    SELECT required.plan_id, required.person_id, totals.face_to_face_on
    FROM assignment_required required
    JOIN courses_trainingplan plan ON plan.id = required.plan_id
    LEFT JOIN totals ON totals.plan_id = required.plan_id AND totals.person_id = required.person_id
    WHERE plan.requires_face_to_face
    UNION ALL
    SELECT required.plan_id, required.person_id, totals.hours_on
    FROM assignment_required required
    JOIN courses_trainingplan plan ON plan.id = required.plan_id
    LEFT JOIN totals ON totals.plan_id = required.plan_id AND totals.person_id = required.person_id
    WHERE plan.min_credit_hours > 0
),
met AS (
    SELECT plan_id, person_id, CASE WHEN count(met_on) = count(*) THEN max(met_on) END AS met_on
    FROM requirement_days GROUP BY plan_id, person_id
),
lesson_started AS (
    -- a lesson of a required course started in the plan's year
    SELECT DISTINCT required.plan_id, required.person_id
    FROM assignment_required required
    JOIN courses_trainingplan plan ON plan.id = required.plan_id
    JOIN courses_trainingplan_required_courses wanted ON wanted.trainingplan_id = plan.id
    JOIN wagtailcore_page course ON course.id = wanted.coursepage_id
    JOIN wagtailcore_page lesson
        ON substr(lesson.path, 1, length(course.path)) = course.path AND lesson.depth = course.depth + 1
    JOIN courses_lessonpage ON courses_lessonpage.page_ptr_id = lesson.id
    JOIN courses_lessonprogress progress ON progress.person_id = required.person_id
        AND progress.lesson_id = lesson.id AND progress.year = plan.year
),
judged AS (
    SELECT required.plan_id, required.person_id, required.region_id, coalesce(totals.tenths, 0) AS tenths,
        -- a plan stored without any requirement (the forms refuse one): any training in the window does
        CASE WHEN met.plan_id IS NULL THEN totals.first_on ELSE met.met_on END AS met_on,
        totals.plan_id IS NOT NULL OR lesson_started.plan_id IS NOT NULL AS started
    FROM assignment_required required
    LEFT JOIN totals ON totals.plan_id = required.plan_id AND totals.person_id = required.person_id
    LEFT JOIN met ON met.plan_id = required.plan_id AND met.person_id = required.person_id
    LEFT JOIN lesson_started
        ON lesson_started.plan_id = required.plan_id AND lesson_started.person_id = required.person_id
),
wanted AS (
    SELECT plan_id, person_id, region_id,
        CASE WHEN met_on IS NOT NULL THEN '{completed}' WHEN started THEN '{in_progress}' ELSE '{not_started}' END
            AS status,
        tenths / 10.0 AS credit_hours, met_on AS completed_on,
        -- the copies of assignment_copies: the plan's year, the person's name
        plan.year, person.name AS person_name
    FROM judged
    JOIN courses_trainingplan plan ON plan.id = judged.plan_id
    JOIN organisation_person person ON person.id = judged.person_id
)
"""
# Each plan's people required, added and changed (before the writes).
_SUMMARY_SQL = """
SELECT plan_id, count(*), sum(CASE WHEN kept_id IS NULL THEN 1 ELSE 0 END), sum(changed)
FROM assignment_rows GROUP BY plan_id
"""


def _institution_condition(run_levels: frozenset) -> str:
    """Scope.posts' condition on institution posts, as SQL on the aliases ``post`` and ``institution``: none for
    an organiser managing every run level, else region posts and posts of institutions of the run levels it
    manages."""
    if run_levels == frozenset(RunLevel.values):
        return "1 = 1"
    levels = ", ".join(f"'{RunLevel(level).value}'" for level in sorted(run_levels))
    return "post.institution_id IS NULL" + (f" OR institution.run_level IN ({levels})" if levels else "")


def _placeholders(values) -> str:
    return ", ".join(["%s"] * len(values))


def plans_assign(plans) -> dict[int, AssignmentSummary]:
    """Bring the assignments of ``plans`` (any number, a whole year's included) in line with the posts and
    training records as they are now: add the people newly required, move and re-status the others, remove those
    no longer required, recount the coverage. One transaction of a few statements whatever the number of plans
    and people (the people required, one statement per tier; their rows; the writes of what differs), so running
    it again writes nothing. Returns each plan's summary, by plan id."""
    plan_ids = sorted({plan.pk for plan in plans})
    if not plan_ids:
        return {}
    with transaction.atomic(), connection.cursor() as cursor:
        # Locked in id order: a second run over the same plans (a job and the nightly one) waits for this one.
        locked = list(TrainingPlan.objects.select_for_update().filter(pk__in=plan_ids).order_by("pk")
                      .values_list("pk", "post_kind", "organiser_region__level"))
        plan_ids = [plan_id for plan_id, _kind, _level in locked]  # plans deleted since are gone
        summaries = {plan_id: AssignmentSummary() for plan_id in plan_ids}
        tiers = defaultdict(list)
        for plan_id, post_kind, level in locked:
            tiers[(post_kind, level)].append(plan_id)
        cursor.execute("DROP TABLE IF EXISTS assignment_required")
        cursor.execute(REQUIRED_TABLE)
        for (_post_kind, level), ids in tiers.items():
            cursor.execute(REQUIRED_SQL.format(
                plans=_placeholders(ids), code_length=CODE_LENGTHS[level],
                institutions=_institution_condition(managed_run_levels(level)),
            ), ids)
        cursor.execute("ANALYZE assignment_required")  # a temporary table has no statistics until told
        ASSIGNMENTS.fill(cursor, ASSIGNMENT_ROWS_SQL.format(
            face_to_face=TrainingSource.FACE_TO_FACE, completed=PlanStatus.COMPLETED,
            in_progress=PlanStatus.IN_PROGRESS, not_started=PlanStatus.NOT_STARTED,
        ))
        cursor.execute("DROP TABLE assignment_required")
        cursor.execute(_SUMMARY_SQL)
        for plan_id, required, added, changed in cursor.fetchall():
            summaries[plan_id] = AssignmentSummary(required=required, added=added, changed=changed)
        removed = ASSIGNMENTS.apply(
            cursor, scope=f"kept.plan_id IN ({_placeholders(plan_ids)})", scope_params=plan_ids,
            now=connection.ops.adapt_datetimefield_value(timezone.now()),
        )
        for plan_id in removed:
            summaries[plan_id].removed += 1
        coverage.recount_plans(plan_ids)
        TrainingPlan.objects.filter(pk__in=plan_ids).update(assigned_at=timezone.now())
    logger.info("%s plans assigned: %s", len(plan_ids), _summary_total(summaries.values()))
    return summaries


def _summary_total(summaries) -> AssignmentSummary:
    total = AssignmentSummary()
    for summary in summaries:
        for name in ("required", "added", "changed", "removed"):
            setattr(total, name, getattr(total, name) + getattr(summary, name))
    return total


def plan_assign(*, plan: TrainingPlan) -> AssignmentSummary:
    """plans_assign for one plan."""
    return plans_assign([plan]).get(plan.pk, AssignmentSummary())


def plan_assignment_start(*, plan: TrainingPlan, requested_by=None) -> PlanAssignmentJob:
    """Record a run of the plan's assignment as a background job and announce it (on commit). A run already
    waiting for a worker is returned instead: it will see every change made until it starts."""
    waiting = PlanAssignmentJob.objects.filter(plan=plan, status=PlanAssignmentJob.Status.PENDING).first()
    if waiting is not None:
        return waiting
    job = PlanAssignmentJob.objects.create(plan=plan, requested_by=requested_by)
    job_announce(job)
    return job


def plans_assignment_start_current_year() -> list[PlanAssignmentJob]:
    """Every plan of the current training year assigned again, one job each (nightly, and after a roster
    import): people added, moved or gone since the last run are picked up."""
    return [plan_assignment_start(plan=plan) for plan in TrainingPlan.objects.filter(year=training_year())]


def plan_assignment_run(*, job_id) -> None:
    """Run the job's assignment. Takes only a waiting job, so a message delivered twice does nothing. Takes the
    other waiting assignment jobs too (a nightly run or a roster import starts one per plan of the year): their
    plans are assigned in the same pass, and their own messages then find them taken."""
    if not job_start(PlanAssignmentJob, job_id, from_statuses=[PlanAssignmentJob.Status.PENDING], done=0):
        return
    others = _assignment_jobs_take_waiting()
    try:
        with transaction.atomic():
            # Their rows stay locked while the pass runs: the sweep takes a locked job for alive.
            jobs = list(
                PlanAssignmentJob.objects.select_for_update().filter(
                    pk__in=[job_id, *others], status=PlanAssignmentJob.Status.RUNNING
                ).order_by("pk")
            )
            summaries = plans_assign(TrainingPlan.objects.filter(pk__in={job.plan_id for job in jobs}))
            for job in jobs:
                summary = summaries.get(job.plan_id, AssignmentSummary())
                PlanAssignmentJob.objects.filter(pk=job.pk).update(
                    status=PlanAssignmentJob.Status.DONE, done=summary.required, total=summary.required,
                    summary=asdict(summary), finished_at=timezone.now(),
                )
    except Exception:
        # This job fails (its task says why); the others wait again for their own messages, or the sweep.
        PlanAssignmentJob.objects.filter(pk__in=others, status=PlanAssignmentJob.Status.RUNNING).update(
            status=PlanAssignmentJob.Status.PENDING, started_at=None
        )
        raise


def _assignment_jobs_take_waiting() -> list:
    """Take every waiting assignment job (skipping any another worker is taking): their ids."""
    with transaction.atomic():
        waiting = list(
            PlanAssignmentJob.objects.select_for_update(skip_locked=True)
            .filter(status=PlanAssignmentJob.Status.PENDING).values_list("pk", flat=True)
        )
        for job_id in waiting:
            job_start(PlanAssignmentJob, job_id, from_statuses=[PlanAssignmentJob.Status.PENDING], done=0)
    return waiting


def plan_assignment_retry(*, job: PlanAssignmentJob) -> bool:
    """Run a failed assignment again; what the failed run wrote is brought in line, nothing is doubled."""
    return job_retry(job)


def plan_assignment_latest(plan: TrainingPlan) -> PlanAssignmentJob | None:
    """The plan's most recent assignment job, for its page."""
    return plan.assignment_jobs.order_by("-created_at").first()


def assignment_copies(*, plan: TrainingPlan, person_name: str) -> dict:
    """The columns an assignment copies so that the untrained list reads one table in the order of one index:
    ``year`` is the plan's year, ``person_name`` the person's name (in SQL: plan.year, organisation_person.name).
    Renames follow through assignment_names_refresh."""
    return {"year": plan.year, "person_name": person_name}


def assignment_names_refresh(*, person_ids) -> int:
    """The copied name (assignment_copies) of every assignment of ``person_ids``, after they were renamed."""
    return PlanAssignment.objects.filter(person_id__in=person_ids).update(
        person_name=Subquery(Person.objects.filter(pk=OuterRef("person_id")).values("name")[:1])
    )


# --- Status refresh when training happens ----------------------------------------------------------------


def plan_statuses_refresh(*, person) -> None:
    """Recompute ``person``'s assignments of open plans (this training year's and later ones; earlier years
    are history) after a training record of theirs was written or removed, and move the coverage counts.
    A few queries, so it runs in the request that wrote the record."""
    person_id = getattr(person, "pk", person)
    assignments = list(
        PlanAssignment.objects.filter(person_id=person_id, plan__year__gte=training_year()).select_related("plan")
    )
    if not assignments:
        return
    rows = TrainingRecord.objects.filter(
        person_id=person_id, completed_on__gte=min(assignment.plan.opens_on for assignment in assignments)
    ).values_list("course_id", "source", "counts_as_completion", "credit_hours", "completed_on")
    records = [RecordFacts(*row) for row in rows]
    started_lessons = set(
        LessonProgress.objects.filter(person_id=person_id, year__gte=training_year()).values_list("lesson_id", "year")
    )
    for assignment in assignments:
        requirement = Requirement.of(assignment.plan)
        lessons_started = any(
            (lesson_id, requirement.year) in started_lessons for lesson_id in requirement.lesson_ids
        )
        facts = assignment_status(requirement, records, lessons_started=lessons_started)
        if (assignment.status, assignment.credit_hours, assignment.completed_on) == tuple(facts):
            continue
        old_status = assignment.status
        assignment.status, assignment.credit_hours, assignment.completed_on = facts
        with transaction.atomic():
            assignment.save(update_fields=["status", "credit_hours", "completed_on", "updated_at"])
            coverage.apply_changes(plan=assignment.plan, changes=[(assignment.region_id, old_status, facts.status)])


# --- Writes of the plan pages ----------------------------------------------------------------------------


@transaction.atomic
def plan_create(
    *, year: int, post_kind: str, organiser_region: Region, opens_on, deadline, join_cutoff, leave_cutoff,
    title: str = "", required_courses=(), min_credit_hours: Decimal | None = None,
    requires_face_to_face: bool = False, created_by=None,
) -> TrainingPlan:
    """Create a plan; its assignment job is queued once the transaction commits."""
    plan = TrainingPlan(
        year=year, post_kind=post_kind, organiser_region=organiser_region,
        title=title.strip() or plan_default_title(year=year, post_kind=post_kind, organiser_region=organiser_region),
        min_credit_hours=min_credit_hours, requires_face_to_face=requires_face_to_face, opens_on=opens_on,
        deadline=deadline, join_cutoff=join_cutoff, leave_cutoff=leave_cutoff, created_by=created_by,
    )
    required_courses = list(required_courses)
    plan_validate(plan, required_course_ids=[course.pk for course in required_courses])
    _plan_save(plan)
    plan.required_courses.set(required_courses)
    plan_assignment_start(plan=plan, requested_by=created_by)
    return plan


@transaction.atomic
def plan_update(*, plan: TrainingPlan, required_courses=None, **fields) -> TrainingPlan:
    """Change a plan's title, requirement, window or cut-offs; its assignment job is queued once the transaction
    commits: who is required and their statuses follow the new rule."""
    plan = TrainingPlan.objects.select_for_update().select_related("organiser_region").get(pk=plan.pk)
    for name, value in fields.items():
        setattr(plan, name, value)
    if not plan.title.strip():
        plan.title = plan_default_title(
            year=plan.year, post_kind=plan.post_kind, organiser_region=plan.organiser_region
        )
    if required_courses is None:
        required_courses = list(plan.required_courses.all())
    plan_validate(plan, required_course_ids=[course.pk for course in required_courses])
    _plan_save(plan)
    plan.required_courses.set(required_courses)
    plan_assignment_start(plan=plan)
    return plan


# --- Reads of the plan pages -----------------------------------------------------------------------------


def plans_in_scope(*, scope: Scope) -> QuerySet:
    """The plans an administrator sees: those organised anywhere inside their scope."""
    if scope.is_empty:
        return TrainingPlan.objects.none()
    return TrainingPlan.objects.filter(organiser_region__code__startswith=scope.region_code)


def plans_managed_by(user) -> QuerySet:
    """The plans ``user`` may edit and run: their own region's plans of the tier it organises (a province
    administrator sees a city's plans but leaves them to the city)."""
    if user.is_superuser:
        return TrainingPlan.objects.all()
    if not user.admin_region_id:
        return TrainingPlan.objects.none()
    return TrainingPlan.objects.filter(organiser_region_id=user.admin_region_id, post_kind__in=plannable_tiers(user))


def with_counts(plans: QuerySet) -> QuerySet:
    """Adds not_started, in_progress, completed and required over the organiser's whole region (from the coverage
    counts, so a plan of 600,000 people costs as little as one of 30)."""
    counts = CoverageCount.objects.filter(plan=OuterRef("pk"), region=OuterRef("organiser_region"))
    plans = plans.annotate(**{
        name: Coalesce(Subquery(counts.values(name)[:1]), 0) for name in ("not_started", "in_progress", "completed")
    })
    return plans.annotate(required=F("not_started") + F("in_progress") + F("completed"))


def plan_list(*, scope: Scope) -> QuerySet:
    return with_counts(plans_in_scope(scope=scope).select_related("organiser_region")).order_by(
        "-year", "post_kind", "organiser_region_id"
    )


@dataclass(frozen=True)
class PlanCounts:
    not_started: int
    in_progress: int
    completed: int

    @property
    def required(self) -> int:
        return self.not_started + self.in_progress + self.completed

    @property
    def percent(self) -> int:
        """Completed as a whole percent, rounded down: 99.6% is not yet 100%."""
        return 100 * self.completed // self.required if self.required else 100


def plan_counts(plan: TrainingPlan) -> PlanCounts:
    row = CoverageCount.objects.filter(plan=plan, region_id=plan.organiser_region_id).first()
    if row is None:
        return PlanCounts(0, 0, 0)
    return PlanCounts(row.not_started, row.in_progress, row.completed)


@dataclass
class Obligation:
    """One plan a trainee must meet this year, and how far they are with each of its requirements."""

    assignment: PlanAssignment
    courses: list[tuple[CoursePage, bool]]  # (required course, completed in the window)
    credit_hours: Decimal
    min_credit_hours: Decimal | None
    face_to_face_done: bool | None  # None when the plan does not ask for one
    overdue: bool

    @property
    def plan(self) -> TrainingPlan:
        return self.assignment.plan

    @property
    def is_completed(self) -> bool:
        return self.assignment.status == PlanStatus.COMPLETED


def plan_obligations(*, person, today: datetime.date, year: int | None = None) -> list[Obligation]:
    """The person's plans of the year with each requirement's progress (the rule of requirement_progress),
    nearest deadline first: three queries (assignments, required courses, the year's records)."""
    year = year or training_year()
    assignments = list(
        PlanAssignment.objects.filter(person=person, plan__year=year)
        .select_related("plan")
        .prefetch_related("plan__required_courses")
        .order_by("plan__deadline", "plan_id")
    )
    if not assignments:
        return []
    earliest = min(assignment.plan.opens_on for assignment in assignments)
    latest = max(assignment.plan.deadline for assignment in assignments)
    rows = TrainingRecord.objects.filter(person=person, completed_on__range=(earliest, latest)).values_list(
        "course_id", "source", "counts_as_completion", "credit_hours", "completed_on"
    )
    records = [RecordFacts(*row) for row in rows]

    obligations = []
    for assignment in assignments:
        plan = assignment.plan
        courses = list(plan.required_courses.all())
        requirement = Requirement.with_courses(plan, course_ids=[course.pk for course in courses])
        progress = requirement_progress(
            requirement, [record for record in records if requirement.in_window(record.completed_on)]
        )
        obligations.append(Obligation(
            assignment=assignment,
            courses=[(course, progress.courses[course.pk] is not None) for course in courses],
            credit_hours=progress.credit_hours,
            min_credit_hours=plan.min_credit_hours,
            face_to_face_done=progress.face_to_face is not None if requirement.face_to_face else None,
            overdue=today > plan.deadline and assignment.status != PlanStatus.COMPLETED,
        ))
    return obligations


def _day(day: datetime.date) -> str:
    """A day as every plan and coverage page writes it: 2025-11-30."""
    return day.isoformat()


def plan_rule_text(plan: TrainingPlan) -> str:
    """Who the plan requires, late joiners and early leavers included, in plain words: the one wording, for
    the plan and coverage pages."""
    return _(
        "Everyone holding the post of %(tier)s in %(region)s on at least one day from %(opens)s to %(deadline)s "
        "must train, except people who took up the post after %(join_cutoff)s and people who left it before "
        "%(leave_cutoff)s. Someone holding the post in two places is counted once, where they hold it latest."
    ) % {
        "tier": PostKind(plan.post_kind).label, "region": plan.organiser_region.name, "opens": _day(plan.opens_on),
        "deadline": _day(plan.deadline), "join_cutoff": _day(plan.join_cutoff), "leave_cutoff": _day(plan.leave_cutoff),
    }


def plan_requirement_lines(plan: TrainingPlan) -> list[str]:
    """What completes the plan, one line per requirement, in plain words."""
    lines = [
        _("Complete the course “%(title)s”.") % {"title": course.title}
        for course in plan.required_courses.order_by("title")
    ]
    if plan.min_credit_hours:
        hours = formats.number_format(plan.min_credit_hours)
        lines.append(_("Earn at least %(hours)s credit hours.") % {"hours": hours})
    if plan.requires_face_to_face:
        lines.append(_("Attend a face-to-face session in full."))
    return lines


def plan_window_text(plan: TrainingPlan) -> str:
    return _("Only training from %(opens)s to %(deadline)s counts.") % {
        "opens": _day(plan.opens_on), "deadline": _day(plan.deadline)
    }
