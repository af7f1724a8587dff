"""Exams drawn from question banks and scored on the server.

An attempt fixes, when it starts, which questions were drawn and the order in which their options are shown
(ExamAttempt.questions). Saving and scoring accept only those question and option ids. The correct answers
and the explanations leave the server only on the result page, after the attempt is submitted. The time
limit and the number of attempts per training year are enforced here, never in the browser.
"""
import datetime
import logging
import random
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from .completion import course_completion_check
from .models import ExamAttempt, ExamPage, LessonProgress, Question, QuestionCategory, QuestionKind, QuestionOption
from .years import training_year

logger = logging.getLogger(__name__)

# Answers sent just before the deadline may reach the server a little after it on a weak rural network.
SUBMISSION_GRACE = datetime.timedelta(seconds=30)

OPTION_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class ExamRefused(Exception):
    """Why no attempt can start now; the message is for the trainee."""


class ExamNotReady(ExamRefused):
    """The question bank cannot supply the draw. ``problems`` tells the editor what to fix."""

    def __init__(self, problems: list[str]):
        super().__init__(_("This exam cannot be taken yet: its questions are still being prepared. Please try again later."))
        self.problems = problems


class NoAttemptsLeft(ExamRefused):
    def __init__(self):
        super().__init__(_("You have used all your attempts at this exam this year."))


class LessonsNotDone(ExamRefused):
    def __init__(self, *, done: int, total: int):
        super().__init__(
            _("Complete every lesson of the course before taking its exam: %(done)s of %(total)s done.")
            % {"done": done, "total": total}
        )


class AlreadyPassed(ExamRefused):
    def __init__(self, attempt: ExamAttempt):
        super().__init__(_("You have already passed this exam this year."))
        self.attempt = attempt


# --- Drawing --------------------------------------------------------------------------------------------


def exam_draw_problems(*, exam: ExamPage) -> list[str]:
    """What stops the exam from being drawn, in words for its editor; empty when it can be drawn."""
    wanted = Counter()
    for rule in exam.draw_rules.all():
        wanted[rule.category_id] += rule.count
    return draw_shortfalls(wanted=wanted)


def draw_shortfalls(*, wanted: Counter) -> list[str]:
    """Why questions wanted per category id cannot be drawn; empty when they can. Also checks the exam
    form in the Wagtail admin, before an editor saves an exam nobody could take."""
    if not wanted:
        return [_("The exam draws no questions: add a question category to draw from.")]
    available = dict(
        Question.objects.filter(category_id__in=wanted).values_list("category_id").annotate(total=Count("pk"))
    )
    names = dict(QuestionCategory.objects.filter(pk__in=wanted).values_list("pk", "name"))
    problems = []
    for category_id, count in wanted.items():
        if available.get(category_id, 0) < count:
            problems.append(
                _("The category “%(category)s” has %(available)d questions, but the exam draws %(count)d from it.")
                % {"category": names.get(category_id, category_id), "available": available.get(category_id, 0),
                   "count": count}
            )
    return problems


def exam_draw(*, exam: ExamPage, rng: random.Random | None = None) -> list[dict]:
    """Draw ``count`` questions at random per rule and fix the order of their options.

    True-or-false options keep their authored order (True, then False): shuffling two options tests nothing
    and only confuses. Raises ExamNotReady when a category has too few questions.
    """
    rng = rng or random.SystemRandom()
    problems = exam_draw_problems(exam=exam)
    if problems:
        logger.warning("Exam %s cannot be drawn: %s", exam.pk, "; ".join(problems))
        raise ExamNotReady(problems)
    drawn: list[tuple[int, str]] = []
    taken: set[int] = set()  # two rules on one category never draw the same question twice
    for rule in exam.draw_rules.all():
        candidates = list(
            Question.objects.filter(category_id=rule.category_id).exclude(pk__in=taken).values_list("pk", "kind")
        )
        if len(candidates) < rule.count:  # a question deleted since the check above
            raise ExamNotReady(exam_draw_problems(exam=exam))
        picked = rng.sample(candidates, rule.count)
        drawn += picked
        taken.update(question_id for question_id, _kind in picked)
    options = defaultdict(list)
    for question_id, option_id in (
        QuestionOption.objects.filter(question_id__in=taken).order_by("sort_order", "pk").values_list("question_id", "pk")
    ):
        options[question_id].append(option_id)
    questions = []
    for question_id, kind in drawn:
        order = options[question_id]
        if exam.shuffle_options and kind != QuestionKind.TRUE_FALSE:
            order = rng.sample(order, len(order))
        questions.append({"question": question_id, "options": order})
    return questions


# --- Starting, saving, submitting -----------------------------------------------------------------------


def attempt_closes_at(attempt: ExamAttempt) -> datetime.datetime:
    return attempt.deadline_at + SUBMISSION_GRACE


def attempt_accepts_answers(attempt: ExamAttempt, now: datetime.datetime) -> bool:
    return attempt.submitted_at is None and now <= attempt_closes_at(attempt)


def attempt_seconds_left(attempt: ExamAttempt, now: datetime.datetime | None = None) -> int:
    now = now or timezone.now()
    return max(0, int((attempt.deadline_at - now).total_seconds()))


def attempt_start(
    *, person, exam: ExamPage, now: datetime.datetime | None = None, rng: random.Random | None = None
) -> ExamAttempt:
    """Resume the open attempt, or start a new one if the year's attempts allow it.

    Raises AlreadyPassed (the trainee passed this year: the course record is written, a retake would change
    nothing), LessonsNotDone (the course puts its exam after its lessons), NoAttemptsLeft, or ExamNotReady.
    """
    now = now or timezone.now()
    year = training_year(now)
    for unsubmitted in ExamAttempt.objects.filter(person=person, exam=exam, submitted_at__isnull=True):
        if now < unsubmitted.deadline_at:
            return unsubmitted
        # Starting again means the trainee has left that attempt: score what it saved (it may be a pass).
        attempt_close(attempt=unsubmitted, now=now)
    passed = exam_passed_attempt(person=person, exam=exam, year=year)
    if passed is not None:
        raise AlreadyPassed(passed)
    refusal = exam_lessons_refusal(person=person, exam=exam, year=year)
    if refusal is not None:
        raise refusal
    used = ExamAttempt.objects.filter(person=person, exam=exam, year=year).count()
    if used >= exam.max_attempts:
        raise NoAttemptsLeft()
    try:
        return attempt_create(person=person, exam=exam, now=now, rng=rng, number=used + 1)
    except IntegrityError:
        # A second tap on Start created this attempt a moment ago: resume that one.
        resumed = ExamAttempt.objects.filter(
            person=person, exam=exam, submitted_at__isnull=True, deadline_at__gt=now
        ).first()
        if resumed is None:
            raise NoAttemptsLeft() from None
        return resumed


def attempt_create(
    *, person, exam: ExamPage, now: datetime.datetime, rng: random.Random | None = None, number: int | None = None,
    time_limit_ends: datetime.datetime | None = None,
) -> ExamAttempt:
    """A new attempt with a fresh draw, without the yearly limits (callers apply their own: a course's attempts
    per year, or a certification session's one sitting). ``time_limit_ends`` cuts the time limit short, for an
    exam taken in a fixed slot. Raises IntegrityError if the same number was taken meanwhile."""
    year = training_year(now)
    if number is None:
        number = (ExamAttempt.objects.filter(person=person, exam=exam, year=year).count()) + 1
    deadline = now + datetime.timedelta(minutes=exam.time_limit_minutes)
    if time_limit_ends is not None:
        deadline = min(deadline, time_limit_ends)
    questions = exam_draw(exam=exam, rng=rng)
    with transaction.atomic():
        return ExamAttempt.objects.create(
            person=person, exam=exam, year=year, number=number, started_at=now, deadline_at=deadline,
            questions=questions,
        )


def answers_from_form(data) -> dict[str, list[str]]:
    """The answers in a submitted exam form: one field ``q<question id>`` per question."""
    return {match[1]: data.getlist(key) for key in data if (match := re.fullmatch(r"q(\d+)", key))}


def answers_clean(*, attempt: ExamAttempt, answers) -> dict[str, list[int]]:
    """Keep only the attempt's own questions and, for each, the options it showed; drop anything else."""
    shown = {str(item["question"]): item["options"] for item in attempt.questions}
    cleaned = {}
    if not isinstance(answers, dict):
        return cleaned
    for question_id, option_ids in answers.items():
        allowed = shown.get(str(question_id))
        if allowed is None or not isinstance(option_ids, list):
            continue
        chosen = {str(option_id) for option_id in option_ids}
        kept = [option_id for option_id in allowed if str(option_id) in chosen]
        if kept:
            cleaned[str(question_id)] = kept
    return cleaned


def attempt_save(*, attempt: ExamAttempt, answers, now: datetime.datetime | None = None) -> bool:
    """Keep the trainee's answers as they stand now. False when the attempt no longer accepts answers (it was
    submitted, or its time and the grace for the network are over)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = ExamAttempt.objects.select_for_update().get(pk=attempt.pk)
        if not attempt_accepts_answers(locked, now):
            return False
        locked.answers = answers_clean(attempt=locked, answers=answers)
        locked.save(update_fields=["answers"])
    attempt.answers = locked.answers
    return True


def attempt_submit(
    *, attempt: ExamAttempt, answers, now: datetime.datetime | None = None
) -> tuple[ExamAttempt, bool]:
    """Score the attempt with the answers sent. Returns the attempt and whether those answers counted: after
    the deadline (and its grace) they are ignored and the answers saved in time are scored. Submitting an
    attempt already submitted changes nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = ExamAttempt.objects.select_for_update().select_related("exam").get(pk=attempt.pk)
        if locked.submitted_at is not None:
            return locked, False
        counted = attempt_accepts_answers(locked, now)
        if counted:
            locked.answers = answers_clean(attempt=locked, answers=answers)
        attempt_finalise(attempt=locked, now=now)
    return locked, counted


def attempt_close_if_expired(*, attempt: ExamAttempt, now: datetime.datetime | None = None) -> ExamAttempt:
    """An attempt left open past its time is scored with its saved answers the next time anyone looks."""
    now = now or timezone.now()
    if attempt.submitted_at is not None or now <= attempt_closes_at(attempt):
        return attempt
    return attempt_close(attempt=attempt, now=now)


def attempt_close(*, attempt: ExamAttempt, now: datetime.datetime) -> ExamAttempt:
    """Score the attempt with the answers it saved, unless it was submitted meanwhile."""
    with transaction.atomic():
        locked = ExamAttempt.objects.select_for_update().select_related("exam").get(pk=attempt.pk)
        if locked.submitted_at is None:
            attempt_finalise(attempt=locked, now=now)
    return locked


def attempt_finalise(*, attempt: ExamAttempt, now: datetime.datetime) -> None:
    """Score an unsubmitted attempt (locked by the caller) and, on a pass, check the course's completion."""
    attempt.score = attempt_score(attempt)
    attempt.passed = attempt.score >= attempt.exam.effective_pass_mark()
    # An attempt finalised after its time ended when its time did.
    attempt.submitted_at = now if now <= attempt_closes_at(attempt) else attempt.deadline_at
    attempt.save(update_fields=["answers", "score", "passed", "submitted_at"])
    if attempt.passed:
        course_completion_check(person=attempt.person, course=attempt.exam.course, year=attempt.year)


# --- Marking --------------------------------------------------------------------------------------------


@dataclass
class MarkedOption:
    letter: str
    text: str
    chosen: bool
    correct: bool


@dataclass
class MarkedQuestion:
    number: int
    question: Question
    options: list[MarkedOption] = field(default_factory=list)

    @property
    def is_correct(self) -> bool:
        correct = {option.letter for option in self.options if option.correct}
        return bool(correct) and correct == {option.letter for option in self.options if option.chosen}

    @property
    def answered(self) -> bool:
        return any(option.chosen for option in self.options)


def attempt_marking(attempt: ExamAttempt) -> list[MarkedQuestion]:
    """Each question drawn, its options as shown, what the trainee chose and what was right. A question
    deleted from the bank since the draw is left out; an option added since is not shown, so not counted."""
    question_ids = [item["question"] for item in attempt.questions]
    questions = Question.objects.in_bulk(question_ids)
    options = QuestionOption.objects.filter(question_id__in=question_ids).in_bulk()
    marked = []
    for item in attempt.questions:
        question = questions.get(item["question"])
        if question is None:
            continue
        chosen = set(attempt.answers.get(str(question.pk), []))
        shown = [options[option_id] for option_id in item["options"] if option_id in options]
        marked.append(MarkedQuestion(
            number=len(marked) + 1, question=question,
            options=[
                MarkedOption(letter=OPTION_LETTERS[index], text=option.text, chosen=option.pk in chosen,
                             correct=option.is_correct)
                for index, option in enumerate(shown)
            ],
        ))
    return marked


def attempt_score(attempt: ExamAttempt) -> int:
    """round(100 × correct ÷ questions). A multiple-choice question counts only when exactly its correct
    options are chosen."""
    marked = attempt_marking(attempt)
    if not marked:
        return 0
    return round(100 * sum(1 for question in marked if question.is_correct) / len(marked))


# --- What the trainee sees -------------------------------------------------------------------------------


@dataclass(frozen=True)
class OptionToAnswer:
    id: int
    letter: str
    text: str
    chosen: bool


@dataclass(frozen=True)
class QuestionToAnswer:
    """A question as the take page shows it: no correct flags, no explanation, on purpose."""

    id: int
    number: int
    kind: str
    kind_label: str
    text: str
    options: list[OptionToAnswer]

    @property
    def input_type(self) -> str:
        return "checkbox" if self.kind == QuestionKind.MULTIPLE else "radio"


def attempt_questions_to_answer(attempt: ExamAttempt) -> list[QuestionToAnswer]:
    question_ids = [item["question"] for item in attempt.questions]
    questions = {row["pk"]: row for row in Question.objects.filter(pk__in=question_ids).values("pk", "kind", "text")}
    options = {
        row["pk"]: row["text"]
        for row in QuestionOption.objects.filter(question_id__in=question_ids).values("pk", "text")
    }
    shown = []
    for item in attempt.questions:
        question = questions.get(item["question"])
        if question is None:
            continue
        chosen = set(attempt.answers.get(str(question["pk"]), []))
        option_ids = [option_id for option_id in item["options"] if option_id in options]
        shown.append(QuestionToAnswer(
            id=question["pk"], number=len(shown) + 1, kind=question["kind"],
            kind_label=QuestionKind(question["kind"]).label, text=question["text"],
            options=[
                OptionToAnswer(id=option_id, letter=OPTION_LETTERS[index], text=options[option_id],
                               chosen=option_id in chosen)
                for index, option_id in enumerate(option_ids)
            ],
        ))
    return shown


def exam_passed_attempt(*, person, exam: ExamPage, year: int) -> ExamAttempt | None:
    return (
        ExamAttempt.objects.filter(person=person, exam=exam, year=year, passed=True)
        .order_by("-score", "submitted_at").first()
    )


def exam_lessons_refusal(*, person, exam: ExamPage, year: int) -> LessonsNotDone | None:
    """Why the exam stays closed when its course puts it after the lessons and some are not yet complete."""
    course = exam.course
    if not course.exam_after_lessons:
        return None
    lesson_ids = list(course.lessons().values_list("pk", flat=True))
    done = LessonProgress.objects.filter(
        person=person, year=year, lesson_id__in=lesson_ids, completed_at__isnull=False
    ).count()
    return LessonsNotDone(done=done, total=len(lesson_ids)) if done < len(lesson_ids) else None


@dataclass(frozen=True)
class ExamOverview:
    """One trainee's standing at one exam in the current training year."""

    attempts: list[ExamAttempt]  # every attempt, every year, latest first
    attempts_left: int
    open_attempt: ExamAttempt | None
    passed_attempt: ExamAttempt | None
    closed_because: str = ""  # why no attempt may start yet (the lessons come first), else empty


def exam_overview(*, person, exam: ExamPage, now: datetime.datetime | None = None) -> ExamOverview:
    now = now or timezone.now()
    year = training_year(now)
    attempts = [
        attempt_close_if_expired(attempt=attempt, now=now)
        for attempt in ExamAttempt.objects.filter(person=person, exam=exam).order_by("-started_at")
    ]
    used = sum(1 for attempt in attempts if attempt.year == year)
    return ExamOverview(
        attempts=attempts,
        attempts_left=max(0, exam.max_attempts - used),
        open_attempt=next(
            (attempt for attempt in attempts if attempt.submitted_at is None and now < attempt.deadline_at), None
        ),
        passed_attempt=exam_passed_attempt(person=person, exam=exam, year=year),
        closed_because=str(exam_lessons_refusal(person=person, exam=exam, year=year) or ""),
    )
