"""The completion rules of courses/progress.py, with the server's clock moved by hand."""
import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone, translation

from courses.completion import course_status
from courses.models import LessonPage, LessonProgress, TrainingRecord
from courses.progress import (
    Heartbeat, LessonStatus, course_outline, lesson_heartbeat_apply, lesson_heartbeats_apply, lesson_progress_open,
    lesson_progress_summary, lesson_requirements,
)
from courses.years import training_year
from tests.races import race

pytestmark = pytest.mark.django_db

START = timezone.make_aware(datetime.datetime(2026, 3, 2, 9, 0, 0))


def at(seconds: float) -> datetime.datetime:
    return START + datetime.timedelta(seconds=seconds)


@pytest.fixture
def person(director):
    return director.person


class Trainee:
    """Sends heartbeats as a lesson page would, with the clock given."""

    def __init__(self, person, lesson):
        self.person, self.lesson, self.sequence = person, lesson, 0
        self.video_block_id = next(iter(lesson_requirements(lesson).video_durations), None)

    def kept(self, seconds, position=None):
        """A heartbeat made at ``seconds`` that the page could not send then (no signal): kept, not sent."""
        self.sequence += 1
        video_block_id = self.video_block_id if position is not None else None
        return seconds, Heartbeat(self.sequence, video_block_id, position)

    def send_kept(self, seconds, kept):
        """Send heartbeats kept while offline, in one request at ``seconds``, each with its age."""
        heartbeats = [
            Heartbeat(heartbeat.sequence, heartbeat.video_block_id, heartbeat.position, age=seconds - made)
            for made, heartbeat in kept
        ]
        return lesson_heartbeats_apply(
            person_id=self.person.pk, lesson_id=self.lesson.pk, heartbeats=heartbeats, now=at(seconds)
        )

    def beat(self, seconds, position=None, sequence=None):
        if sequence is None:
            self.sequence += 1
            sequence = self.sequence
        return lesson_heartbeat_apply(
            person_id=self.person.pk, lesson_id=self.lesson.pk, sequence=sequence,
            video_block_id=self.video_block_id if position is not None else None, position=position,
            now=at(seconds),
        )

    @property
    def progress(self):
        return LessonProgress.objects.get(person=self.person, lesson=self.lesson)

    def furthest(self):
        return self.progress.videos[self.video_block_id]["furthest"]


def opened(person, lesson):
    lesson_progress_open(person=person, lesson=lesson, now=at(0))
    LessonProgress.objects.filter(person=person, lesson=lesson).update(started_at=at(0))  # on the test's clock
    return Trainee(person, lesson)


# --- Text lessons: time measured by the server ----------------------------------------------------------


def test_text_lesson_completes_only_after_the_minimum_study_time(person, text_lesson):
    trainee = opened(person, text_lesson)
    for number in range(1, 6):
        trainee.beat(10 * number)
    assert trainee.progress.study_seconds == 50
    assert trainee.progress.completed_at is None

    result = trainee.beat(60)
    assert result.just_completed
    assert trainee.progress.completed_at == at(60)
    assert trainee.progress.study_seconds == 60


def test_heartbeats_sent_faster_gain_nothing(person, text_lesson):
    trainee = opened(person, text_lesson)
    for number in range(1, 301):  # 300 heartbeats in 30 seconds
        trainee.beat(number / 10)
    # The first heartbeat of a visit counts one interval; after it, never more than the real time.
    assert trainee.progress.study_seconds <= 10 + 30
    assert trainee.progress.completed_at is None


def test_a_long_gap_counts_one_interval_only(person, text_lesson):
    trainee = opened(person, text_lesson)
    trainee.beat(10)
    trainee.beat(3600)  # the phone slept for an hour
    assert trainee.progress.study_seconds == 20


def test_heartbeats_a_moment_under_whole_seconds_apart_lose_no_time(person, text_lesson):
    """A timer fires a little early or the network is a little faster: the fraction of a second is carried to
    the next heartbeat, not dropped, so a visit counts its real time (rounded down once, not per heartbeat)."""
    trainee = opened(person, text_lesson)
    trainee.beat(10)
    for number in range(1, 6):
        trainee.beat(10 + 9.999 * number)  # 49.995 s of real time after the first heartbeat
    assert trainee.progress.study_seconds == 10 + 49


def test_a_repeated_or_late_heartbeat_is_not_counted_twice(person, text_lesson):
    trainee = opened(person, text_lesson)
    trainee.beat(10, sequence=1)
    trainee.beat(20, sequence=2)
    repeated = trainee.beat(30, sequence=2)
    late = trainee.beat(31, sequence=1)
    assert not repeated.accepted and not late.accepted
    assert trainee.progress.last_sequence == 2
    assert trainee.progress.study_seconds == 20


def test_no_heartbeat_counts_for_a_lesson_never_opened(person, text_lesson):
    result = lesson_heartbeat_apply(person_id=person.pk, lesson_id=text_lesson.pk, sequence=1, now=at(10))
    assert result is None
    assert not LessonProgress.objects.exists()


def test_completion_is_set_once(person, text_lesson):
    trainee = opened(person, text_lesson)
    for number in range(1, 7):
        trainee.beat(10 * number)
    result = trainee.beat(70)
    assert result.accepted and not result.just_completed
    assert trainee.progress.completed_at == at(60)


# --- Video lessons: continuous watching at a believable speed -------------------------------------------


def test_video_lesson_completes_once_90_percent_is_watched_continuously(person, video_lesson):
    trainee = opened(person, video_lesson)
    for second in range(10, 60, 10):
        trainee.beat(second, position=second)
    assert trainee.furthest() == 50
    assert trainee.progress.completed_at is None

    result = trainee.beat(54, position=54)  # the pause button, 90% in
    assert result.just_completed
    summary = lesson_progress_summary(trainee.progress, lesson_requirements(video_lesson))
    assert summary["complete"] and summary["videos"] == {trainee.video_block_id: 90}


def test_the_end_of_a_video_a_moment_after_a_heartbeat_is_watched(person, video_lesson):
    """The page sends a heartbeat when the video ends, often under a second after the one before: what
    played in that moment counts, though it is not yet a whole second of study time."""
    trainee = opened(person, video_lesson)
    for second in range(10, 60, 10):
        trainee.beat(second, position=second)
    trainee.beat(59, position=59)
    trainee.beat(59.9, position=60)  # ended
    assert trainee.furthest() == 60
    assert trainee.progress.study_seconds == 59
    summary = lesson_progress_summary(trainee.progress, lesson_requirements(video_lesson))
    assert summary["videos"] == {trainee.video_block_id: 100}


def test_seeking_ahead_does_not_count(person, video_lesson):
    trainee = opened(person, video_lesson)
    trainee.beat(10, position=10)
    trainee.beat(12, position=45)  # jumps ahead
    for second, position in [(22, 55), (27, 60)]:  # and watches from there to the end
        trainee.beat(second, position=position)
    assert trainee.furthest() == 10
    assert trainee.progress.completed_at is None
    summary = lesson_progress_summary(trainee.progress, lesson_requirements(video_lesson))
    assert "0:10" in summary["status"]  # the page says where counting stopped


def test_coming_back_to_watched_ground_counts_again(person, video_lesson):
    trainee = opened(person, video_lesson)
    trainee.beat(10, position=10)
    trainee.beat(12, position=45)  # a seek ahead
    trainee.beat(14, position=9)  # back again
    for second in range(24, 74, 10):
        trainee.beat(second, position=second - 5)
    assert trainee.furthest() == 59
    assert trainee.progress.completed_at is not None


def test_playback_faster_than_the_allowed_rate_does_not_count(person, video_lesson):
    trainee = opened(person, video_lesson)
    for number in range(1, 4):  # double speed: 20 s of video every 10 s, to the end
        trainee.beat(10 * number, position=20 * number)
    assert trainee.furthest() <= 30 * 1.5
    assert trainee.progress.completed_at is None


def test_a_forged_heartbeat_at_the_end_of_the_video_does_not_complete(person, video_lesson):
    trainee = opened(person, video_lesson)
    trainee.beat(10, position=60)
    assert trainee.furthest() == 0
    assert trainee.progress.completed_at is None


def test_no_rhythm_of_heartbeats_watches_faster_than_the_rate(person, video_lesson):
    trainee = opened(person, video_lesson)
    trainee.beat(10, position=10)
    # A forger sends a heartbeat every 0.2 s, each claiming as much as the tolerance would allow.
    position = 10
    for number in range(1, 101):
        position += 0.2 * 1.5 + 4
        trainee.beat(10 + number * 0.2, position=min(position, 60))
    assert trainee.furthest() <= 10 + 20 * 1.5


def test_the_position_is_kept_for_resuming(person, video_lesson):
    trainee = opened(person, video_lesson)
    trainee.beat(10, position=10)
    trainee.beat(15, position=14.5)
    summary = lesson_progress_summary(trainee.progress, lesson_requirements(video_lesson))
    assert summary["positions"] == {trainee.video_block_id: 14.5}


def test_the_length_of_a_video_comes_from_the_server(person, video_lesson):
    requirements = lesson_requirements(video_lesson)
    assert list(requirements.video_durations.values()) == [60]


def test_a_video_of_unknown_length_falls_back_to_study_time(person, course, video_lesson):
    video = video_lesson.body[0].value["video"]
    video.duration_seconds = 0
    video.save()
    lesson = LessonPage.objects.get(pk=video_lesson.pk)
    assert not lesson_requirements(lesson).has_videos
    trainee = opened(person, lesson)
    for number in range(1, 7):
        trainee.beat(10 * number)
    assert trainee.progress.completed_at is not None


# --- A weak network: heartbeats lost, or kept by the page and sent late ----------------------------------


def test_a_video_playing_on_through_lost_heartbeats_still_counts(person, video_lesson):
    """The field defect: two heartbeats lost (20 s without signal) while the video plays used to look like a
    seek, and nothing counted after it."""
    trainee = opened(person, video_lesson)
    trainee.beat(10, position=10)
    trainee.sequence += 2  # heartbeats 2 and 3 never reach the server
    trainee.beat(40, position=40)
    trainee.beat(50, position=50)
    result = trainee.beat(54, position=54)
    assert trainee.furthest() == 54
    assert result.just_completed


def test_heartbeats_kept_while_offline_count_as_if_sent_on_time(person, video_lesson):
    trainee = opened(person, video_lesson)
    trainee.beat(10, position=10)
    kept = [trainee.kept(20, position=20), trainee.kept(30, position=30), trainee.kept(40, position=40)]
    result = trainee.send_kept(45, kept)  # the signal returns
    assert result.accepted
    assert trainee.furthest() == 40
    assert trainee.progress.study_seconds == 40
    trainee.beat(50, position=50)
    trainee.beat(54, position=54)
    assert trainee.progress.study_seconds == 54  # what a good network would have counted
    assert trainee.progress.completed_at == at(54)


def test_a_kept_heartbeat_sent_twice_counts_once(person, text_lesson):
    trainee = opened(person, text_lesson)
    trainee.beat(10)
    kept = [trainee.kept(20), trainee.kept(30)]
    trainee.send_kept(35, kept)  # arrived, but the answer was lost: the page sends them again
    repeated = trainee.send_kept(40, kept)
    assert not repeated.accepted
    assert trainee.progress.study_seconds == 30


def test_a_heartbeat_completing_a_lesson_late_dates_the_completion_when_it_was_made(person, text_lesson):
    trainee = opened(person, text_lesson)
    for second in range(10, 50, 10):
        trainee.beat(second)
    result = trainee.send_kept(300, [trainee.kept(50), trainee.kept(60)])
    assert result.just_completed
    assert trainee.progress.completed_at == at(60)
    assert trainee.progress.study_seconds == 60


def test_lost_heartbeats_count_no_more_than_their_intervals_nor_the_real_time(person, text_lesson):
    trainee = opened(person, text_lesson)
    trainee.beat(10, sequence=1)
    trainee.beat(38, sequence=4)  # 28 s for three intervals: real time counts
    assert trainee.progress.study_seconds == 38
    trainee.beat(100, sequence=5)  # 62 s for one interval: a pause, one interval counts
    assert trainee.progress.study_seconds == 48
    trainee.beat(105, sequence=1000)  # a page cannot claim more than the real time
    assert trainee.progress.study_seconds == 53


def test_an_age_never_places_a_heartbeat_before_the_one_accepted_before_it(person, video_lesson):
    trainee = opened(person, video_lesson)
    trainee.beat(10, position=10)
    # Made "100 s ago", at the very end: placed at the previous heartbeat, it counts no time and is a seek.
    trainee.send_kept(12, [(-88, Heartbeat(2, trainee.video_block_id, 60))])
    assert trainee.progress.study_seconds == 10
    assert trainee.furthest() == 10
    assert trainee.progress.last_heartbeat_at == at(10)


def test_an_age_never_places_the_first_heartbeat_before_the_lesson_was_opened(person, text_lesson):
    trainee = opened(person, text_lesson)
    trainee.send_kept(10, [(-3590, Heartbeat(1))])  # "made an hour ago"
    assert trainee.progress.last_heartbeat_at == at(0)
    trainee.beat(3600, sequence=10_000)  # so nothing can then claim the hour before the opening
    assert trainee.progress.study_seconds == 10 + 3600  # the first heartbeat counts one interval, as ever


# --- Completion of the course ----------------------------------------------------------------------------


def test_the_last_lesson_completed_completes_a_course_whose_exam_was_passed(person, course, text_lesson, video_lesson):
    year = training_year(at(0))
    LessonProgress.objects.create(person=person, lesson=text_lesson, year=year, completed_at=at(-100))
    course.exam().attempts.create(
        person=person, year=year, number=1, started_at=at(-50), deadline_at=at(-40), submitted_at=at(-45),
        score=80, passed=True,
    )
    trainee = opened(person, video_lesson)
    for second in range(10, 60, 10):
        trainee.beat(second, position=second)
    assert not TrainingRecord.objects.exists()

    trainee.beat(55, position=55)
    record = TrainingRecord.objects.get(person=person, course=course)
    assert record.credit_hours == 4 and record.score == 80
    assert course_status(person=person, course=course, year=year).is_complete


# --- The course outline: statuses and order -------------------------------------------------------------


def test_lessons_taken_in_order_are_locked_until_the_one_before_is_complete(person, course, text_lesson):
    course.lessons_in_order = True
    course.save()
    year = training_year()
    outline = course_outline(person=person, course=course, year=year)
    assert [entry.status for entry in outline.lessons] == [LessonStatus.NOT_STARTED, LessonStatus.LOCKED]

    LessonProgress.objects.create(person=person, lesson=text_lesson, year=year, completed_at=timezone.now())
    outline = course_outline(person=person, course=course, year=year)
    assert [entry.status for entry in outline.lessons] == [LessonStatus.COMPLETE, LessonStatus.NOT_STARTED]


def test_the_course_continues_at_the_lesson_studied_last(person, course, text_lesson, video_lesson):
    year = training_year()
    LessonProgress.objects.create(person=person, lesson=video_lesson, year=year, last_heartbeat_at=timezone.now())
    LessonProgress.objects.create(
        person=person, lesson=text_lesson, year=year, last_heartbeat_at=timezone.now() - datetime.timedelta(days=1)
    )
    outline = course_outline(person=person, course=course, year=year)
    assert outline.continue_entry.page.pk == video_lesson.pk
    assert outline.next_after(video_lesson.pk).pk == course.exam().pk


def test_opening_a_lesson_again_keeps_its_one_progress_row(person, text_lesson):
    first = lesson_progress_open(person=person, lesson=text_lesson, now=at(0))
    again = lesson_progress_open(person=person, lesson=text_lesson, now=at(600))
    assert again.pk == first.pk
    assert LessonProgress.objects.filter(person=person, lesson=text_lesson).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="two connections at once need PostgreSQL")
def test_a_lesson_opened_in_two_tabs_at_once_has_one_progress_row(zhejiang_regions, course, director):
    person, lesson = director.person, LessonPage.objects.get(pk=course.lessons()[0].pk)
    first, second = race(
        lambda: lesson_progress_open(person=person, lesson=lesson),
        lambda: lesson_progress_open(person=person, lesson=lesson),
    )
    assert isinstance(first, LessonProgress) and first.pk == second.pk
    assert LessonProgress.objects.filter(person=person, lesson=lesson).count() == 1


# --- Heartbeats arriving together (PostgreSQL: SQLite has no row locks) ---------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locking needs PostgreSQL")
def test_heartbeats_arriving_together_are_each_counted_once(zhejiang_regions, course, director):
    person, lesson = director.person, LessonPage.objects.get(pk=course.lessons()[0].pk)
    lesson_progress_open(person=person, lesson=lesson)
    accepted = []
    barrier = threading.Barrier(8)

    def send(sequence):
        barrier.wait()
        try:
            result = lesson_heartbeat_apply(person_id=person.pk, lesson_id=lesson.pk, sequence=sequence)
            accepted.append(result.accepted)
        finally:
            connection.close()

    # Eight copies of heartbeat 1 at once, then eight different heartbeats at once.
    for sequences in ([1] * 8, list(range(2, 10))):
        threads = [threading.Thread(target=send, args=(sequence,)) for sequence in sequences]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    progress = LessonProgress.objects.get(person=person, lesson=lesson)
    assert accepted[:8].count(True) == 1
    assert progress.last_sequence == 9
    # Out-of-order arrivals are refused, never applied twice: study time only from accepted heartbeats.
    assert progress.study_seconds <= 10 + 10 * (1 + accepted[8:].count(True))


def test_playing_too_fast_is_told_with_the_allowed_rate_not_as_skipping_only(person, video_lesson, settings):
    """Issue 13: at 3x speed the page said she skipped; it must name the 1.5x limit."""
    trainee = opened(person, video_lesson)
    for number in range(1, 3):  # triple speed: 30 s of video every 10 s
        trainee.beat(10 * number, position=30 * number)
    assert trainee.progress.completed_at is None
    with translation.override("en"):
        status = lesson_progress_summary(trainee.progress, lesson_requirements(video_lesson))["status"]
    assert "faster than 1.5×" in status and "0:00" in status
    with translation.override("zh-hans"):
        status = lesson_progress_summary(trainee.progress, lesson_requirements(video_lesson))["status"]
    assert "1.5 倍" in status
