"""The attention checks of courses/attention.py (防挂机) and what they do to the progress rules, with the server's
clock moved by hand: when a check comes, that nothing counts while it is open, answers checked on the server,
a missed check recorded with what it cost, and the heartbeats a page kept during an outage."""
import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone, translation

from courses.attention import (
    Answer, attention_missed, attention_prompt_answer, attention_prompt_state, attention_rules,
)
from courses.models import AttentionPrompt, CoursePage, LessonPage, LessonProgress
from courses.progress import Heartbeat, lesson_heartbeats_apply, lesson_progress_open, lesson_requirements
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

START = timezone.make_aware(datetime.datetime(2026, 3, 2, 9, 0, 0))
INTERVAL = 10  # COURSES_HEARTBEAT_SECONDS


def at(seconds: float) -> datetime.datetime:
    return START + datetime.timedelta(seconds=seconds)


@pytest.fixture
def checks(course):
    """The course asks for a check every minute of study on average, to be answered within 60 s; its text
    lesson needs 30 minutes, so that it stays open while the checks come."""
    CoursePage.objects.filter(pk=course.pk).update(
        attention_checks=True, attention_interval_minutes=Decimal("1"), attention_answer_seconds=60
    )
    LessonPage.objects.filter(pk=course.lessons()[0].pk).update(min_study_minutes=30)
    return course


class Trainee:
    """A lesson page: heartbeats every interval (sent at once, or kept while offline), answers to checks."""

    def __init__(self, person, lesson):
        self.person, self.lesson, self.sequence = person, lesson, 0
        self.video_block_id = next(iter(lesson_requirements(lesson).video_durations), None)

    def beat(self, seconds, position=None):
        self.sequence += 1
        return self.send(seconds, [(seconds, self.sequence, position)])

    def kept(self, seconds, position=None):
        self.sequence += 1
        return (seconds, self.sequence, position)

    def send(self, seconds, kept):
        heartbeats = [
            Heartbeat(sequence, self.video_block_id if position is not None else None, position, age=seconds - made)
            for made, sequence, position in kept
        ]
        return lesson_heartbeats_apply(
            person_id=self.person.pk, lesson_id=self.lesson.pk, heartbeats=heartbeats, now=at(seconds)
        )

    def answer(self, seconds, number=None, token=None, identity_confirmed=True):
        prompt = self.open_prompt()
        return attention_prompt_answer(
            person_id=self.person.pk, lesson_id=self.lesson.pk, token=token or prompt.token,
            answer=prompt.expected if number is None else number, identity_confirmed=identity_confirmed,
            now=at(seconds),
        )

    def open_prompt(self):
        return AttentionPrompt.objects.filter(progress=self.progress, closed_at__isnull=True).first()

    def due_at(self, study_seconds):
        """The next check becomes due at this study time (the server draws it at random: set it here)."""
        LessonProgress.objects.filter(pk=self.progress.pk).update(attention_due_seconds=study_seconds)

    @property
    def progress(self):
        return LessonProgress.objects.get(person=self.person, lesson=self.lesson)

    @property
    def study(self):
        return self.progress.study_seconds

    def furthest(self):
        return self.progress.videos[self.video_block_id]["furthest"]


def opened(person, lesson):
    lesson_progress_open(person=person, lesson=lesson, now=at(0))
    LessonProgress.objects.filter(person=person, lesson=lesson).update(started_at=at(0))
    return Trainee(person, lesson)


@pytest.fixture
def text(checks, director):
    return opened(director.person, LessonPage.objects.get(pk=checks.lessons()[0].pk))


@pytest.fixture
def video(checks, director):
    return opened(director.person, LessonPage.objects.get(pk=checks.lessons()[1].pk))


# --- When a check comes -----------------------------------------------------------------------------------


def test_a_course_without_checks_never_asks(course, director):
    LessonPage.objects.filter(pk=course.lessons()[0].pk).update(min_study_minutes=30)
    trainee = opened(director.person, LessonPage.objects.get(pk=course.lessons()[0].pk))
    for number in range(1, 61):
        result = trainee.beat(INTERVAL * number)
        assert result.prompt is None and not result.attention_checks
    assert trainee.study == 600
    assert not AttentionPrompt.objects.exists()


def test_the_first_check_comes_within_the_first_interval_of_study(text):
    issued = None
    for number in range(1, 8):
        result = text.beat(INTERVAL * number)
        if result.prompt is not None:
            issued = result.prompt
            break
    assert issued is not None, "no check within a minute of study"
    # Issued when the heartbeat that reached the drawn moment arrived; 60 s to answer from then.
    assert issued.issued_at == at(INTERVAL * number)
    assert issued.answer_by == at(INTERVAL * number + 60)
    assert text.study <= 60
    assert issued.expected in issued.choices
    assert len(set(issued.choices)) == 4 and all(1 <= choice <= 9 for choice in issued.choices)


def test_each_next_check_comes_between_half_and_one_and_a_half_intervals_after_the_answer(text):
    text.due_at(10)
    text.beat(10)
    text.answer(15)
    answered_at_study = text.study
    clock, issued_at_study = 15, None
    while issued_at_study is None and clock < 400:
        clock += INTERVAL
        if text.beat(clock).prompt is not None:
            issued_at_study = text.study
    # Half a minute of study at the least, a minute and a half at the most (plus the heartbeat that reaches it).
    assert answered_at_study + 30 <= issued_at_study <= answered_at_study + 90 + INTERVAL


def test_the_moment_is_drawn_anew_for_every_lesson_and_every_check(checks, director):
    """Unpredictable: over twenty lessons' first checks, the moments differ."""
    moments = set()
    for number in range(20):
        lesson = checks.add_child(instance=LessonPage(
            title=f"第{number}课", slug=f"lesson-{number}", min_study_minutes=30,
            body=[("paragraph", "<p>儿童主任负责村（社区）儿童工作。</p>")],
        ))
        trainee = opened(director.person, lesson)
        trainee.beat(INTERVAL)
        moments.add(trainee.progress.attention_due_seconds)
    assert len(moments) > 5
    assert all(1 <= moment <= 60 for moment in moments)  # within the first minute of study


def test_a_complete_lesson_gets_no_check(video):
    for second in range(10, 60, 10):
        video.due_at(10_000)
        video.beat(second, position=second)
    video.beat(55, position=55)
    assert video.progress.completed_at is not None
    video.due_at(0)
    assert video.beat(65, position=58).prompt is None
    assert not AttentionPrompt.objects.exists()


# --- While a check is open ----------------------------------------------------------------------------------


def test_heartbeats_count_nothing_while_a_check_is_open(text):
    text.due_at(30)
    for second in (10, 20, 30):
        result = text.beat(second)
    assert result.prompt is not None and text.study == 30  # the heartbeat that reached it counts
    for second in range(40, 200, 10):
        result = text.beat(second)
        assert result.accepted and result.prompt is not None
    assert text.study == 30
    assert text.progress.last_sequence == 19
    assert text.open_prompt().uncounted_seconds == 160  # what those heartbeats would have counted


def test_a_video_is_not_counted_as_watched_while_a_check_is_open(video):
    video.due_at(20)
    video.beat(10, position=10)
    assert video.beat(20, position=20).prompt is not None
    # A page that plays on behind the check (a forged one: ours pauses the video): heard, never counted.
    video.beat(30, position=30)
    video.beat(40, position=40)
    assert video.furthest() == 20
    assert video.progress.videos[video.video_block_id]["position"] == 40
    video.answer(42)
    video.beat(50, position=48)
    # It played on unwatched, so it counts only once it is back where counting stopped (as after a seek).
    assert video.furthest() == 20
    video.beat(60, position=25)
    video.beat(70, position=35)
    assert video.furthest() == 35


def test_a_video_paused_for_the_check_goes_on_counting_after_the_answer(video):
    video.due_at(20)
    video.beat(10, position=10)
    video.beat(20, position=20)
    video.beat(20.5, position=20.5)  # the page shows the check and pauses the video
    video.beat(30)  # paused: no position
    video.answer(35)
    video.beat(45, position=30.5)
    assert video.furthest() == 30.5
    assert video.study == 20 + 10  # nothing between the check and the answer; the ten seconds after it


def test_a_check_answered_in_time_costs_only_the_time_it_was_open(text):
    text.due_at(20)
    text.beat(10)
    text.beat(20)  # the check comes
    text.beat(30)  # 10 s not counted
    result = text.answer(34)
    assert result.outcome == Answer.ANSWERED and result.closed
    assert text.open_prompt() is None
    assert text.study == 20
    text.beat(44)
    # Counting starts again from the answer: ten seconds, not the fourteen since the last heartbeat.
    assert text.study == 30
    assert attention_missed(progress=text.progress, now=at(44)).count == 0


def test_a_late_answer_is_recorded_as_missed_and_the_gap_counts_nothing(text):
    text.due_at(20)
    text.beat(10)
    text.beat(20)  # the check comes: to be answered by 80
    for second in range(30, 310, 10):  # the phone left on, the check unanswered
        text.beat(second)
    assert text.study == 20
    missed = attention_missed(progress=text.progress, now=at(300))
    assert (missed.count, missed.uncounted_seconds) == (1, 280)  # recorded as missed while still open
    result = text.answer(305)
    assert result.outcome == Answer.ANSWERED_LATE and result.closed
    text.beat(315)
    assert text.study == 20 + 10
    missed = attention_missed(progress=text.progress, now=at(315))
    assert (missed.count, missed.uncounted_seconds) == (1, 280)
    with translation.override("zh-hans"):
        assert missed.text == "错过 1 次学习确认，4:40 的学习时间未计入。"


def test_a_check_left_unanswered_when_the_page_was_closed_is_missed(text):
    text.due_at(10)
    text.beat(10)
    missed = attention_missed(progress=text.progress, now=at(69))
    assert missed.count == 0
    missed = attention_missed(progress=text.progress, now=at(71))
    assert (missed.count, missed.uncounted_seconds) == (1, 0)
    assert attention_prompt_state(text.open_prompt(), now=at(71))["overdue"]


# --- Answers, checked on the server ---------------------------------------------------------------------


def test_a_wrong_number_keeps_the_check_open_with_new_numbers(text):
    text.due_at(10)
    text.beat(10)
    prompt = text.open_prompt()
    wrong = next(number for number in range(1, 10) if number != prompt.expected)
    result = text.answer(15, number=wrong)
    assert result.outcome == Answer.WRONG and not result.closed
    prompt.refresh_from_db()
    assert prompt.closed_at is None and prompt.wrong_answers == 1
    assert prompt.expected in prompt.choices
    text.beat(20)
    assert text.study == 10
    assert text.answer(22).outcome == Answer.ANSWERED


def test_an_answer_must_name_the_open_check(text):
    text.due_at(10)
    text.beat(10)
    prompt = text.open_prompt()
    assert text.answer(12, token="not-the-token").outcome == Answer.NOT_OPEN
    assert text.open_prompt() == prompt
    assert text.answer(13).outcome == Answer.ANSWERED
    # The same token again (a second tab, a repeated request): the check is no longer open.
    again = attention_prompt_answer(
        person_id=text.person.pk, lesson_id=text.lesson.pk, token=prompt.token, answer=prompt.expected, now=at(14)
    )
    assert again.outcome == Answer.NOT_OPEN


def test_nobody_else_can_answer_a_trainees_check(text, checks):
    text.due_at(10)
    text.beat(10)
    prompt = text.open_prompt()
    other = PersonFactory()
    lesson_progress_open(person=other, lesson=text.lesson, now=at(0))
    result = attention_prompt_answer(
        person_id=other.pk, lesson_id=text.lesson.pk, token=prompt.token, answer=prompt.expected, now=at(12)
    )
    assert result.outcome == Answer.NOT_OPEN
    assert text.open_prompt() == prompt


def test_a_right_answer_the_identity_check_refuses_keeps_the_check_open(text):
    text.due_at(10)
    text.beat(10)
    result = text.answer(12, identity_confirmed=False)
    assert result.outcome == Answer.IDENTITY_REFUSED and not result.closed
    assert text.open_prompt().identity_refusals == 1
    text.beat(20)
    assert text.study == 10
    assert text.answer(22).outcome == Answer.ANSWERED


def test_the_page_is_shown_the_question_never_the_answer_apart(text):
    text.due_at(10)
    text.beat(10)
    prompt = text.open_prompt()
    with translation.override("zh-hans"):
        state = attention_prompt_state(prompt, now=at(25))
    assert set(state) == {"token", "question", "choices", "seconds_left", "overdue"}
    assert state["question"] == f"请点击数字 {prompt.expected}。"
    assert state["seconds_left"] == 45 and not state["overdue"]


# --- The network: heartbeats kept during an outage ------------------------------------------------------------


def test_heartbeats_kept_during_an_outage_while_a_check_was_open_do_not_count(text):
    text.due_at(20)
    text.beat(10)
    text.beat(20)  # the check comes, then the signal goes
    kept = [text.kept(second) for second in range(30, 130, 10)]
    result = text.send(135, kept)  # the signal is back: everything kept arrives at once
    assert result.accepted and result.prompt is not None
    assert text.study == 20
    text.answer(140)
    # Heartbeats made before the answer but arriving after it count nothing either.
    late = [text.kept(138)]
    text.send(141, late)
    assert text.study == 20
    text.beat(150)
    assert text.study == 30  # the ten seconds since the answer


def test_a_check_is_issued_when_kept_heartbeats_arrive_not_before(text):
    """A check comes with the answer to a request: one due during an outage is issued when the signal
    returns, so the trainee has her full time to answer it."""
    text.due_at(30)
    text.beat(10)
    kept = [text.kept(second) for second in range(20, 70, 10)]
    result = text.send(75, kept)
    assert result.prompt.issued_at == at(75) and result.prompt.answer_by == at(135)
    assert text.study == 60  # the kept heartbeats, made before the check, count


def test_checks_turned_off_by_the_editors_stop_holding_back_the_count(text, checks):
    text.due_at(10)
    text.beat(10)
    assert text.open_prompt() is not None
    CoursePage.objects.filter(pk=checks.pk).update(attention_checks=False)
    assert attention_rules(lesson=text.lesson) is None
    result = text.beat(20)
    assert result.prompt is None and text.study == 20


# --- Answers and heartbeats arriving together (PostgreSQL: SQLite has no row locks) ---------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locking needs PostgreSQL")
def test_answers_and_heartbeats_arriving_together_close_the_check_once(zhejiang_regions, checks, director):
    """A double tap and the page's heartbeats at the same moment: one answer closes the check, the other finds
    it closed; no heartbeat counts time from before the answer."""
    trainee = opened(director.person, LessonPage.objects.get(pk=checks.lessons()[0].pk))
    trainee.due_at(10)
    trainee.beat(10)
    prompt = trainee.open_prompt()
    outcomes, barrier = [], threading.Barrier(6)

    def answer():
        barrier.wait()
        try:
            outcomes.append(attention_prompt_answer(
                person_id=trainee.person.pk, lesson_id=trainee.lesson.pk, token=prompt.token, answer=prompt.expected,
                now=at(20),
            ).outcome)
        finally:
            connection.close()

    def beat(sequence):
        barrier.wait()
        try:
            lesson_heartbeats_apply(
                person_id=trainee.person.pk, lesson_id=trainee.lesson.pk, heartbeats=[Heartbeat(sequence)], now=at(20),
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=answer) for _ in range(3)]
    threads += [threading.Thread(target=beat, args=(sequence,)) for sequence in (2, 3, 4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == [Answer.ANSWERED, Answer.NOT_OPEN, Answer.NOT_OPEN]
    assert AttentionPrompt.objects.filter(closed_at__isnull=False).count() == 1
    assert trainee.study == 10  # every heartbeat came either while the check was open or at the answer itself
