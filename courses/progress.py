"""Lesson progress, decided on the server from the heartbeats a lesson page sends.

A visible lesson page makes a heartbeat every COURSES_HEARTBEAT_SECONDS with a sequence number that strictly
increases and, while a video plays, that video's block id and the player's position. The page keeps what it
could not send (no signal) and sends it later, in order, each heartbeat with its ``age``: how long before
sending the page made it. The browser is never believed about time beyond that: the server places each
heartbeat at its arrival less its age, never before the heartbeat accepted before it (nor, for the first, before
the lesson was opened) and never after its arrival, and measures time between the heartbeats so placed. A
heartbeat sent at once has no age and is placed at its arrival.

Study time. An accepted heartbeat adds the whole seconds of real time since the previous accepted one (the
fraction of a second left over is carried on to the next heartbeat, not dropped), as long as that is no more than the heartbeats between them could have taken: the sequence gap times the interval, plus
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

Attention checks (courses/attention.py). While a check the server issued is open, heartbeats are heard (their
sequence number, when they were made, where the player is) but count nothing: no study time, no video
watched. What they would have counted is kept on the check. Counting starts again from the right answer.

A heartbeat whose sequence number is not above the last accepted one (a repeat, a late arrival, a second
tab) changes nothing. The progress row is locked while heartbeats are applied, so heartbeats for one row
arriving together are applied one after the other, never over each other; a page sending what it kept sends
it in one request, applied in order.

One statement a heartbeat (lesson_heartbeats_apply_signed). The lesson page is given, when it is opened and
with every answer, the row as the server left it and what the lesson requires (the videos' lengths, the study
time, the course's attention rules), signed by the server (HeartbeatState); it sends that back with its next
heartbeats. The same rules are applied to that row in memory, and the result is written by one UPDATE that
matches only if the row is still exactly what was signed (every field the rules read: the sequence number, the
time of the last heartbeat, the study time, completion, the next check; the videos change only with the
sequence number), the lesson still live and unchanged since, and the person still the signed-in user's
(academy/accounts/lean.py). The row is locked by that UPDATE as by the locked path, so two requests for one row
are applied one after the other: the second matches nothing. When it matches nothing because the row has
counted these heartbeats already (the page sent them twice), one SELECT with the same checks reads the row and
they are refused from it. Whenever else it matches nothing (another tab went further, an attention check
answered), and whenever the heartbeats need more than the row (an attention check open or to be issued),
nothing was written and the locked path applies them, as it always did: the outcome is the same either way.
"""
import datetime
import functools
import math
from dataclasses import dataclass

import psycopg
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.models import Page

from .attention import (
    AttentionRules, attention_prompt_due, attention_prompt_open, attention_prompt_update, attention_rules,
)
from .completion import course_completion_check
from .models import AttentionPrompt, CoursePage, ExamPage, LessonPage, LessonProgress
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
    rules: AttentionRules | None = None  # the attention checks of the lesson's course, None without
    prompt: AttentionPrompt | None = None  # the attention check open after these heartbeats
    lesson_published_at: datetime.datetime | None = None  # the lesson as the requirements were read

    @property
    def attention_checks(self) -> bool:
        return self.rules is not None


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
    "completed_at", "attention_due_seconds",
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
            .only(
                *_PROGRESS_FIELDS, "lesson__min_study_minutes", "lesson__body", "lesson__path",
                "lesson__last_published_at",
            )
            .filter(person_id=person_id, lesson_id=lesson_id, lesson__live=True, year=training_year(now))
            .first()
        )
        if progress is None:
            return None
        requirements = lesson_requirements(progress.lesson)
        rules = attention_rules(lesson=progress.lesson)
        prompt = attention_prompt_open(progress=progress) if rules is not None else None
        was_complete = progress.completed_at is not None
        studied_before = progress.study_seconds
        accepted = _heartbeats_apply(progress, requirements, heartbeats, now, prompt)
        if accepted and rules is not None:
            prompt = attention_prompt_update(
                progress=progress, rules=rules, prompt=prompt, studied_before=studied_before, now=now
            )
        if accepted:
            progress.save(update_fields=[
                "last_sequence", "last_heartbeat_at", "study_seconds", "videos", "completed_at",
                "attention_due_seconds",
            ])
    just_completed = not was_complete and progress.completed_at is not None
    if just_completed:
        _course_completion_check(progress)
    return HeartbeatResult(
        progress, requirements, accepted=accepted, just_completed=just_completed, rules=rules, prompt=prompt,
        lesson_published_at=progress.lesson.last_published_at,
    )


@dataclass(frozen=True)
class HeartbeatState:
    """What a lesson page sends back with its heartbeats, as the server signed it: the progress row as the
    server left it (unsaved copy), what the lesson requires, the course's attention rules, whether a check was
    open, whom it was given to and in which session (academy.accounts.lean.session_tag), and when the lesson was
    published as the requirements were read."""

    progress: LessonProgress
    requirements: LessonRequirements
    rules: AttentionRules | None
    prompt_open: bool
    user_id: int
    session_tag: str
    lesson_published_at: datetime.datetime | None


_STATE_SALT = "courses.progress.heartbeat-state"
_STATE_FIELDS = (
    "id", "person_id", "lesson_id", "year", "started_at", "last_sequence", "last_heartbeat_at", "study_seconds",
    "videos", "completed_at", "attention_due_seconds",
)
_STATE_TIMES = {"started_at", "last_heartbeat_at", "completed_at"}
# What any write to a progress row changes (a heartbeat, an attention check issued or answered): a row with these
# as signed is the row signed. The videos change only with the sequence number.
_GUARDED_FIELDS = ("last_sequence", "last_heartbeat_at", "study_seconds", "completed_at", "attention_due_seconds")
_WRITTEN_FIELDS = (*_GUARDED_FIELDS, "videos")


def _time_dump(value: datetime.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _time_load(value: str | None) -> datetime.datetime | None:
    return datetime.datetime.fromisoformat(value) if value is not None else None


def heartbeat_state_sign(
    *, progress: LessonProgress, requirements: LessonRequirements, rules: AttentionRules | None, prompt_open: bool,
    user_id: int, session_tag: str, lesson_published_at: datetime.datetime | None,
) -> str:
    """The signed HeartbeatState a lesson page is given (at its opening and with every answer)."""
    row = [
        _time_dump(getattr(progress, name)) if name in _STATE_TIMES else getattr(progress, name)
        for name in _STATE_FIELDS
    ]
    return signing.dumps({
        "row": row,
        "requires": [requirements.study_seconds, requirements.video_durations],
        "rules": [rules.interval_seconds, rules.answer_seconds] if rules is not None else None,
        "open": prompt_open,
        "user": user_id,
        "tag": session_tag,
        "published": _time_dump(lesson_published_at),
    }, salt=_STATE_SALT)


def heartbeat_state_of(result: HeartbeatResult, *, user_id: int, session_tag: str) -> str:
    return heartbeat_state_sign(
        progress=result.progress, requirements=result.requirements, rules=result.rules,
        prompt_open=result.prompt is not None, user_id=user_id, session_tag=session_tag,
        lesson_published_at=result.lesson_published_at,
    )


def heartbeat_state_load(token: str) -> HeartbeatState | None:
    """The state a page sent back; None unless the server signed it."""
    try:
        data = signing.loads(token, salt=_STATE_SALT)
        fields = dict(zip(_STATE_FIELDS, data["row"], strict=True))
        for name in _STATE_TIMES:
            fields[name] = _time_load(fields[name])
        study_seconds, video_durations = data["requires"]
        rules = AttentionRules(*data["rules"]) if data["rules"] is not None else None
        return HeartbeatState(
            progress=LessonProgress(**fields), requirements=LessonRequirements(study_seconds, video_durations),
            rules=rules, prompt_open=data["open"], user_id=data["user"], session_tag=data["tag"],
            lesson_published_at=_time_load(data["published"]),
        )
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def lesson_heartbeats_apply_signed(
    *, state: HeartbeatState, people: tuple[str, list], heartbeats: list[Heartbeat],
    now: datetime.datetime | None = None,
) -> HeartbeatResult | None:
    """Apply heartbeats to the row the page sent back signed, in one UPDATE (see the module docstring).
    ``people``: the SQL of a subquery giving the signed-in user's person and its parameters
    (academy.accounts.lean.session_user_people). Heartbeats the row has counted already are refused here
    (_signed_refusal). None when nothing was decided and the locked path (lesson_heartbeats_apply) must apply
    them: the row is no longer the one signed, or an attention check is open or to be issued."""
    now = now or timezone.now()
    if state.prompt_open:
        return None
    progress, rules = state.progress, state.rules
    guard = {name: getattr(progress, name) for name in _GUARDED_FIELDS}
    studied_before = progress.study_seconds
    if not _heartbeats_apply(progress, state.requirements, heartbeats, now):
        return _signed_refusal(state=state, people=people, heartbeats=heartbeats, now=now)
    if rules is not None and attention_prompt_due(progress=progress, rules=rules, studied_before=studied_before):
        return None
    db = connections[DEFAULT_DB_ALIAS]  # once, not through the proxy for every value
    fields = {field.attname: field for field in LessonProgress._meta.concrete_fields}
    people_sql, people_params = people
    updated = _prepared_execute(db, _signed_update_sql(people_sql), [
        *(fields[name].get_db_prep_save(getattr(progress, name), db) for name in _WRITTEN_FIELDS),
        *_signed_row_params(state, people_params, now, db),
        *(fields[name].get_db_prep_save(value, db) for name, value in guard.items()),
    ])
    if not updated:
        return _signed_refusal(state=state, people=people, heartbeats=heartbeats, now=now)
    just_completed = guard["completed_at"] is None and progress.completed_at is not None
    if just_completed:
        _course_completion_check(progress)
    return HeartbeatResult(
        progress, state.requirements, accepted=True, just_completed=just_completed, rules=rules,
        lesson_published_at=state.lesson_published_at,
    )


def _signed_refusal(
    *, state: HeartbeatState, people: tuple[str, list], heartbeats: list[Heartbeat], now: datetime.datetime,
) -> HeartbeatResult | None:
    """Heartbeats the row has counted already (a page that sent them twice, or again after losing the answer),
    refused from the row as it is now, read in one SELECT with the UPDATE's checks (the user's person, the
    training year, the lesson live and unchanged): the locked path's answer for a fraction of its work. None,
    for the locked path to decide, if any heartbeat is new to the row or the course has attention checks (the
    answer would carry the check open now)."""
    if state.rules is not None:
        return None
    db = connections[DEFAULT_DB_ALIAS]
    people_sql, people_params = people
    progress = next(iter(LessonProgress.objects.raw(
        _signed_refusal_sql(people_sql), _signed_row_params(state, people_params, now, db)
    )), None)
    if progress is None or max(heartbeat.sequence for heartbeat in heartbeats) > progress.last_sequence:
        return None
    return HeartbeatResult(
        progress, state.requirements, accepted=False, just_completed=False,
        lesson_published_at=state.lesson_published_at,
    )


def _prepared_execute(db, sql: str, params: list) -> int:
    """Run one of the heartbeat's statements written out once per process; the number of rows it changed. On
    PostgreSQL it is prepared on each connection the first time, so that the server no longer parses and plans
    it, and its values are bound by the server rather than quoted one by one in Python (Django's cursors
    do neither; DEBUG's list of queries leaves it out)."""
    if db.vendor != "postgresql":
        with db.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount
    db.ensure_connection()
    with db.wrap_database_errors, psycopg.Cursor(db.connection) as cursor:
        # Prepared unless the settings turned prepared statements off (DATABASE_PREPARED_STATEMENTS).
        cursor.execute(sql, params, prepare=db.connection.prepare_threshold is not None)
        return cursor.rowcount


def _columns(model) -> dict[str, str]:
    """The model's quoted column names by attribute name, for the statements written out below."""
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    return {field.attname: quote(field.column) for field in model._meta.concrete_fields}


@functools.cache
def _signed_row_sql(people_sql: str) -> str:
    """The condition both signed statements put on the row: the one signed (its id, person and training year),
    the person the signed-in user's (``people_sql``), the lesson live and not published again since it was
    signed. Its parameters: _signed_row_params."""
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    progress, page = _columns(LessonProgress), _columns(Page)
    return (
        f"{progress['id']} = %s AND {progress['person_id']} = %s AND {progress['year']} = %s"
        f" AND {progress['person_id']} IN ({people_sql})"
        f" AND {progress['lesson_id']} IN (SELECT {page['id']} FROM {quote(Page._meta.db_table)}"
        f" WHERE {page['id']} = %s AND {page['live']} = %s AND {page['last_published_at']} IS NOT DISTINCT FROM %s)"
    )


def _signed_row_params(state: HeartbeatState, people_params: list, now: datetime.datetime, db) -> list:
    published = Page._meta.get_field("last_published_at").get_db_prep_value(state.lesson_published_at, db)
    return [
        state.progress.pk, state.progress.person_id, training_year(now), *people_params, state.progress.lesson_id,
        True, published,
    ]


@functools.cache
def _signed_refusal_sql(people_sql: str) -> str:
    """The SELECT of _signed_refusal, written out once per process like the UPDATE below."""
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    columns = ", ".join(_columns(LessonProgress)[name] for name in _STATE_FIELDS)
    return f"SELECT {columns} FROM {quote(LessonProgress._meta.db_table)} WHERE {_signed_row_sql(people_sql)}"


@functools.cache
def _signed_update_sql(people_sql: str) -> str:
    """The UPDATE of lesson_heartbeats_apply_signed, written out once per process rather than built by the ORM
    on every heartbeat: building and compiling it with its two subqueries cost more CPU than all the rest of a
    heartbeat. Parameters: the written fields, _signed_row_params, then the guarded fields as signed."""
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    progress = _columns(LessonProgress)
    written = ", ".join(f"{progress[name]} = %s" for name in _WRITTEN_FIELDS)
    # IS NOT DISTINCT FROM: equal, or both NULL (a row never sent a heartbeat, a lesson not completed).
    guarded = " AND ".join(f"{progress[name]} IS NOT DISTINCT FROM %s" for name in _GUARDED_FIELDS)
    return (
        f"UPDATE {quote(LessonProgress._meta.db_table)} SET {written}"
        f" WHERE {_signed_row_sql(people_sql)} AND {guarded}"
    )


def _heartbeats_apply(
    progress: LessonProgress, requirements: LessonRequirements, heartbeats: list[Heartbeat],
    now: datetime.datetime, prompt: AttentionPrompt | None = None,
) -> bool:
    """Apply heartbeats in order to the row in memory; whether any was accepted."""
    accepted = False
    for heartbeat in heartbeats:
        accepted = _heartbeat_apply(progress, requirements, heartbeat, now, prompt) or accepted
    return accepted


def _heartbeat_apply(
    progress: LessonProgress, requirements: LessonRequirements, heartbeat: Heartbeat, now: datetime.datetime,
    prompt: AttentionPrompt | None = None,
) -> bool:
    """Apply one heartbeat to the locked row in memory; False if its sequence number was already passed. While
    an attention check is open (``prompt``), the heartbeat is heard but counts nothing."""
    if heartbeat.sequence <= progress.last_sequence:
        return False
    made_at = _made_at(progress, heartbeat.age, now)
    duration = requirements.video_durations.get(heartbeat.video_block_id)
    video = progress.videos.get(heartbeat.video_block_id) if duration and heartbeat.position is not None else None
    counted, played, progress.last_heartbeat_at = _credited(
        progress.last_heartbeat_at, made_at, heartbeat.sequence - progress.last_sequence,
        video_at=video.get("at") if video else None,
    )
    progress.last_sequence = heartbeat.sequence
    if prompt is not None:
        prompt.uncounted_seconds += counted
        counted = played = 0
    progress.study_seconds += counted
    if duration and heartbeat.position is not None:
        watched = _watched(video, heartbeat.position, duration, played, made_at)
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
    completes_by_time = not (complete or requirements.has_videos)
    return {
        "complete": complete,
        "percent": 100 if complete else min(percent, 99),
        "study_seconds": study_seconds,
        "required_seconds": requirements.study_seconds,
        # The page reports when this much more study is done, so a lesson shows complete when it is, not up to an
        # interval later. None when it is complete or completes by its videos (a pause or the end reports at once).
        "study_seconds_left": max(0, requirements.study_seconds - study_seconds) if completes_by_time else None,
        "videos": watched,
        "positions": {block_id: state.get("position", 0) for block_id, state in videos.items()},
        "status": _status_text(complete, requirements, study_seconds, watched, _skipped_from(videos, requirements)),
    }


def _made_at(progress: LessonProgress, age: float, now: datetime.datetime) -> datetime.datetime:
    """When the page made a heartbeat: its arrival less its age, never before the heartbeat accepted before it
    (or the opening of the lesson) and never after its arrival."""
    made_at = max(now - datetime.timedelta(seconds=age), progress.last_heartbeat_at or progress.started_at)
    return min(made_at, now)


def _credited(
    previous: datetime.datetime | None, made_at: datetime.datetime, gap: int, video_at: float | None = None
) -> tuple[int, float, datetime.datetime]:
    """For a heartbeat ``gap`` sequence numbers after the previous accepted one: the whole seconds of study
    time it counts, the seconds its video may have played in, and the time the next heartbeat is measured
    from. The fraction of a second not counted is carried on to the next heartbeat (its time is measured from
    that much earlier), so a visit loses no time to rounding. A video plays in real time, measured from the
    same point but never from before its own previous heartbeat was made (``video_at``, a timestamp: the
    fraction carried was played already), so no second is played twice and none is lost at its end."""
    interval = settings.COURSES_HEARTBEAT_SECONDS
    if previous is None:
        return interval, interval, made_at
    allowed = gap * interval
    elapsed = (made_at - previous).total_seconds()
    if elapsed > allowed + settings.COURSES_HEARTBEAT_SLACK_SECONDS:
        return allowed, allowed, made_at  # a pause: the page waited an interval on screen before each of these
    counted = int(elapsed)  # made_at is never before the previous heartbeat
    played = max(0.0, made_at.timestamp() - max(previous.timestamp(), video_at or 0.0))
    return counted, played, previous + datetime.timedelta(seconds=counted)


def _watched(state: dict | None, position: float, duration: float, played: float, made_at: datetime.datetime) -> dict:
    """A video's state after a heartbeat ``played`` real seconds after the one before: where the player is,
    the furthest point watched at no more than the allowed rate, and when the heartbeat was made."""
    previous = state or {"position": 0, "furthest": 0}
    furthest = previous["furthest"]
    position = round(min(max(0.0, float(position)), duration), 2)
    tolerance = settings.COURSES_VIDEO_TOLERANCE_SECONDS
    playable = played * settings.COURSES_MAX_PLAYBACK_RATE
    moved = position - previous["position"]
    if 0 < moved <= playable + tolerance and previous["position"] <= furthest + tolerance:
        # Rounded down, so that rounding never adds what was not watched.
        furthest = max(furthest, math.floor(100 * min(position, furthest + playable)) / 100)
    return {"position": position, "furthest": furthest, "at": round(made_at.timestamp(), 3)}


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
