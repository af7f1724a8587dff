"""Reads for the trainee's own pages: what to learn (courses assigned and courses offered for their posts,
with progress and deadlines) and what was learnt (training records by year).

Pages read the progress of all their courses at once, in a fixed number of queries, rather than calling
course_status() once per course. ``course_statuses`` gives the same answers as course_status() (tests hold
them to it).
"""
import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, Max, OuterRef, Q, Subquery
from wagtail.models import Page

from academy.organisation.models import Post

from .completion import CourseStatus, completing_records, completion_by_course
from .models import (
    CoursePage, Enrolment, ExamAttempt, ExamPage, LessonPage, LessonProgress, PlanAssignment, TrainingRecord,
)

# An assigned course is flagged as due soon this many days before its deadline.
DUE_SOON_DAYS = 14


@dataclass(frozen=True)
class CourseProgress:
    """A course's status for a person and year, and where to go on with it."""

    status: CourseStatus
    started: bool
    # The first lesson not yet complete, else the exam not yet passed, else None (the course page).
    next_page: Page | None


@dataclass(frozen=True)
class CourseCard:
    course: CoursePage
    progress: CourseProgress
    due_date: datetime.date | None = None
    days_left: int | None = None

    @property
    def status(self) -> CourseStatus:
        return self.progress.status

    @property
    def is_overdue(self) -> bool:
        return self.days_left is not None and self.days_left < 0

    @property
    def is_due_soon(self) -> bool:
        return self.days_left is not None and 0 <= self.days_left <= DUE_SOON_DAYS


@dataclass(frozen=True)
class MyLearning:
    year: int
    assigned: list[CourseCard]
    available: list[CourseCard]
    completed: list[TrainingRecord]  # this training year's records, online and face-to-face

    @property
    def credit_hours(self) -> Decimal:
        return sum((record.credit_hours for record in self.completed), Decimal(0))

    @property
    def completions(self) -> int:
        return sum(1 for record in self.completed if record.counts_as_completion)

    @property
    def overdue_count(self) -> int:
        return sum(1 for card in self.assigned if card.is_overdue)


def _children_q(courses) -> Q:
    query = Q(pk__in=[])
    for course in courses:
        query |= Q(path__startswith=course.path, depth=course.depth + 1)
    return query


def _parent_path(page: Page) -> str:
    # A page's path is its parent's path and one more step of Page.steplen characters.
    return page.path[: -Page.steplen]


def course_progress(*, person, courses, year: int, year_records=None) -> dict[int, CourseProgress]:
    """The progress of ``person`` in each of ``courses`` in training year ``year``, by course id, in four
    queries whatever the number of courses (three when the caller passes the year's training records).
    A course attended face to face counts as completed (completion.completing_records)."""
    courses = list(courses)
    if not courses:
        return {}
    # Lessons and exams in one query, as plain pages told apart by content type: their titles and
    # addresses are all a card needs.
    exam_type = ContentType.objects.get_for_model(ExamPage)
    lessons_by_course, exam_by_course = defaultdict(list), {}
    children = Page.objects.live().filter(_children_q(courses)).type(LessonPage, ExamPage).order_by("path")
    for page in children:
        if page.content_type_id == exam_type.pk:
            exam_by_course.setdefault(_parent_path(page), page)
        else:
            lessons_by_course[_parent_path(page)].append(page)

    lesson_ids = [lesson.pk for lessons in lessons_by_course.values() for lesson in lessons]
    lessons_started, lessons_completed = set(), set()
    for lesson_id, completed_at in LessonProgress.objects.filter(
        person=person, year=year, lesson_id__in=lesson_ids
    ).values_list("lesson_id", "completed_at"):
        lessons_started.add(lesson_id)
        if completed_at is not None:
            lessons_completed.add(lesson_id)

    attempts = {
        row["exam_id"]: row
        for row in ExamAttempt.objects.filter(
            person=person, year=year, exam_id__in=[exam.pk for exam in exam_by_course.values()]
        ).values("exam_id").annotate(attempts=Count("pk"), best=Max("score", filter=Q(passed=True)))
    }
    if year_records is None:
        year_records = completing_records(person=person, year=year).filter(course_id__in=[c.pk for c in courses])
    completion_records = completion_by_course(year_records)

    progress = {}
    for course in courses:
        lessons = lessons_by_course[course.path]
        exam = exam_by_course.get(course.path)
        exam_row = attempts.get(exam.pk, {}) if exam else {}
        status = CourseStatus(
            lessons_total=len(lessons),
            lessons_completed=sum(1 for lesson in lessons if lesson.pk in lessons_completed),
            has_exam=exam is not None,
            best_passing_score=exam_row.get("best"),
            record=completion_records.get(course.pk),
        )
        next_page = next((lesson for lesson in lessons if lesson.pk not in lessons_completed), None)
        if next_page is None and exam is not None and not status.exam_passed:
            next_page = exam
        started = bool(exam_row) or any(lesson.pk in lessons_started for lesson in lessons)
        progress[course.pk] = CourseProgress(status=status, started=started, next_page=next_page)
    return progress


def course_statuses(*, person, courses, year: int) -> dict[int, CourseStatus]:
    """course_status() for many courses at once, by course id."""
    return {pk: item.status for pk, item in course_progress(person=person, courses=courses, year=year).items()}


def current_post_kinds(*, person, on: datetime.date) -> set[str]:
    return set(Post.objects.filter(person=person).current(on).values_list("kind", flat=True))


def my_learning(*, person, today: datetime.date, year: int) -> MyLearning:
    """The trainee's learning home.

    Assigned courses are this year's assignments: those without a deadline or due this training year or
    later (earlier ones belonged to past years' plans; what was done then is on the transcript). Available
    courses are the live, public ones whose audience includes a post the person holds today. A course
    completed this year leaves both lists for the completed one. A course that one of the person's training
    plans of the year requires is assigned too, due by the plan's deadline (or the enrolment's, if earlier).
    """
    this_years_enrolment = Enrolment.objects.filter(person=person, course=OuterRef("pk")).filter(
        Q(due_date__isnull=True) | Q(due_date__gte=datetime.date(year, 1, 1))
    )
    requiring_plans = PlanAssignment.objects.filter(
        person=person, plan__year=year, plan__required_courses=OuterRef("pk")
    ).order_by("plan__deadline")
    # Every live course, with the person's assignment: the catalogue holds tens of courses, and the audience
    # (a short JSON list) is matched here rather than with a JSON lookup that SQLite lacks.
    courses = list(
        CoursePage.objects.live().public()
        .annotate(
            is_assigned=Exists(this_years_enrolment),
            due_date=Subquery(this_years_enrolment.values("due_date")[:1]),
            plan_deadline=Subquery(requiring_plans.values("plan__deadline")[:1]),
        )
        .order_by("title")
    )
    for course in courses:
        if course.plan_deadline is not None:
            course.is_assigned = True
            course.due_date = min(filter(None, [course.due_date, course.plan_deadline]))
    post_kinds = current_post_kinds(person=person, on=today)
    assigned_courses = [course for course in courses if course.is_assigned]
    offered_courses = [
        course for course in courses if not course.is_assigned and post_kinds.intersection(course.audience or [])
    ]
    completed = list(TrainingRecord.objects.filter(person=person, year=year).order_by("-completed_on", "pk"))
    progress = course_progress(
        person=person, courses=assigned_courses + offered_courses, year=year, year_records=completed
    )

    assigned = [
        CourseCard(
            course=course,
            progress=progress[course.pk],
            due_date=course.due_date,
            days_left=(course.due_date - today).days if course.due_date else None,
        )
        for course in assigned_courses
        if not progress[course.pk].status.is_complete
    ]
    assigned.sort(key=lambda card: (card.due_date is None, card.due_date or today, card.course.title))
    available = [
        CourseCard(course=course, progress=progress[course.pk])
        for course in offered_courses
        if not progress[course.pk].status.is_complete
    ]
    return MyLearning(year=year, assigned=assigned, available=available, completed=completed)


# --- Transcript --------------------------------------------------------------------------------------


@dataclass
class TranscriptYear:
    year: int
    records: list[TrainingRecord] = field(default_factory=list)

    @property
    def credit_hours(self) -> Decimal:
        return sum((record.credit_hours for record in self.records), Decimal(0))

    @property
    def completions(self) -> int:
        return sum(1 for record in self.records if record.counts_as_completion)


@dataclass(frozen=True)
class Transcript:
    years: list[TranscriptYear]
    all_years: list[int]  # every year with a record, newest first, for the year filter

    @property
    def credit_hours(self) -> Decimal:
        return sum((year.credit_hours for year in self.years), Decimal(0))

    @property
    def completions(self) -> int:
        return sum(year.completions for year in self.years)

    @property
    def record_count(self) -> int:
        return sum(len(year.records) for year in self.years)

    @property
    def has_hours_only(self) -> bool:
        return any(not record.counts_as_completion for year in self.years for record in year.records)


def transcript(*, person, year: int | None = None) -> Transcript:
    """``person``'s training records grouped by training year, newest first; one year only if ``year``."""
    records = TrainingRecord.objects.filter(person=person)
    all_years = list(records.order_by("-year").values_list("year", flat=True).distinct())
    if year is not None:
        records = records.filter(year=year)
    years: dict[int, TranscriptYear] = {}
    for record in records.order_by("-year", "-completed_on", "pk"):
        years.setdefault(record.year, TranscriptYear(record.year)).records.append(record)
    return Transcript(years=list(years.values()), all_years=all_years)
