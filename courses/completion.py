"""When a course is complete for a person in a training year: every live lesson complete and, if the
course has an exam, an attempt passed; or attendance at a face-to-face session held for the course, which
counts wherever a course completion would. Online completion writes one TrainingRecord (idempotent)."""
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from .models import CoursePage, ExamAttempt, LessonPage, LessonProgress, TrainingRecord, TrainingSource
from .plans import plan_statuses_refresh


@dataclass(frozen=True)
class CourseStatus:
    lessons_total: int
    lessons_completed: int
    has_exam: bool
    best_passing_score: int | None
    record: TrainingRecord | None

    @property
    def exam_passed(self) -> bool:
        return self.best_passing_score is not None

    @property
    def lessons_done(self) -> bool:
        return self.lessons_completed >= self.lessons_total

    @property
    def is_complete(self) -> bool:
        return self.record is not None

    @property
    def percent(self) -> int:
        steps = self.lessons_total + (1 if self.has_exam else 0)
        done = self.lessons_completed + (1 if self.exam_passed else 0)
        return 100 if self.is_complete or not steps else round(100 * done / steps)


def completing_records(*, person, year: int):
    """The records that complete a course in ``year``, online or face-to-face; the earliest first."""
    return TrainingRecord.objects.filter(
        person=person, year=year, course__isnull=False, counts_as_completion=True
    ).order_by("completed_on", "pk")


def completion_by_course(records) -> dict[int, TrainingRecord]:
    """From records already read, the first completing each course: the rule of completing_records()."""
    by_course = {}
    for record in sorted(records, key=lambda record: (record.completed_on, record.pk)):
        if record.course_id is not None and record.counts_as_completion:
            by_course.setdefault(record.course_id, record)
    return by_course


def course_status(*, person, course: CoursePage, year: int) -> CourseStatus:
    lesson_ids = list(LessonPage.objects.live().child_of(course).values_list("pk", flat=True))
    completed = LessonProgress.objects.filter(
        person=person, lesson_id__in=lesson_ids, year=year, completed_at__isnull=False
    ).count()
    exam = course.exam()
    best = None
    if exam is not None:
        best = ExamAttempt.objects.filter(person=person, exam=exam, year=year, passed=True).aggregate(
            best=Max("score")
        )["best"]
    record = completing_records(person=person, year=year).filter(course=course).first()
    return CourseStatus(len(lesson_ids), completed, exam is not None, best, record)


def course_completion_check(*, person, course: CoursePage, year: int) -> TrainingRecord | None:
    """Record the course as completed if it now is; safe to call any number of times."""
    status = course_status(person=person, course=course, year=year)
    if status.record is not None:
        return status.record
    if not status.lessons_done or (status.has_exam and not status.exam_passed):
        return None
    try:
        with transaction.atomic():
            record = TrainingRecord.objects.create(
                person=person, year=year, source=TrainingSource.ONLINE, course=course, title=course.title,
                completed_on=timezone.localdate(), credit_hours=course.credit_hours, score=status.best_passing_score,
            )
            plan_statuses_refresh(person=person)  # the training plans and their coverage counts see it at once
            return record
    except IntegrityError:
        # Two requests completed the course at once; the other one wrote the record.
        return TrainingRecord.objects.get(person=person, course=course, year=year, source=TrainingSource.ONLINE)
