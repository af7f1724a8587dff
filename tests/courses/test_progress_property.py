"""Properties of the progress rules (courses/progress.py) on a weak network: heartbeats lost, delayed,
repeated, overtaken by later ones, or kept by the page while offline and sent when the signal returns.

- Whatever the network does, the study time counted never exceeds the real time since the lesson was opened,
  and the video watched never exceeds that time times the allowed playback rate; the same holds for a forger
  sending anything at all, give or take the one interval a first heartbeat counts.
- With nothing lost or overtaken (only delays and repeats), the counts equal those of the rules as they were
  before the page kept heartbeats (written again here, from the old module docstring, as ``rules_before``).
- An outage costs nothing: heartbeats kept while offline and sent later count exactly as if sent on time.

Times are whole milliseconds so that the server's clock (microseconds) and the model's agree exactly.
"""
import datetime
import math
from dataclasses import dataclass

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from courses.models import LessonProgress
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
    """Study time: real time since the previous accepted heartbeat, one interval after a gap longer than an
    interval plus the slack (and for the first). Video: the old _watched, on that time."""
    study, last_sequence, last_at, position, furthest = 0, 0, None, 0.0, 0.0
    for request in sorted(requests, key=lambda request: request.arrival_ms):
        for made, _age in request.heartbeats:
            if made.sequence <= last_sequence:
                continue
            now = request.arrival_ms  # whole milliseconds: a float of seconds would lose a second to rounding
            elapsed = INTERVAL
            if last_at is not None:
                gap = (now - last_at) / 1000
                elapsed = INTERVAL if gap > INTERVAL + SLACK else max(0.0, gap)
            last_sequence, last_at = made.sequence, now
            study += int(elapsed)
            if duration and made.position is not None:
                new = round(min(max(0.0, made.position), duration), 2)
                playable = elapsed * RATE
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
