"""Properties of the progress rules (courses/progress.py) on a weak network: heartbeats lost, delayed,
repeated, overtaken by later ones, or kept by the page while offline and sent when the signal returns.

- Whatever the network does, the study time counted never exceeds the real time since the lesson was opened,
  and the video watched never exceeds that time times the allowed playback rate; the same holds for a forger
  sending anything at all, give or take the one interval a first heartbeat counts.
- With nothing lost or overtaken (only delays and repeats), the counts equal those of the rules as they were
  before the page kept heartbeats (written again here, from the old module docstring, as ``rules_before``).
- An outage costs nothing: heartbeats kept while offline and sent later count exactly as if sent on time.
- With attention checks (courses/attention.py) answered at any moment or never, the study time counted never
  exceeds the real time less the time checks were open, nor does the video watched exceed that times the rate;
  what was counted and what the checks kept as not counted together never exceed the real time.

Times are whole milliseconds so that the server's clock (microseconds) and the model's agree exactly.
"""
import datetime
import heapq
import math
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from courses.attention import attention_prompt_answer
from courses.models import AttentionPrompt, CoursePage, LessonPage, LessonProgress
from courses.progress import Heartbeat, lesson_heartbeats_apply, lesson_progress_open, lesson_requirements

START = timezone.make_aware(datetime.datetime(2026, 3, 2, 9, 0, 0))
INTERVAL, SLACK, TOLERANCE, RATE = 10, 5, 5, 1.5
DURATION = 60  # the video lesson's video


class Rollback(Exception):
    """Ends an example, undoing what it wrote, so the next starts from a lesson never opened."""


@pytest.fixture
def rules(settings):
    """The rule settings the model assumes, whatever the project's defaults become."""
    settings.COURSES_HEARTBEAT_SECONDS = INTERVAL
    settings.COURSES_HEARTBEAT_SLACK_SECONDS = SLACK
    settings.COURSES_VIDEO_TOLERANCE_SECONDS = TOLERANCE
    settings.COURSES_MAX_PLAYBACK_RATE = RATE


@pytest.fixture
def lessons(rules, director, text_lesson, video_lesson):
    return {"person": director.person, "text": text_lesson, "video": video_lesson}


def at_ms(milliseconds: int) -> datetime.datetime:
    return START + datetime.timedelta(milliseconds=milliseconds)


# --- The page: honest heartbeats, every interval, from a video played at some speed ------------------------


@dataclass(frozen=True)
class Made:
    sequence: int
    made_ms: int
    position: float | None


def page_heartbeats(count: int, jitters: list[int], play: tuple[int, float] | None) -> list[Made]:
    """What a page on screen makes: a heartbeat an interval (and a little timer jitter) after the one before,
    the first an interval after opening; with ``play`` = (pressed at ms, speed), the video's position."""
    made, clock = [], 0
    for number in range(count):
        clock += INTERVAL * 1000 + jitters[number % len(jitters)]
        position = None
        if play is not None:
            pressed_ms, speed = play
            if clock >= pressed_ms:
                position = round(min(DURATION, speed * (clock - pressed_ms) / 1000), 2)
        made.append(Made(number + 1, clock, position))
    return made


@dataclass(frozen=True)
class Request:
    """What reaches the server: at ``arrival_ms``, heartbeats (Made, age in ms) in the order sent."""

    arrival_ms: int
    heartbeats: list[tuple[Made, int]]


def run(lessons, kind: str, requests: list[Request]) -> tuple[int, float]:
    """Apply the requests in order of arrival on a freshly opened lesson: (study seconds, furthest watched)."""
    person, lesson = lessons["person"], lessons[kind]
    lesson_progress_open(person=person, lesson=lesson, now=at_ms(0))
    LessonProgress.objects.filter(person=person, lesson=lesson).update(started_at=at_ms(0))
    block_id = next(iter(lesson_requirements(lesson).video_durations), None)
    for request in sorted(requests, key=lambda request: request.arrival_ms):  # stable: ties keep their order
        lesson_heartbeats_apply(
            person_id=person.pk, lesson_id=lesson.pk, now=at_ms(request.arrival_ms),
            heartbeats=[
                Heartbeat(made.sequence, block_id if made.position is not None else None, made.position, age / 1000)
                for made, age in request.heartbeats
            ],
        )
    progress = LessonProgress.objects.get(person=person, lesson=lesson)
    furthest = progress.videos[block_id]["furthest"] if block_id in progress.videos else 0
    return progress.study_seconds, furthest


def in_a_rolled_back_transaction(function):
    try:
        with transaction.atomic():
            result = function()
            raise Rollback
    except Rollback:
        return result


# --- The rules before heartbeats were kept, written again -------------------------------------------------


def rules_before(requests: list[Request], duration: float | None) -> tuple[int, float]:
    """Study time: real time since the previous accepted heartbeat in whole seconds, the fraction carried on,
    one interval after a gap longer than an interval plus the slack (and for the first). Video: the old
    _watched, on the real time since the previous heartbeat was made (an interval after a gap)."""
    study, last_sequence, last_at, video_at, position, furthest = 0, 0, None, 0, 0.0, 0.0
    for request in sorted(requests, key=lambda request: request.arrival_ms):
        for made, _age in request.heartbeats:
            if made.sequence <= last_sequence:
                continue
            now = request.arrival_ms  # whole milliseconds: a float of seconds would lose a second to rounding
            counted, played, clock = INTERVAL, INTERVAL, now
            if last_at is not None and now - last_at <= 1000 * (INTERVAL + SLACK):
                # Whole seconds count; the fraction left over is carried on (the clock stays that much behind).
                counted = (now - last_at) // 1000
                clock = last_at + 1000 * counted
                # The video played since the previous heartbeat was made, if that was the video's.
                played = max(0, now - max(last_at, video_at)) / 1000
            last_sequence, last_at = made.sequence, clock
            study += counted
            if duration and made.position is not None:
                video_at = now
                new = round(min(max(0.0, made.position), duration), 2)
                playable = played * RATE
                moved = new - position
                if 0 < moved <= playable + TOLERANCE and position <= furthest + TOLERANCE:
                    furthest = max(furthest, math.floor(100 * min(new, furthest + playable)) / 100)
                position = new
    return study, furthest


# --- What hypothesis draws ------------------------------------------------------------------------------

kinds = st.sampled_from(["text", "video"])
counts = st.integers(min_value=1, max_value=12)
jitters = st.lists(st.integers(min_value=0, max_value=900), min_size=1, max_size=5)
plays = st.tuples(st.integers(min_value=0, max_value=30_000), st.sampled_from([0.5, 1.0, 1.25, 1.5, 2.0]))
delays = st.lists(st.integers(min_value=0, max_value=20_000), min_size=1, max_size=12)
# What the network does to each heartbeat: delivered, lost, delivered twice, or kept by the page (offline).
fates = st.lists(st.sampled_from(["sent", "lost", "twice", "kept"]), min_size=1, max_size=12)

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


def real_seconds(requests: list[Request]) -> float:
    """The real time from the opening of the lesson to the last request."""
    return max((request.arrival_ms for request in requests), default=0) / 1000


# --- The properties -------------------------------------------------------------------------------------


@SETTINGS
@given(kind=kinds, count=counts, jitters=jitters, play=plays, delays=delays, fates=fates, flush_delay=delays)
def test_nothing_counts_beyond_real_time_whatever_the_network_does(
    lessons, kind, count, jitters, play, delays, fates, flush_delay
):
    made = page_heartbeats(count, jitters, play if kind == "video" else None)
    requests, kept = [], []
    for index, heartbeat in enumerate(made):
        fate, delay = fates[index % len(fates)], delays[index % len(delays)]
        if fate == "kept":
            kept.append(heartbeat)
            continue
        if kept:  # the signal is back: what was kept goes first, in one request, each with its age
            sent_ms = heartbeat.made_ms
            requests.append(Request(sent_ms + delay, [(old, sent_ms - old.made_ms) for old in kept]))
            kept = []
        if fate in ("sent", "twice"):  # any delay, so later heartbeats may overtake this one
            requests.append(Request(heartbeat.made_ms + delay, [(heartbeat, 0)]))
        if fate == "twice":
            requests.append(Request(heartbeat.made_ms + delay + flush_delay[0], [(heartbeat, 0)]))
    if kept:
        sent_ms = made[-1].made_ms + flush_delay[-1]
        requests.append(Request(sent_ms + delays[0], [(old, sent_ms - old.made_ms) for old in kept]))

    study, furthest = in_a_rolled_back_transaction(lambda: run(lessons, kind, requests))
    real = real_seconds(requests)
    assert study <= real
    assert furthest <= real * RATE
    assert furthest <= max((heartbeat.position or 0 for heartbeat in made), default=0)


@SETTINGS
@given(kind=kinds, count=counts, jitters=jitters, play=plays, delays=delays, repeats=fates)
def test_without_losses_the_counts_are_those_of_the_rules_before(lessons, kind, count, jitters, play, delays, repeats):
    """Delays (a heartbeat never overtaking the one before) and repeats, nothing lost: as before."""
    made = page_heartbeats(count, jitters, play if kind == "video" else None)
    requests, arrival = [], 0
    for index, heartbeat in enumerate(made):
        arrival = max(arrival, heartbeat.made_ms + delays[index % len(delays)])
        requests.append(Request(arrival, [(heartbeat, 0)]))
        if repeats[index % len(repeats)] == "twice":
            requests.append(Request(arrival, [(heartbeat, 0)]))

    got = in_a_rolled_back_transaction(lambda: run(lessons, kind, requests))
    assert got == rules_before(requests, DURATION if kind == "video" else None)


@SETTINGS
@given(
    kind=kinds, count=counts, jitters=jitters, play=plays,
    # Outages one after the other: (ms of signal before it, ms without signal).
    outages=st.lists(st.tuples(st.integers(min_value=0, max_value=40_000), st.integers(min_value=1, max_value=60_000)),
                     max_size=3),
)
def test_an_outage_costs_nothing(lessons, kind, count, jitters, play, outages):
    """Heartbeats made while offline are kept and sent, in one request, when the signal returns: the counts
    equal those of the same study with every heartbeat sent on time."""
    made = page_heartbeats(count, jitters, play if kind == "video" else None)
    windows, clock = [], 0
    for signal_ms, outage_ms in outages:
        windows.append((clock + signal_ms, clock + signal_ms + outage_ms))
        clock += signal_ms + outage_ms

    def back_at(ms):
        """When the signal returns, if it is down at ``ms``."""
        return next((end for start, end in windows if start <= ms < end), None)

    def send_kept(kept):
        sent_ms = back_at(kept[0].made_ms)
        return Request(sent_ms, [(old, sent_ms - old.made_ms) for old in kept])

    requests, kept = [], []
    for heartbeat in made:
        back = back_at(heartbeat.made_ms)
        if kept and back != back_at(kept[0].made_ms):
            requests.append(send_kept(kept))
            kept = []
        if back is None:
            requests.append(Request(heartbeat.made_ms, [(heartbeat, 0)]))
        else:
            kept.append(heartbeat)
    if kept:
        requests.append(send_kept(kept))
    on_time = [Request(heartbeat.made_ms, [(heartbeat, 0)]) for heartbeat in made]

    offline = in_a_rolled_back_transaction(lambda: run(lessons, kind, requests))
    assert offline == in_a_rolled_back_transaction(lambda: run(lessons, kind, on_time))


forged = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=30_000),  # ms after the request before
        st.integers(min_value=1, max_value=40),  # sequence
        st.one_of(st.none(), st.floats(min_value=-5, max_value=100, allow_nan=False)),  # position
        st.integers(min_value=0, max_value=200_000),  # age claimed, ms
    ),
    min_size=1, max_size=15,
)


@SETTINGS
@given(kind=kinds, heartbeats=forged)
def test_a_forger_gains_no_more_than_real_time(lessons, kind, heartbeats):
    """Anything at all sent from the opening on: no more than the real time, plus the one interval the first
    heartbeat counts (a page waits that long before it first reports)."""
    requests, clock = [], 0
    for after_ms, sequence, position, age_ms in heartbeats:
        clock += after_ms
        requests.append(Request(clock, [(Made(sequence, clock - age_ms, position), age_ms)]))

    study, furthest = in_a_rolled_back_transaction(lambda: run(lessons, kind, requests))
    real = real_seconds(requests) + INTERVAL
    assert study <= real
    assert furthest <= real * RATE


# --- Attention checks: nothing counts while one is open ------------------------------------------------------

ANSWER_SECONDS = 15


@pytest.fixture
def attentive_lessons(lessons):
    """The same lessons in a course with attention checks every 18 s of study on average, 15 s to answer; the
    text lesson needs half an hour, so that it stays open while the checks come."""
    course = CoursePage.objects.get(path=lessons["text"].path[: -LessonPage.steplen])
    CoursePage.objects.filter(pk=course.pk).update(
        attention_checks=True, attention_interval_minutes=Decimal("0.3"), attention_answer_seconds=ANSWER_SECONDS
    )
    LessonPage.objects.filter(pk=lessons["text"].pk).update(min_study_minutes=30)
    return lessons


@dataclass(frozen=True)
class Checked:
    study: int
    furthest: float
    real: float  # seconds from the opening to the last request or answer
    open_seconds: float  # the time checks were open, up to then
    uncounted: int  # what the checks kept as not counted
    checks: int


def run_with_checks(lessons, kind: str, requests: list[Request], answer_delays: list[int | None]) -> Checked:
    """Apply the requests in order of arrival; each check a request's answer brings is answered right (as a
    trainee taps the number) the next delay later, or never (None). Answers and requests go in time order."""
    person, lesson = lessons["person"], lessons[kind]
    lesson_progress_open(person=person, lesson=lesson, now=at_ms(0))
    LessonProgress.objects.filter(person=person, lesson=lesson).update(started_at=at_ms(0))
    block_id = next(iter(lesson_requirements(lesson).video_durations), None)
    events = [(request.arrival_ms, order, request) for order, request in enumerate(requests)]
    heapq.heapify(events)
    order, seen, end_ms = len(requests), set(), 0
    while events:
        time_ms, _order, event = heapq.heappop(events)
        end_ms = max(end_ms, time_ms)
        if isinstance(event, AttentionPrompt):
            attention_prompt_answer(
                person_id=person.pk, lesson_id=lesson.pk, token=event.token, answer=event.expected, now=at_ms(time_ms)
            )
            continue
        result = lesson_heartbeats_apply(
            person_id=person.pk, lesson_id=lesson.pk, now=at_ms(time_ms),
            heartbeats=[
                Heartbeat(made.sequence, block_id if made.position is not None else None, made.position, age / 1000)
                for made, age in event.heartbeats
            ],
        )
        if result.prompt is not None and result.prompt.pk not in seen:
            seen.add(result.prompt.pk)
            delay = answer_delays[len(seen) % len(answer_delays)]
            if delay is not None:
                order += 1
                heapq.heappush(events, (time_ms + delay, order, result.prompt))
    progress = LessonProgress.objects.get(person=person, lesson=lesson)
    end = at_ms(end_ms)
    prompts = list(AttentionPrompt.objects.filter(progress=progress))
    return Checked(
        study=progress.study_seconds,
        furthest=progress.videos[block_id]["furthest"] if block_id in progress.videos else 0,
        real=end_ms / 1000,
        open_seconds=sum((min(prompt.closed_at or end, end) - prompt.issued_at).total_seconds() for prompt in prompts),
        uncounted=sum(prompt.uncounted_seconds for prompt in prompts),
        checks=len(prompts),
    )


# Many heartbeats, so that several checks come; each answered within 0-40 s (the limit is 15 s), or never.
long_counts = st.integers(min_value=5, max_value=30)
answer_delays = st.lists(st.one_of(st.none(), st.integers(min_value=0, max_value=40_000)), min_size=1, max_size=6)


@SETTINGS
@given(
    kind=kinds, count=long_counts, jitters=jitters, play=plays, delays=delays, fates=fates, flush_delay=delays,
    answers=answer_delays,
)
def test_with_attention_checks_nothing_counts_while_one_is_open(
    attentive_lessons, kind, count, jitters, play, delays, fates, flush_delay, answers
):
    made = page_heartbeats(count, jitters, play if kind == "video" else None)
    requests, kept = [], []
    for index, heartbeat in enumerate(made):
        fate, delay = fates[index % len(fates)], delays[index % len(delays)]
        if fate == "kept":  # offline, perhaps while a check is open: sent later, each with its age
            kept.append(heartbeat)
            continue
        if kept:
            sent_ms = heartbeat.made_ms
            requests.append(Request(sent_ms + delay, [(old, sent_ms - old.made_ms) for old in kept]))
            kept = []
        if fate in ("sent", "twice"):
            requests.append(Request(heartbeat.made_ms + delay, [(heartbeat, 0)]))
        if fate == "twice":
            requests.append(Request(heartbeat.made_ms + delay + flush_delay[0], [(heartbeat, 0)]))
    if kept:
        sent_ms = made[-1].made_ms + flush_delay[-1]
        requests.append(Request(sent_ms + delays[0], [(old, sent_ms - old.made_ms) for old in kept]))

    got = in_a_rolled_back_transaction(lambda: run_with_checks(attentive_lessons, kind, requests, answers))
    event(f"checks issued: {min(got.checks, 3)}{'+' if got.checks > 3 else ''}")
    counted_real = got.real - got.open_seconds
    assert got.study <= counted_real
    assert got.furthest <= counted_real * RATE
    assert got.study + got.uncounted <= got.real


@SETTINGS
@given(kind=kinds, heartbeats=forged, answers=answer_delays)
def test_with_attention_checks_a_forger_gains_nothing_while_one_is_open(attentive_lessons, kind, heartbeats, answers):
    """Anything at all sent, checks answered at once or late or never: no more than the real time outside the
    checks, plus the one interval the first heartbeat counts."""
    requests, clock = [], 0
    for after_ms, sequence, position, age_ms in heartbeats:
        clock += after_ms
        requests.append(Request(clock, [(Made(sequence, clock - age_ms, position), age_ms)]))

    got = in_a_rolled_back_transaction(lambda: run_with_checks(attentive_lessons, kind, requests, answers))
    counted_real = got.real - got.open_seconds + INTERVAL
    assert got.study <= counted_real
    assert got.furthest <= counted_real * RATE
    assert got.study + got.uncounted <= got.real + INTERVAL
