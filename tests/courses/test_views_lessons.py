"""The endpoints a lesson page talks to: heartbeats, attention checks and knowledge checks."""
import datetime
import json
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from courses.models import AttentionPrompt, CoursePage, LessonProgress
from tests.factories import PersonFactory, UserFactory

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
    assert data["study_seconds_left"] == 10  # the page reports at that moment, not an interval later
    assert data["status"]

    clock.advance(10)
    data = heartbeat(trainee, text_lesson, sequence=6).json()
    assert data["complete"] and data["percent"] == 100
    assert data["study_seconds_left"] is None


def test_heartbeats_for_a_video_report_the_share_watched(trainee, video_lesson, clock):
    trainee.get(video_lesson.url)
    block_id = video_lesson.body[0].id
    clock.advance(10)
    data = heartbeat(trainee, video_lesson, sequence=1, video=block_id, position=10).json()
    assert data["videos"] == {block_id: 16}
    assert not data["complete"]
    assert data["study_seconds_left"] is None  # it completes by its video, whose pause or end reports at once


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


# --- Heartbeats in one statement: the page sends back the state it was given ----------------------------


def opened_state(client, lesson) -> str:
    """Open the lesson page as a trainee does; the state its heartbeats send back first."""
    return client.get(lesson.url).context["lesson_config"]["state"]


def beat(client, lesson, state, **heartbeat_data):
    """One heartbeat with the state; the answer and the state to send next."""
    response = heartbeat(client, lesson, heartbeats=[heartbeat_data], state=state)
    data = response.json() if response["Content-Type"] == "application/json" else {}
    return response, data.get("state", state)


def row(lesson, person):
    return LessonProgress.objects.filter(lesson=lesson, person=person).values(
        "last_sequence", "last_heartbeat_at", "study_seconds", "videos", "completed_at",
    ).get()


def test_an_accepted_heartbeat_with_its_state_takes_one_statement(
    trainee, director, text_lesson, clock, django_assert_max_num_queries
):
    state = opened_state(trainee, text_lesson)
    for sequence in range(1, 6):
        clock.advance(10)
        with django_assert_max_num_queries(1):
            response, state = beat(trainee, text_lesson, state, sequence=sequence)
        assert response.json()["accepted"]
    clock.advance(10)
    response, state = beat(trainee, text_lesson, state, sequence=6)  # completes: the course is checked too
    assert response.json()["complete"] and row(text_lesson, director.person)["study_seconds"] == 60


def test_the_lean_path_skips_the_middleware_a_heartbeat_does_not_need(trainee, text_lesson, clock):
    state = opened_state(trainee, text_lesson)
    clock.advance(10)
    response, _state = beat(trainee, text_lesson, state, sequence=1)
    assert not hasattr(response.wsgi_request, "_messages")  # MessageMiddleware did not run
    assert hasattr(trainee.get(text_lesson.url).wsgi_request, "_messages")
    # The security headers stay.
    assert response["X-Frame-Options"] == "DENY" and response["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response["Content-Security-Policy"]


def test_an_accepted_heartbeat_with_its_state_does_not_read_the_session(trainee, director, text_lesson, clock):
    """The session is read from the cache on every other request: one more round trip, and its decoding, on the
    platform's hottest path. The state names the user, bound to the session and the password by a keyed
    digest that the one statement checks against the session's row and the user's."""
    state = opened_state(trainee, text_lesson)
    clock.advance(10)
    response, state = beat(trainee, text_lesson, state, sequence=1)
    assert response.json()["accepted"] and not response.wsgi_request.session.accessed
    clock.advance(10)
    response, _state = beat(trainee, text_lesson, state, sequence=1)  # a copy, refused from the row
    assert not response.json()["accepted"] and not response.wsgi_request.session.accessed


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_the_one_statement_is_prepared_once_per_connection(trainee, director, text_lesson, clock):
    """PostgreSQL then no longer parses and plans it for every heartbeat. (Prepared once for each kind of value
    it is given: the first heartbeat's guard has no time yet.)"""

    def prepared_updates():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE 'UPDATE%%'")
            return cursor.fetchone()[0]

    state = opened_state(trainee, text_lesson)
    counts = []
    for sequence in range(1, 6):
        clock.advance(10)
        response, state = beat(trainee, text_lesson, state, sequence=sequence)
        assert response.json()["accepted"]
        counts.append(prepared_updates())
    assert 1 <= counts[1] == counts[-1] <= 2, counts
    assert row(text_lesson, director.person)["study_seconds"] == 50


@pytest.mark.parametrize("end", ["signed out", "expired"])
def test_a_session_that_ended_since_the_opening_counts_nothing(trainee, director, text_lesson, clock, end):
    state = opened_state(trainee, text_lesson)
    session_key = trainee.session.session_key
    if end == "signed out":
        trainee.session.delete()  # what signing out on another tab does: the cookie is still sent
    else:
        Session.objects.filter(session_key=session_key).update(expire_date=timezone.now() - datetime.timedelta(1))
        cache.clear()  # an expired session is gone from the cache too
    trainee.cookies[settings.SESSION_COOKIE_NAME] = session_key
    clock.advance(10)
    response, _state = beat(trainee, text_lesson, state, sequence=1)
    assert response.status_code == 401
    assert LessonProgress.objects.get(lesson=text_lesson).last_sequence == 0


def test_a_state_from_another_session_takes_the_full_check(trainee, director, text_lesson, clock):
    """The same trainee signed in on a second phone, with the first phone's state: counted, but only after the
    full check of the second session (the state is bound to the session it was given in)."""
    state = opened_state(trainee, text_lesson)
    second_phone = Client()
    second_phone.force_login(director)
    clock.advance(10)
    response, _state = beat(second_phone, text_lesson, state, sequence=1)
    assert response.json()["accepted"] and response.wsgi_request.session.accessed


@pytest.fixture
def second_director(db):
    return UserFactory(person=PersonFactory(name="王秀英"))


def test_heartbeats_with_their_state_count_exactly_as_without(
    trainee, director, second_director, video_lesson, clock
):
    """The same heartbeats, one trainee sending the state back and one not: the same rows. Delays, a pause,
    a seek, a repeat and heartbeats kept offline included."""
    other = Client()
    other.force_login(second_director)
    state = opened_state(trainee, video_lesson)
    other.get(video_lesson.url)
    block_id = video_lesson.body[0].id
    plan = [
        (10, {"sequence": 1}), (10, {"sequence": 2, "video": block_id, "position": 3}),
        (12, {"sequence": 3, "video": block_id, "position": 15}), (0, {"sequence": 3}),
        (40, {"sequence": 4, "video": block_id, "position": 50}), (9, {"sequence": 6, "video": block_id, "position": 20}),
        (10, {"sequence": 7, "video": block_id, "position": 5, "age": 4}),
    ]
    for seconds, data in plan:
        clock.advance(seconds)
        lean, state = beat(trainee, video_lesson, state, **data)
        locked = heartbeat(other, video_lesson, heartbeats=[data])
        assert lean.json() | {"state": None} == locked.json() | {"state": None}
    assert row(video_lesson, director.person) == row(video_lesson, second_director.person)


def test_a_duplicate_or_a_stale_state_counts_nothing_twice(trainee, director, text_lesson, clock):
    first = opened_state(trainee, text_lesson)
    clock.advance(10)
    _response, second = beat(trainee, text_lesson, first, sequence=1)
    again, _state = beat(trainee, text_lesson, first, sequence=1)  # a retry with the state it was sent with
    assert not again.json()["accepted"]
    clock.advance(10)
    stale, _state = beat(trainee, text_lesson, first, sequence=2)  # another tab's older state: the locked path
    assert stale.json()["accepted"] and stale.json()["study_seconds"] == 20
    replayed, _state = beat(trainee, text_lesson, second, sequence=2)
    assert not replayed.json()["accepted"]
    assert row(text_lesson, director.person)["study_seconds"] == 20


def test_a_heartbeat_sent_twice_is_refused_in_two_statements_with_the_locked_paths_answer(
    trainee, text_lesson, clock, django_assert_max_num_queries
):
    """A page that sends a heartbeat twice (a double tap, a retry after a lost answer): the copy is refused
    from the row as it is, without the locked path's sign-in check and queries, and answers what that path
    would, with a state the next heartbeat can use in one statement."""
    state = opened_state(trainee, text_lesson)
    clock.advance(10)
    beat(trainee, text_lesson, state, sequence=1)
    with django_assert_max_num_queries(2):
        again, again_state = beat(trainee, text_lesson, state, sequence=1)
    assert not again.json()["accepted"]
    locked = heartbeat(trainee, text_lesson, heartbeats=[{"sequence": 1}])
    assert again.json() | {"state": None} == locked.json() | {"state": None}
    clock.advance(10)
    with django_assert_max_num_queries(1):
        response, _state = beat(trainee, text_lesson, again_state, sequence=2)
    assert response.json()["accepted"] and response.json()["study_seconds"] == 20


def test_the_lean_path_needs_a_signed_in_user(trainee, text_lesson, clock):
    state = opened_state(trainee, text_lesson)
    clock.advance(10)
    response, _state = beat(Client(), text_lesson, state, sequence=1)
    assert response.status_code == 401
    assert LessonProgress.objects.get(lesson=text_lesson).last_sequence == 0


def test_the_lean_path_needs_the_csrf_token(director, text_lesson, clock):
    client = Client(enforce_csrf_checks=True)
    client.force_login(director)
    state = opened_state(client, text_lesson)
    clock.advance(10)
    response, _state = beat(client, text_lesson, state, sequence=1)
    assert response.status_code == 403
    assert LessonProgress.objects.get(lesson=text_lesson).last_sequence == 0


def test_another_persons_state_moves_nothing_of_theirs(trainee, second_director, text_lesson, clock):
    state = opened_state(trainee, text_lesson)
    other = Client()
    other.force_login(second_director)
    clock.advance(10)
    response, _state = beat(other, text_lesson, state, sequence=1)
    assert response.status_code == 409  # the other has not opened the lesson
    assert LessonProgress.objects.get(lesson=text_lesson).last_sequence == 0


def test_a_state_not_signed_by_the_server_is_not_believed(trainee, director, text_lesson, clock):
    state = opened_state(trainee, text_lesson)
    payload, signature = state.rsplit(":", 1)
    clock.advance(10)
    response, _state = beat(trainee, text_lesson, f"{payload}:{'A' * len(signature)}", sequence=1)
    assert response.json()["study_seconds"] == 10  # the locked path, from the row


@pytest.mark.parametrize("change", ["password", "deactivate"])
def test_a_password_changed_or_an_account_closed_since_the_opening_signs_the_session_out(
    trainee, director, text_lesson, clock, change
):
    state = opened_state(trainee, text_lesson)
    if change == "password":
        director.set_password("a new password 2026")
    else:
        director.is_active = False
    director.save()
    clock.advance(10)
    response, _state = beat(trainee, text_lesson, state, sequence=1)
    assert response.status_code == 401
    assert LessonProgress.objects.get(lesson=text_lesson).last_sequence == 0


# --- Attention checks -----------------------------------------------------------------------------------


def answer(client, lesson, **data):
    return client.post(reverse("courses:lesson_attention", args=[lesson.pk]), data)


@pytest.fixture
def checks(course):
    """Checks every minute of study on average, 60 s to answer."""
    CoursePage.objects.filter(pk=course.pk).update(attention_checks=True, attention_interval_minutes=1)
    return course


def check_due(lesson, clock, client, study_seconds=10):
    """Open the lesson, make the next check due at ``study_seconds`` (the server draws it at random) and send
    heartbeats until it comes; the last answer."""
    client.get(lesson.url)
    LessonProgress.objects.filter(lesson=lesson).update(attention_due_seconds=study_seconds)
    for sequence in range(1, study_seconds // 10 + 1):
        clock.advance(10)
        data = heartbeat(client, lesson, sequence=sequence).json()
    return data


def face_check(request, *, person, lesson):
    """A deployment's identity check, as COURSES_IDENTITY_CHECK names it: here, a field its form part adds."""
    return request.POST.get("face") == f"ok-{person.pk}-{lesson.pk}"


def test_a_heartbeat_answer_carries_the_check_once_it_is_due(trainee, checks, text_lesson, clock):
    trainee.get(text_lesson.url)
    LessonProgress.objects.filter(lesson=text_lesson).update(attention_due_seconds=20)
    clock.advance(10)
    assert heartbeat(trainee, text_lesson, sequence=1).json()["attention"] is None
    clock.advance(10)
    data = heartbeat(trainee, text_lesson, sequence=2).json()
    prompt = AttentionPrompt.objects.get()
    assert data["attention"] == {
        "token": prompt.token, "question": f"请点击数字 {prompt.expected}。", "choices": prompt.choices,
        "seconds_left": 60, "overdue": False,
    }
    clock.advance(10)
    data = heartbeat(trainee, text_lesson, sequence=3).json()
    assert data["attention"]["token"] == prompt.token and data["attention"]["seconds_left"] == 50
    assert data["study_seconds"] == 20  # nothing counted while it is open


def test_a_course_without_checks_says_nothing_of_them(trainee, text_lesson, clock):
    trainee.get(text_lesson.url)
    clock.advance(10)
    assert "attention" not in heartbeat(trainee, text_lesson, sequence=1).json()


def test_the_right_number_closes_the_check_and_study_counts_again(trainee, checks, text_lesson, clock):
    data = check_due(text_lesson, clock, trainee)
    clock.advance(5)
    response = answer(trainee, text_lesson, prompt=data["attention"]["token"], answer=AttentionPrompt.objects.get().expected)
    assert response.status_code == 200
    assert response.json() == {
        "closed": True, "outcome": "answered", "message": "已确认，学习时间继续计入。", "attention": None, "missed": "",
    }
    clock.advance(10)
    data = heartbeat(trainee, text_lesson, sequence=2).json()
    assert data["attention"] is None and data["study_seconds"] == 20


def test_a_wrong_number_is_told_and_new_numbers_are_shown(trainee, checks, text_lesson, clock):
    data = check_due(text_lesson, clock, trainee)
    prompt = AttentionPrompt.objects.get()
    wrong = next(number for number in range(1, 10) if number != prompt.expected)
    reply = answer(trainee, text_lesson, prompt=prompt.token, answer=wrong).json()
    prompt.refresh_from_db()
    assert not reply["closed"] and reply["outcome"] == "wrong"
    assert reply["message"] == "点的不是要求的数字。请再看一遍：数字已经换过了。"
    assert reply["attention"]["token"] == data["attention"]["token"]
    assert reply["attention"]["question"] == f"请点击数字 {prompt.expected}。"
    assert prompt.closed_at is None and prompt.wrong_answers == 1


def test_an_answer_after_the_time_says_what_the_missed_check_cost(trainee, checks, text_lesson, clock):
    data = check_due(text_lesson, clock, trainee)
    for sequence in range(2, 20):  # three minutes on, the phone left on a lesson
        clock.advance(10)
        late = heartbeat(trainee, text_lesson, sequence=sequence).json()
    assert late["attention"]["overdue"] and late["attention"]["seconds_left"] == 0
    assert late["study_seconds"] == 10
    reply = answer(
        trainee, text_lesson, prompt=data["attention"]["token"], answer=AttentionPrompt.objects.get().expected
    ).json()
    assert reply["closed"] and reply["outcome"] == "answered_late"
    assert reply["message"] == (
        "已超过作答时限：这次确认记为错过，确认出现后 3:00 的学习时间未计入。现在学习时间继续计入。"
    )
    assert reply["missed"] == "错过 1 次学习确认，3:00 的学习时间未计入。"


def test_an_answer_to_a_check_no_longer_open_is_refused(trainee, checks, text_lesson, clock):
    data = check_due(text_lesson, clock, trainee)
    expected = AttentionPrompt.objects.get().expected
    assert answer(trainee, text_lesson, prompt=data["attention"]["token"], answer=expected).status_code == 200
    response = answer(trainee, text_lesson, prompt=data["attention"]["token"], answer=expected)
    assert response.status_code == 409 and response.json()["error"] == "这次确认已经结束，请继续学习。"
    assert answer(trainee, text_lesson, prompt="made-up", answer=expected).status_code == 409


@pytest.mark.parametrize("data", [{}, {"prompt": "x"}, {"answer": "7"}, {"prompt": "x", "answer": "seven"}])
def test_malformed_answers_are_refused(trainee, checks, text_lesson, data):
    assert answer(trainee, text_lesson, **data).status_code == 400


def test_answers_need_a_signed_in_trainee_and_a_post(client, checks, text_lesson):
    assert answer(client, text_lesson, prompt="x", answer="1").status_code == 401
    client.force_login(UserFactory())
    assert answer(client, text_lesson, prompt="x", answer="1").status_code == 403
    assert client.get(reverse("courses:lesson_attention", args=[text_lesson.pk])).status_code == 405


def test_the_deployments_identity_check_must_confirm_a_right_answer(
    trainee, director, checks, text_lesson, clock, settings
):
    settings.COURSES_IDENTITY_CHECK = "tests.courses.test_views_lessons.face_check"
    data = check_due(text_lesson, clock, trainee)
    prompt = AttentionPrompt.objects.get()
    reply = answer(trainee, text_lesson, prompt=prompt.token, answer=prompt.expected, face="someone-else").json()
    assert not reply["closed"] and reply["outcome"] == "identity_refused"
    assert reply["message"] == "未能确认您的身份，请再试一次。"
    assert reply["attention"]["token"] == data["attention"]["token"]
    face = f"ok-{director.person_id}-{text_lesson.pk}"
    reply = answer(trainee, text_lesson, prompt=prompt.token, answer=prompt.expected, face=face).json()
    assert reply["closed"]
    prompt.refresh_from_db()
    assert prompt.identity_refusals == 1 and prompt.closed_at is not None


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


def test_with_the_state_sent_back_a_check_is_issued_and_counts_as_without(trainee, checks, text_lesson, clock):
    state = opened_state(trainee, text_lesson)
    LessonProgress.objects.filter(lesson=text_lesson).update(attention_due_seconds=20)
    clock.advance(10)
    _response, state = beat(trainee, text_lesson, state, sequence=1)  # the row changed since: the locked path
    clock.advance(10)
    response, state = beat(trainee, text_lesson, state, sequence=2)
    assert response.json()["attention"]["token"] == AttentionPrompt.objects.get().token
    clock.advance(10)
    response, state = beat(trainee, text_lesson, state, sequence=3)  # the check open: nothing counts
    assert response.json()["study_seconds"] == 20 and AttentionPrompt.objects.get().uncounted_seconds == 10
