"""Lesson progress, decided on the server from the heartbeats a lesson page sends.

A visible lesson page makes a heartbeat every COURSES_HEARTBEAT_SECONDS with a sequence number that strictly
increases and, while a video plays, that video's block id and the player's position. The page keeps what it
could not send (no signal) and sends it later, in order, each heartbeat with its ``age``: how long before
sending the page made it. The browser is never believed about time beyond that: the server places each
heartbeat at its arrival less its age, never before the heartbeat accepted before it (nor, for the first, before
the lesson was opened) and never after its arrival, and measures time between the heartbeats so placed. A
heartbeat sent at once has no age and is placed at its arrival.

Study time. An accepted heartbeat adds the whole seconds of real time since the previous accepted one, as long
as that is no more than the heartbeats between them could have taken: the sequence gap times the interval, plus
COURSES_HEARTBEAT_SLACK_SECONDS. A longer gap (the first heartbeat of a visit, a tab that was hidden, a phone
that slept) was a pause and counts one interval for each sequence number in it (one, when none was lost): the
page waits an interval on screen before each report. Sending heartbeats faster than the interval therefore
gains nothing, waiting gains nothing, and no heartbeat ever adds more than the real time that passed.
Heartbeats lost on the way (their sequence numbers skipped) cost nothing while the real time since the last
accepted one allows what they claim.

Video. For every video block we keep ``position`` (where the player was at the last heartbeat) and
``furthest`` (how far the trainee has watched continuously from the start). Only continuous watching from
watched ground counts: a heartbeat moves ``furthest`` on only when
  - the new position is after the previous one (playing forward),
  - the previous position was on watched ground (no more than COURSES_VIDEO_TOLERANCE_SECONDS beyond
    ``furthest``), and
  - the player moved no further than the time since the previous heartbeat (counted as for study time, so
    never more than the real time that passed) times COURSES_MAX_PLAYBACK_RATE, plus the tolerance (else it
    was a seek, or playback too fast);
and even then ``furthest`` grows by at most that time times the rate, without the tolerance, so that no
rhythm of heartbeats can make it grow faster than the rate allows. A video that played on while the network was
down therefore counts, whether its heartbeats arrive late or some never arrive. A forged "position = end" heartbeat is
a seek and counts nothing. After seeking ahead, nothing counts until the trainee comes back to what was
watched (the page says from where). Playing faster than the rate falls behind and then stops counting. The
position is always recorded, so the page can resume where the trainee stopped. Video lengths come from
Video.duration_seconds (read from the file on upload), never from the browser.

Completion. A lesson with videos of known length completes when every one of them has been watched to
COURSES_VIDEO_SHARE_REQUIRED of its length (text beside the videos needs no extra time); any other lesson
when the study time reaches ``min_study_minutes``. ``completed_at`` is set once, to the time of the heartbeat
that completed it, and the course is then checked for completion.

A heartbeat whose sequence number is not above the last accepted one (a repeat, a late arrival, a second
tab) changes nothing. The progress row is locked while heartbeats are applied, so heartbeats for one row
arriving together are applied one after the other, never over each other; a page sending what it kept sends
it in one request, applied in order.
"""
import datetime
import math
from dataclasses import dataclass

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.models import Page

from .completion import course_completion_check
from .models import CoursePage, ExamPage, LessonPage, LessonProgress
from .plans import plan_statuses_refresh
from .years import training_year


@dataclass(frozen=True)
class LessonRequirements:
    """What completes a lesson: every video listed (block id -> length in seconds) watched to the required
    share or, for a lesson without videos of known length, ``study_seconds`` of measured study."""

    study_seconds: int
    video_durations: dict[str, float]

    @property
    def has_videos(self) -> bool:
        return bool(self.video_durations)

    @property
    def seconds(self) -> float:
        """About how long the lesson takes: its videos played through, else its required study time."""
        return sum(self.video_durations.values()) if self.has_videos else self.study_seconds


@dataclass(frozen=True)
class HeartbeatResult:
    progress: LessonProgress
    requirements: LessonRequirements
    accepted: bool
    just_completed: bool


def lesson_requirements(lesson: LessonPage) -> LessonRequirements:
    """One query if the lesson has videos, none otherwise; a page rendering the videos afterwards reuses what
    was loaded."""
    body = lesson.body
    durations = {}
    for index, item in enumerate(body.raw_data):
        if item["type"] != "video":
            continue
        block = body[index]  # builds only the video blocks, all their snippets in one query
        video = block.value.get("video")
        # A length the server could not read cannot be checked: such a video does not hold the lesson back.
        if video is not None and video.duration_seconds > 0 and block.id:
            durations[block.id] = video.duration_seconds
    return LessonRequirements(study_seconds=lesson.min_study_minutes * 60, video_durations=durations)


def course_study_minutes(course: CoursePage) -> int:
    """The time a course's lessons require, in whole minutes rounded up: the only study time shown to
    trainees, so that it never differs from what completes the lessons."""
    seconds = sum(lesson_requirements(lesson).seconds for lesson in course.lessons())
    return math.ceil(seconds / 60)


def lesson_progress_open(*, person, lesson: LessonPage, now: datetime.datetime | None = None) -> LessonProgress:
    """The person's progress in the lesson this training year, created when the lesson is first opened."""
    year = training_year(now)
    try:
        progress, created = LessonProgress.objects.get_or_create(person=person, lesson=lesson, year=year)
    except IntegrityError:  # opened in two tabs at once; the other request created it
        return LessonProgress.objects.get(person=person, lesson=lesson, year=year)
    if created:
        plan_statuses_refresh(person=person)  # starting a required course puts a plan in progress
    return progress


@dataclass(frozen=True)
class Heartbeat:
    """One report of a lesson page. ``age``: seconds between making it and sending it (0 when sent at once)."""

    sequence: int
    video_block_id: str | None = None
    position: float | None = None
    age: float = 0.0


_PROGRESS_FIELDS = (
    "person_id", "lesson_id", "year", "started_at", "last_sequence", "last_heartbeat_at", "study_seconds", "videos",
    "completed_at",
)


def lesson_heartbeat_apply(
    *,
    person_id: int,
    lesson_id: int,
    sequence: int,
    video_block_id: str | None = None,
    position: float | None = None,
    now: datetime.datetime | None = None,
) -> HeartbeatResult | None:
    """Apply one heartbeat sent as soon as it was made (see lesson_heartbeats_apply)."""
    return lesson_heartbeats_apply(
        person_id=person_id, lesson_id=lesson_id, heartbeats=[Heartbeat(sequence, video_block_id, position)], now=now,
    )


def lesson_heartbeats_apply(
    *, person_id: int, lesson_id: int, heartbeats: list[Heartbeat], now: datetime.datetime | None = None,
) -> HeartbeatResult | None:
    """Apply heartbeats, in the order given, to the person's progress in a live lesson (see the module
    docstring). None when the lesson was not opened this training year: the page, which decides whether a
    lesson is open, creates the row, so a heartbeat cannot reach a lesson that is still locked. The row and its
    lesson come in one query, locked until the heartbeats are applied."""
    now = now or timezone.now()
    with transaction.atomic():
        progress = (
            LessonProgress.objects.select_for_update(of=("self",))
            .select_related("lesson")
            .only(*_PROGRESS_FIELDS, "lesson__min_study_minutes", "lesson__body")  # a busy path: no more columns
            .filter(person_id=person_id, lesson_id=lesson_id, lesson__live=True, year=training_year(now))
            .first()
        )
        if progress is None:
            return None
        requirements = lesson_requirements(progress.lesson)
        was_complete = progress.completed_at is not None
        accepted = False
        for heartbeat in heartbeats:
            accepted = _heartbeat_apply(progress, requirements, heartbeat, now) or accepted
        if accepted:
            progress.save(
                update_fields=["last_sequence", "last_heartbeat_at", "study_seconds", "videos", "completed_at"]
            )
    just_completed = not was_complete and progress.completed_at is not None
    if just_completed:
        _course_completion_check(progress)
    return HeartbeatResult(progress, requirements, accepted=accepted, just_completed=just_completed)


def _heartbeat_apply(
    progress: LessonProgress, requirements: LessonRequirements, heartbeat: Heartbeat, now: datetime.datetime
) -> bool:
    """Apply one heartbeat to the locked row in memory; False if its sequence number was already passed."""
    if heartbeat.sequence <= progress.last_sequence:
        return False
    made_at = _made_at(progress, heartbeat.age, now)
    elapsed = _credited_elapsed(progress.last_heartbeat_at, made_at, heartbeat.sequence - progress.last_sequence)
    progress.last_sequence = heartbeat.sequence
    progress.last_heartbeat_at = made_at
    progress.study_seconds += int(elapsed)
    duration = requirements.video_durations.get(heartbeat.video_block_id)
    if duration and heartbeat.position is not None:
        watched = _watched(progress.videos.get(heartbeat.video_block_id), heartbeat.position, duration, elapsed)
        progress.videos = {**progress.videos, heartbeat.video_block_id: watched}
    if progress.completed_at is None and _requirements_met(progress, requirements):
        progress.completed_at = made_at
    return True


def lesson_progress_summary(progress: LessonProgress | None, requirements: LessonRequirements) -> dict:
    """What the lesson page shows (and the heartbeat answers): complete or not, how far, in figures."""
    study_seconds = progress.study_seconds if progress else 0
    videos = progress.videos if progress else {}
    share = settings.COURSES_VIDEO_SHARE_REQUIRED
    watched = {
        block_id: min(100, int(100 * videos.get(block_id, {}).get("furthest", 0) / duration))
        for block_id, duration in requirements.video_durations.items()
    }
    if requirements.has_videos:
        # Each video counts up to the share it must reach; the lesson is as far as their average.
        towards = [min(1, percent / (100 * share)) for percent in watched.values()]
        percent = round(100 * sum(towards) / len(towards))
    else:
        required = requirements.study_seconds
        percent = min(100, round(100 * study_seconds / required)) if required else 100
    complete = bool(progress and progress.completed_at)
    return {
        "complete": complete,
        "percent": 100 if complete else min(percent, 99),
        "study_seconds": study_seconds,
        "required_seconds": requirements.study_seconds,
        "videos": watched,
        "positions": {block_id: state.get("position", 0) for block_id, state in videos.items()},
        "status": _status_text(complete, requirements, study_seconds, watched, _skipped_from(videos, requirements)),
    }


def _made_at(progress: LessonProgress, age: float, now: datetime.datetime) -> datetime.datetime:
    """When the page made a heartbeat: its arrival less its age, never before the heartbeat accepted before it
    (or the opening of the lesson) and never after its arrival."""
    made_at = max(now - datetime.timedelta(seconds=age), progress.last_heartbeat_at or progress.started_at)
    return min(made_at, now)


def _credited_elapsed(previous: datetime.datetime | None, made_at: datetime.datetime, gap: int) -> float:
    """The seconds a heartbeat ``gap`` sequence numbers after the previous accepted one counts for."""
    interval = settings.COURSES_HEARTBEAT_SECONDS
    if previous is None:
        return interval
    elapsed = (made_at - previous).total_seconds()
    allowed = gap * interval
    if elapsed > allowed + settings.COURSES_HEARTBEAT_SLACK_SECONDS:
        return allowed  # a pause: the page waited an interval on screen before each of these heartbeats
    return max(0.0, elapsed)


def _watched(state: dict | None, position: float, duration: float, elapsed: float) -> dict:
    previous = state or {"position": 0, "furthest": 0}
    furthest = previous["furthest"]
    position = round(min(max(0.0, float(position)), duration), 2)
    tolerance = settings.COURSES_VIDEO_TOLERANCE_SECONDS
    playable = elapsed * settings.COURSES_MAX_PLAYBACK_RATE
    moved = position - previous["position"]
    if 0 < moved <= playable + tolerance and previous["position"] <= furthest + tolerance:
        # Rounded down, so that rounding never adds what was not watched.
        furthest = max(furthest, math.floor(100 * min(position, furthest + playable)) / 100)
    return {"position": position, "furthest": furthest}


def _skipped_from(videos: dict, requirements: LessonRequirements) -> float | None:
    """Where counting stopped, if the trainee's player is now beyond it (after seeking ahead)."""
    for block_id, duration in requirements.video_durations.items():
        state = videos.get(block_id)
        share_met = state and state["furthest"] >= settings.COURSES_VIDEO_SHARE_REQUIRED * duration
        if state and not share_met and state["position"] > state["furthest"] + settings.COURSES_VIDEO_TOLERANCE_SECONDS:
            return state["furthest"]
    return None


def _requirements_met(progress: LessonProgress, requirements: LessonRequirements) -> bool:
    if requirements.has_videos:
        share = settings.COURSES_VIDEO_SHARE_REQUIRED
        return all(
            progress.videos.get(block_id, {}).get("furthest", 0) >= share * duration
            for block_id, duration in requirements.video_durations.items()
        )
    return progress.study_seconds >= requirements.study_seconds


def _course_completion_check(progress: LessonProgress) -> None:
    course = progress.lesson.get_parent().specific
    course_completion_check(person=progress.person, course=course, year=progress.year)


def _status_text(
    complete: bool, requirements: LessonRequirements, study_seconds: int, watched: dict, skipped_from: float | None
) -> str:
    if complete:
        return _("Lesson complete.")
    required = round(100 * settings.COURSES_VIDEO_SHARE_REQUIRED)
    if skipped_from is not None:
        # The row cannot tell a seek from fast playing (both move the player further than the time allows).
        return _(
            "Watching counts only from %(time)s on: the video was skipped ahead or played faster than %(rate)s×. "
            "Go back there and watch on at normal speed."
        ) % {"time": _minutes_seconds(int(skipped_from)), "rate": f"{settings.COURSES_MAX_PLAYBACK_RATE:g}"}
    if len(watched) == 1:
        return _("Watched %(percent)s%% of the video; %(required)s%% is needed.") % {
            "percent": next(iter(watched.values())), "required": required,
        }
    if watched:
        return _("Videos watched: %(done)s of %(total)s (%(required)s%% of each is needed).") % {
            "done": sum(1 for percent in watched.values() if percent >= required), "total": len(watched),
            "required": required,
        }
    return _("Studied %(studied)s of %(required)s.") % {
        "studied": _minutes_seconds(study_seconds), "required": _minutes_seconds(requirements.study_seconds),
    }


def _minutes_seconds(seconds: int) -> str:
    return "%d:%02d" % divmod(min(seconds, 99 * 60 + 59), 60)


# --- A course's lessons, as the trainee stands in them ----------------------------------------------------


class LessonStatus:
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETE = "complete"
    LOCKED = "locked"


@dataclass(frozen=True)
class LessonEntry:
    page: Page  # a lesson, without its body
    number: int
    status: str
    progress: LessonProgress | None

    @property
    def is_locked(self) -> bool:
        return self.status == LessonStatus.LOCKED

    @property
    def is_complete(self) -> bool:
        return self.status == LessonStatus.COMPLETE


@dataclass(frozen=True)
class CourseOutline:
    """The lessons of a course in order with the person's status in each, and the exam (a plain Page)."""

    lessons: list[LessonEntry]
    exam: Page | None

    def entry(self, lesson_id: int) -> LessonEntry | None:
        return next((entry for entry in self.lessons if entry.page.pk == lesson_id), None)

    def next_after(self, lesson_id: int) -> Page | None:
        """The lesson after this one, else the exam, else None."""
        ids = [entry.page.pk for entry in self.lessons]
        if lesson_id in ids and ids.index(lesson_id) + 1 < len(ids):
            return self.lessons[ids.index(lesson_id) + 1].page
        return self.exam

    @property
    def lessons_done(self) -> bool:
        return all(entry.is_complete for entry in self.lessons)

    @property
    def continue_entry(self) -> LessonEntry | None:
        """Where the trainee left off: the lesson studied last if it is not complete, else the first open
        lesson not complete; None before anything was studied or once every lesson is complete."""
        studied = [entry for entry in self.lessons if entry.progress is not None]
        if not studied:
            return None
        last = max(studied, key=lambda entry: entry.progress.last_heartbeat_at or entry.progress.started_at)
        if not last.is_complete:
            return last
        return next((entry for entry in self.lessons if entry.status in _OPEN_NOT_COMPLETE), None)


_OPEN_NOT_COMPLETE = {LessonStatus.NOT_STARTED, LessonStatus.IN_PROGRESS}


def course_outline(*, person, course: CoursePage, year: int) -> CourseOutline:
    """Two queries: the course's live lessons and exam, then the person's progress in the lessons. Without a
    person (a visitor, an administrator) every lesson is "not started" and none is locked."""
    children = list(
        Page.objects.live().child_of(course).order_by("path")
        .only("id", "title", "url_path", "path", "depth", "content_type_id")
    )
    lesson_type = ContentType.objects.get_for_model(LessonPage)
    exam_type = ContentType.objects.get_for_model(ExamPage)
    lessons = [page for page in children if page.content_type_id == lesson_type.pk]
    exam = next((page for page in children if page.content_type_id == exam_type.pk), None)
    progress = {}
    if person is not None:
        progress = {
            row.lesson_id: row
            for row in LessonProgress.objects.filter(
                person=person, year=year, lesson_id__in=[page.pk for page in lessons]
            )
        }
    entries, blocked = [], False
    for number, page in enumerate(lessons, start=1):
        row = progress.get(page.pk)
        if blocked:
            status = LessonStatus.LOCKED
        elif row is None:
            status = LessonStatus.NOT_STARTED
        elif row.completed_at is None:
            status = LessonStatus.IN_PROGRESS
        else:
            status = LessonStatus.COMPLETE
        entries.append(LessonEntry(page=page, number=number, status=status, progress=row))
        # In a course taken in order, every lesson after one not yet complete is locked.
        blocked = blocked or (course.lessons_in_order and person is not None and status != LessonStatus.COMPLETE)
    return CourseOutline(lessons=entries, exam=exam)
