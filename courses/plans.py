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

The assignment job streams the required people from one ordered query and writes in batches, so it works
the same for a county's 300 directors and a national 600,000; running it twice changes nothing.
"""
import datetime
import logging
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from functools import reduce
from operator import or_
from typing import NamedTuple

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from academy.organisation.models import Post, PostKind, Region, RegionLevel
from academy.organisation.scope import Scope

from . import coverage
from .models import (
    CoursePage, CoverageCount, LessonPage, LessonProgress, PlanAssignment, PlanStatus, TrainingPlan, TrainingRecord, TrainingSource,
)
from .signals import plan_saved
from .years import training_year

logger = logging.getLogger(__name__)

# The level of the region that organises each tier's training (box 专栏6 item 1).
ORGANISER_LEVELS = {
    PostKind.INSTITUTION_HEAD: RegionLevel.PROVINCE,
    PostKind.CHILD_SUPERVISOR: RegionLevel.CITY,
    PostKind.CHILD_DIRECTOR: RegionLevel.COUNTY,
}
# People handled per transaction by the assignment job: large enough to keep the queries few, small enough
# for the IN lists of every database and for a batch to commit quickly.
BATCH_SIZE = 5000


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
    same = TrainingPlan.objects.filter(
        year=plan.year, post_kind=plan.post_kind, organiser_region_id=plan.organiser_region_id
    ).exclude(pk=plan.pk)
    if same.exists():
        errors[NON_FIELD_ERRORS].append(
            _("%(region)s already has a %(year)s plan for %(tier)s.") % {
                "region": plan.organiser_region.name, "year": plan.year, "tier": PostKind(plan.post_kind).label,
            }
        )
    if errors:
        raise ValidationError(dict(errors))


def required_posts(plan: TrainingPlan) -> QuerySet:
    """The posts that make someone required by ``plan``, each person's latest-held post first (still held,
    then the latest end, then the latest start): the first row of a person gives their region."""
    posts = Scope.of_region(plan.organiser_region).posts(Post.objects.filter(kind=plan.post_kind))
    return (
        posts.held_between(plan.opens_on, plan.deadline)
        .filter(start_date__lte=plan.join_cutoff)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=plan.leave_cutoff))
        .order_by("person_id", F("end_date").desc(nulls_first=True), "-start_date", "-pk")
    )


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


def statuses_of(requirement: Requirement, person_ids: list[int]) -> dict[int, StatusFacts]:
    """The status of each of ``person_ids`` under ``requirement``: one query for the window's records, and
    one for the lessons started by those without any record."""
    records = defaultdict(list)
    rows = TrainingRecord.objects.filter(
        person_id__in=person_ids, completed_on__gte=requirement.opens_on, completed_on__lte=requirement.deadline
    ).values_list("person_id", "course_id", "source", "counts_as_completion", "credit_hours", "completed_on")
    for person_id, *facts in rows:
        records[person_id].append(RecordFacts(*facts))
    started = set()
    without_records = [person_id for person_id in person_ids if person_id not in records]
    if requirement.lesson_ids and without_records:
        started = set(
            LessonProgress.objects.filter(
                person_id__in=without_records, year=requirement.year, lesson_id__in=requirement.lesson_ids
            ).values_list("person_id", flat=True).distinct()
        )
    return {
        person_id: assignment_status(requirement, records[person_id], lessons_started=person_id in started)
        for person_id in person_ids
    }


# --- The assignment job ----------------------------------------------------------------------------------


@dataclass
class AssignmentSummary:
    required: int = 0
    added: int = 0
    changed: int = 0
    removed: int = 0


def plan_assign(*, plan: TrainingPlan, batch_size: int = BATCH_SIZE) -> AssignmentSummary:
    """Bring ``plan``'s assignments in line with the posts and training records as they are now: add the
    people newly required, move and re-status the others, remove those no longer required, then recount the
    coverage. People come from one query ordered by person, written batch by batch; each batch also owns the
    range of person ids it covers, which is how assignments of people who moved away are found."""
    requirement = Requirement.of(plan)
    summary = AssignmentSummary()
    batch: list[tuple[int, str]] = []
    after = None  # the last person id of the batches written
    previous_person = None
    rows = required_posts(plan).values_list("person_id", "region_id").iterator(chunk_size=batch_size)
    for person_id, region_id in rows:
        if person_id == previous_person:
            continue  # an earlier post of someone already taken at their latest post
        previous_person = person_id
        batch.append((person_id, region_id))
        if len(batch) >= batch_size:
            _assign_batch(plan, requirement, batch, after=after, last=False, summary=summary)
            after, batch = batch[-1][0], []
    _assign_batch(plan, requirement, batch, after=after, last=True, summary=summary)
    coverage.rebuild(plan=plan)
    TrainingPlan.objects.filter(pk=plan.pk).update(assigned_at=timezone.now())
    logger.info("Plan %s assigned: %s", plan.pk, summary)
    return summary


@transaction.atomic
def _assign_batch(plan, requirement, batch, *, after, last, summary) -> None:
    """Write one batch of (person id, region code), in person order. The batch covers the person ids after
    ``after`` up to its last one (to the end for the last batch): assignments in that range of anyone not in
    the batch are no longer required."""
    existing = PlanAssignment.objects.filter(plan=plan)
    if after is not None:
        existing = existing.filter(person_id__gt=after)
    if not last:
        existing = existing.filter(person_id__lte=batch[-1][0])
    # Plain tuples, not model instances: a national run reads hundreds of thousands of them.
    existing = {
        person_id: (pk, (region_id, status, credit_hours, completed_on))
        for pk, person_id, region_id, status, credit_hours, completed_on in existing.values_list(
            "pk", "person_id", "region_id", "status", "credit_hours", "completed_on"
        )
    }
    statuses = statuses_of(requirement, [person_id for person_id, _region in batch]) if batch else {}
    now = timezone.now()
    new, changed = [], []
    for person_id, region_id in batch:
        status, credit_hours, completed_on = statuses[person_id]
        stored = existing.pop(person_id, None)
        if stored is None:
            new.append(PlanAssignment(
                plan=plan, person_id=person_id, region_id=region_id, status=status, credit_hours=credit_hours,
                completed_on=completed_on,
            ))
        elif stored[1] != (region_id, status, credit_hours, completed_on):
            changed.append(PlanAssignment(
                pk=stored[0], plan=plan, person_id=person_id, region_id=region_id, status=status,
                credit_hours=credit_hours, completed_on=completed_on, updated_at=now,
            ))
    PlanAssignment.objects.bulk_create(new, ignore_conflicts=True, batch_size=1000)
    PlanAssignment.objects.bulk_update(
        changed, ["region", "status", "credit_hours", "completed_on", "updated_at"], batch_size=1000
    )
    if existing:
        PlanAssignment.objects.filter(pk__in=[pk for pk, _values in existing.values()]).delete()
    summary.required += len(batch)
    summary.added += len(new)
    summary.changed += len(changed)
    summary.removed += len(existing)


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
    """Create a plan; its assignment job runs once the transaction commits (plan_saved)."""
    plan = TrainingPlan(
        year=year, post_kind=post_kind, organiser_region=organiser_region,
        title=title.strip() or plan_default_title(year=year, post_kind=post_kind, organiser_region=organiser_region),
        min_credit_hours=min_credit_hours, requires_face_to_face=requires_face_to_face, opens_on=opens_on,
        deadline=deadline, join_cutoff=join_cutoff, leave_cutoff=leave_cutoff, created_by=created_by,
    )
    required_courses = list(required_courses)
    plan_validate(plan, required_course_ids=[course.pk for course in required_courses])
    plan.save()
    plan.required_courses.set(required_courses)
    _announce_saved(plan)
    return plan


@transaction.atomic
def plan_update(*, plan: TrainingPlan, required_courses=None, **fields) -> TrainingPlan:
    """Change a plan's title, requirement, window or cut-offs; its assignment job runs once the transaction
    commits (plan_saved): who is required and their statuses follow the new rule."""
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
    plan.save()
    plan.required_courses.set(required_courses)
    _announce_saved(plan)
    return plan


def _announce_saved(plan: TrainingPlan) -> None:
    plan_id = plan.pk
    transaction.on_commit(lambda: plan_saved.send(sender=TrainingPlan, plan_id=plan_id))


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
