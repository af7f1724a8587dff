"""Attention checks (防挂机): a phone left on a lesson must not gather study time.

A course's editors turn the checks on and say how often they come (``attention_interval_minutes``, minutes of
study on average) and how long a trainee has to answer (``attention_answer_seconds``). Everything is decided
on the server; the page only shows what it is sent and reports what was tapped.

When. The moment is drawn at random by the server and kept on the progress row as a study time
(``attention_due_seconds``), never sent to the page: the first check of a lesson comes at a random moment
within its first interval of study, each next one between half and one and a half intervals after the last
was answered. Study time is what the heartbeats count (courses/progress.py), so a hidden page or a sleeping
phone brings no check nearer. Once the heartbeats of a request bring the study time to that point, the
answer to that request carries a check, issued at the time the request arrived. A lesson already complete
gets no more checks.

What. A number to tap among four, in an order drawn by the server, named by a token the answer must carry.
A wrong number draws new numbers; the check stays open.

While open. From the moment a check is issued until it is answered right, no heartbeat of the lesson counts:
neither study time nor video watched (progress.py applies this rule); the time they would have counted is
kept on the check. That holds for heartbeats kept by the page during an outage and sent afterwards, and for
heartbeats made before the check but arriving after it. An answer is placed at its arrival, never at a time
the page claims, and counting starts again from it: the next heartbeat counts only the time since the answer.
A check answered after ``answer_by`` is recorded as missed; nothing of the gap ever counts, in time or late.

Identity. A deployment may also ask who is at the phone (a face check, for example, which this platform does
not provide): ``COURSES_IDENTITY_CHECK`` names a callable ``check(request, *, person, lesson) -> bool``, called
with every answer; it reads whatever the deployment's part of the check form
(templates/courses/includes/identity_check.html, empty here) added to the request. While it answers False
a right answer does not close the check, and the refusal is counted on it. Empty (the default): no identity
check.
"""
import datetime
import math
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from wagtail.models import Page

from .models import AttentionPrompt, CoursePage, LessonPage, LessonProgress
from .years import training_year

CHOICES_SHOWN = 4
_random = secrets.SystemRandom()


@dataclass(frozen=True)
class AttentionRules:
    """A course's checks: on average ``interval_seconds`` of study between two, ``answer_seconds`` to answer."""

    interval_seconds: float
    answer_seconds: int


def attention_rules_of(course: CoursePage) -> AttentionRules | None:
    """The course's attention rules, None when it has no checks."""
    if not course.attention_checks:
        return None
    return AttentionRules(float(course.attention_interval_minutes) * 60, course.attention_answer_seconds)


def attention_rules(*, lesson: LessonPage) -> AttentionRules | None:
    """The attention rules of the lesson's course: one query on the lesson's path, none of its other fields."""
    course = (
        CoursePage.objects.filter(path=lesson.path[: -Page.steplen])
        .only("attention_checks", "attention_interval_minutes", "attention_answer_seconds")
        .first()
    )
    return attention_rules_of(course) if course is not None else None


def attention_prompt_open(*, progress: LessonProgress) -> AttentionPrompt | None:
    return AttentionPrompt.objects.filter(progress=progress, closed_at__isnull=True).first()


def attention_prompt_update(
    *, progress: LessonProgress, rules: AttentionRules, prompt: AttentionPrompt | None, studied_before: int,
    now: datetime.datetime,
) -> AttentionPrompt | None:
    """After a request's heartbeats were applied to the locked row (in memory; the caller saves the row): keeps
    what the open check's heartbeats did not count, or draws when the next check is due (the first from the
    study time ``studied_before`` the request) and issues it once the study time is there. Returns the check
    open now."""
    if prompt is not None:
        prompt.save(update_fields=["uncounted_seconds"])
        return prompt
    if not attention_prompt_due(progress=progress, rules=rules, studied_before=studied_before):
        return None
    expected, choices = _numbers()
    return AttentionPrompt.objects.create(
        progress=progress, token=secrets.token_urlsafe(24), issued_at=now,
        answer_by=now + datetime.timedelta(seconds=rules.answer_seconds), choices=choices, expected=expected,
    )


def attention_prompt_due(*, progress: LessonProgress, rules: AttentionRules, studied_before: int) -> bool:
    """Whether a check is to be issued now, after heartbeats were applied to the row in memory (no check open):
    draws when the lesson's first check is due (from the study time ``studied_before`` them) if not drawn yet.
    Touches nothing but the row in memory."""
    if progress.completed_at is not None:
        return False
    if progress.attention_due_seconds is None:
        progress.attention_due_seconds = _due_after(studied_before, rules, first=True)
    return progress.study_seconds >= progress.attention_due_seconds


class Answer:
    """What became of an answer."""

    ANSWERED = "answered"  # right and in time: counting goes on
    ANSWERED_LATE = "answered_late"  # right, after the time: recorded as missed; counting goes on
    WRONG = "wrong"  # new numbers drawn; the check stays open
    IDENTITY_REFUSED = "identity_refused"  # right, but the deployment's identity check said no; stays open
    NOT_OPEN = "not_open"  # no such open check (answered already, another tab, or the lesson not opened)


@dataclass(frozen=True)
class AnswerResult:
    outcome: str
    prompt: AttentionPrompt | None
    progress: LessonProgress | None

    @property
    def closed(self) -> bool:
        return self.outcome in (Answer.ANSWERED, Answer.ANSWERED_LATE)


def attention_prompt_answer(
    *, person_id: int, lesson_id: int, token: str, answer: int, identity_confirmed: bool = True,
    now: datetime.datetime | None = None,
) -> AnswerResult:
    """Check an answer to the open check named by ``token`` in the person's progress in the lesson. The row is
    locked as for heartbeats, so an answer and heartbeats are applied one after the other."""
    now = now or timezone.now()
    with transaction.atomic():
        progress = (
            LessonProgress.objects.select_for_update(of=("self",)).select_related("lesson")
            .only("id", "study_seconds", "last_heartbeat_at", "attention_due_seconds", "lesson__path")
            .filter(person_id=person_id, lesson_id=lesson_id, lesson__live=True, year=training_year(now))
            .first()
        )
        prompt = (
            AttentionPrompt.objects.filter(progress=progress, token=token, closed_at__isnull=True).first()
            if progress is not None else None
        )
        if prompt is None:
            return AnswerResult(Answer.NOT_OPEN, None, progress)
        if answer != prompt.expected:
            prompt.wrong_answers += 1
            prompt.expected, prompt.choices = _numbers()
            prompt.save(update_fields=["wrong_answers", "expected", "choices"])
            return AnswerResult(Answer.WRONG, prompt, progress)
        if not identity_confirmed:
            prompt.identity_refusals += 1
            prompt.save(update_fields=["identity_refusals"])
            return AnswerResult(Answer.IDENTITY_REFUSED, prompt, progress)
        prompt.closed_at = now
        prompt.save(update_fields=["closed_at"])
        # Counting starts again from the answer: the next heartbeat counts the time since it, and nothing
        # made before it (kept by the page, or late on the way) counts.
        progress.last_heartbeat_at = max(progress.last_heartbeat_at or now, now)
        rules = attention_rules(lesson=progress.lesson)
        if rules is not None:
            progress.attention_due_seconds = _due_after(progress.study_seconds, rules, first=False)
        progress.save(update_fields=["last_heartbeat_at", "attention_due_seconds"])
    outcome = Answer.ANSWERED_LATE if prompt.is_missed(now) else Answer.ANSWERED
    return AnswerResult(outcome, prompt, progress)


def attention_identity_confirmed(request, *, person, lesson: LessonPage) -> bool:
    """The deployment's identity check on an answer (COURSES_IDENTITY_CHECK), True when there is none."""
    path = getattr(settings, "COURSES_IDENTITY_CHECK", "")
    if not path:
        return True
    return bool(import_string(path)(request, person=person, lesson=lesson))


@dataclass(frozen=True)
class MissedChecks:
    count: int
    uncounted_seconds: int

    @property
    def text(self) -> str:
        """What the missed checks cost, for the trainee; empty when none was missed."""
        if not self.count:
            return ""
        return ngettext(
            "Missed %(count)s attention check: %(time)s of study was not counted.",
            "Missed %(count)s attention checks: %(time)s of study was not counted.",
            self.count,
        ) % {"count": self.count, "time": minutes_seconds(self.uncounted_seconds)}


def attention_missed(*, progress: LessonProgress, now: datetime.datetime | None = None) -> MissedChecks:
    """The checks of the progress row not answered in time (one query), with the study time they cost: what
    the heartbeats made while they were open would have counted."""
    now = now or timezone.now()
    prompts = AttentionPrompt.objects.filter(progress=progress).only("closed_at", "answer_by", "uncounted_seconds")
    missed = [prompt for prompt in prompts if prompt.is_missed(now)]
    return MissedChecks(len(missed), sum(prompt.uncounted_seconds for prompt in missed))


def attention_prompt_state(prompt: AttentionPrompt, now: datetime.datetime | None = None) -> dict:
    """What the page shows of an open check: never the number expected apart from the question itself."""
    now = now or timezone.now()
    return {
        "token": prompt.token,
        "question": _("Tap the number %(number)s.") % {"number": prompt.expected},
        "choices": prompt.choices,
        "seconds_left": max(0, math.ceil((prompt.answer_by - now).total_seconds())),
        "overdue": prompt.is_missed(now),
    }


def minutes_seconds(seconds: int) -> str:
    return "%d:%02d" % divmod(max(0, seconds), 60)


def _due_after(study_seconds: int, rules: AttentionRules, *, first: bool) -> int:
    """The study time at which the next check is due: within the first interval for a lesson's first check,
    between half and one and a half intervals after the last otherwise."""
    low, high = (0.0, 1.0) if first else (0.5, 1.5)
    return study_seconds + max(1, math.ceil(_random.uniform(low, high) * rules.interval_seconds))


def _numbers() -> tuple[int, list[int]]:
    """The number to tap and the numbers shown, four distinct digits from 1 to 9 in a random order."""
    choices = _random.sample(range(1, 10), CHOICES_SHOWN)
    return _random.choice(choices), choices
