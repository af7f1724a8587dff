"""The endpoints a lesson page talks to: heartbeats and knowledge checks."""
import datetime
import json
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from courses.models import LessonProgress
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def heartbeat(client, lesson, **data):
    return client.post(
        reverse("courses:lesson_heartbeat", args=[lesson.pk]), json.dumps(data), content_type="application/json"
    )


def check(client, lesson, block_index, *options):
    block_id = lesson.body[block_index].id
    return client.post(reverse("courses:knowledge_check", args=[lesson.pk, block_id]), {"option": list(options)})


class Clock:
    """timezone.now, moved by hand."""

    def __init__(self):
        self.now = timezone.now()

    def advance(self, seconds):
        self.now += datetime.timedelta(seconds=seconds)

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    clock = Clock()
    with mock.patch("django.utils.timezone.now", clock):
        yield clock


# --- Heartbeats -----------------------------------------------------------------------------------------


def test_a_text_lesson_completes_through_heartbeats_after_the_study_time(trainee, text_lesson, clock):
    trainee.get(text_lesson.url)
    for sequence in range(1, 6):
        clock.advance(10)
        data = heartbeat(trainee, text_lesson, sequence=sequence).json()
    assert data["accepted"] and not data["complete"]
    assert (data["study_seconds"], data["required_seconds"]) == (50, 60)
    assert data["status"]

    clock.advance(10)
    data = heartbeat(trainee, text_lesson, sequence=6).json()
    assert data["complete"] and data["percent"] == 100


def test_heartbeats_for_a_video_report_the_share_watched(trainee, video_lesson, clock):
    trainee.get(video_lesson.url)
    block_id = video_lesson.body[0].id
    clock.advance(10)
    data = heartbeat(trainee, video_lesson, sequence=1, video=block_id, position=10).json()
    assert data["videos"] == {block_id: 16}
    assert not data["complete"]


def test_a_forged_end_of_video_heartbeat_does_not_complete(trainee, video_lesson, clock):
    trainee.get(video_lesson.url)
    clock.advance(10)
    data = heartbeat(trainee, video_lesson, sequence=1, video=video_lesson.body[0].id, position=60).json()
    assert not data["complete"]
    assert LessonProgress.objects.get(lesson=video_lesson).completed_at is None


def test_a_repeated_heartbeat_is_refused(trainee, text_lesson, clock):
    trainee.get(text_lesson.url)
    clock.advance(10)
    heartbeat(trainee, text_lesson, sequence=1)
    clock.advance(10)
    data = heartbeat(trainee, text_lesson, sequence=1).json()
    assert not data["accepted"] and data["sequence"] == 1 and data["study_seconds"] == 10


def test_a_heartbeat_for_a_lesson_not_opened_is_refused(trainee, text_lesson):
    response = heartbeat(trainee, text_lesson, sequence=1)
    assert response.status_code == 409
    assert "error" in response.json()


def test_a_locked_lesson_cannot_be_studied_by_heartbeats(trainee, course, video_lesson):
    course.lessons_in_order = True
    course.save()
    assert trainee.get(video_lesson.url).status_code == 302  # locked: no progress row is made
    assert heartbeat(trainee, video_lesson, sequence=1).status_code == 409


@pytest.mark.parametrize("body", [
    {}, {"sequence": "x"}, {"sequence": 0}, {"sequence": 1, "video": "abc"}, {"sequence": 1, "video": "a", "position": "NaN"},
    {"sequence": 10**12},
])
def test_malformed_heartbeats_are_refused(trainee, text_lesson, body):
    trainee.get(text_lesson.url)
    assert heartbeat(trainee, text_lesson, **body).status_code == 400


def test_heartbeats_kept_offline_are_sent_together_with_their_ages(trainee, video_lesson, clock):
    trainee.get(video_lesson.url)
    block_id = video_lesson.body[0].id
    clock.advance(10)
    heartbeat(trainee, video_lesson, sequence=1, video=block_id, position=10)
    clock.advance(35)  # 30 s without signal, then the page sends what it kept
    kept = [{"sequence": number, "video": block_id, "position": 10 * number, "age": 45 - 10 * number}
            for number in (2, 3, 4)]
    data = heartbeat(trainee, video_lesson, heartbeats=kept).json()
    assert data["accepted"] and data["sequence"] == 4
    assert data["study_seconds"] == 40 and data["videos"] == {block_id: 66}

    again = heartbeat(trainee, video_lesson, heartbeats=kept).json()  # the answer was lost: sent again
    assert not again["accepted"] and again["study_seconds"] == 40


@pytest.mark.parametrize("body", [
    {"heartbeats": []}, {"heartbeats": "x"}, {"heartbeats": [{"sequence": 1}] * 101}, {"heartbeats": [1]},
    {"sequence": 1, "age": -1}, {"sequence": 1, "age": "NaN"}, {"heartbeats": [{"sequence": 1}, {"sequence": "x"}]},
])
def test_malformed_kept_heartbeats_are_refused_and_change_nothing(trainee, text_lesson, body):
    trainee.get(text_lesson.url)
    assert heartbeat(trainee, text_lesson, **body).status_code == 400
    assert LessonProgress.objects.get(lesson=text_lesson).last_sequence == 0


def test_heartbeats_need_a_signed_in_trainee(client, text_lesson):
    assert heartbeat(client, text_lesson, sequence=1).status_code == 401
    client.force_login(UserFactory())
    assert heartbeat(client, text_lesson, sequence=1).status_code == 403


def test_heartbeats_need_the_csrf_token(director, text_lesson):
    client = Client(enforce_csrf_checks=True)
    client.force_login(director)
    client.get(text_lesson.url)
    assert heartbeat(client, text_lesson, sequence=1).status_code == 403
    token = client.cookies["csrftoken"].value
    response = client.post(
        reverse("courses:lesson_heartbeat", args=[text_lesson.pk]), json.dumps({"sequence": 1}),
        content_type="application/json", headers={"X-CSRFToken": token},
    )
    assert response.status_code == 200


def test_heartbeats_are_posts_only(trainee, text_lesson):
    assert trainee.get(reverse("courses:lesson_heartbeat", args=[text_lesson.pk])).status_code == 405


# --- Knowledge checks -----------------------------------------------------------------------------------


def test_a_knowledge_check_says_right_and_explains(trainee, quiz_lesson):
    data = check(trainee, quiz_lesson, 1, 1).json()
    assert data["correct"] is True
    assert data["explanation"] == "《未成年人保护法》第十一条：应当立即报告。"


def test_a_wrong_answer_is_told_wrong(trainee, quiz_lesson):
    data = check(trainee, quiz_lesson, 1, 0).json()
    assert data["correct"] is False and data["verdict"]


def test_a_question_with_two_right_answers_needs_both(trainee, quiz_lesson):
    assert check(trainee, quiz_lesson, 2, 0).json()["correct"] is False
    assert check(trainee, quiz_lesson, 2, 0, 1, 2).json()["correct"] is False
    assert check(trainee, quiz_lesson, 2, 1, 0).json()["correct"] is True


def test_a_knowledge_check_needs_an_answer_and_a_real_question(trainee, quiz_lesson):
    assert check(trainee, quiz_lesson, 1).status_code == 400
    assert check(trainee, quiz_lesson, 1, "x").status_code == 400
    url = reverse("courses:knowledge_check", args=[quiz_lesson.pk, "no-such-block"])
    assert trainee.post(url, {"option": ["1"]}).status_code == 404
    # A block that is not a knowledge check is no question either.
    assert check(trainee, quiz_lesson, 0, 0).status_code == 404


def test_a_knowledge_check_needs_a_signed_in_user(client, quiz_lesson):
    assert check(client, quiz_lesson, 1, 1).status_code == 401
