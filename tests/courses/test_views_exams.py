"""The exam pages as a trainee uses them: the exam page, starting, taking (no answers leaked), autosave,
submitting, the result, and who may see an attempt."""
import datetime
import json
import re
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from courses.models import ExamAttempt, ExamDrawRule, ExamPage, LessonProgress
from courses.years import training_year
from tests.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db


def start(client, exam) -> ExamAttempt:
    response = client.post(reverse("courses:exam_start", args=[exam.pk]))
    attempt = ExamAttempt.objects.latest("pk")
    assert response.status_code == 302 and response.url == reverse("courses:attempt_take", args=[attempt.pk])
    return attempt


def save(client, attempt, answers):
    return client.post(
        reverse("courses:attempt_save", args=[attempt.pk]), data=json.dumps({"answers": answers}),
        content_type="application/json",
    )


def exam_form(html: str) -> str:
    return html[html.index('<form id="exam-form"'):html.index("</form>", html.index('<form id="exam-form"'))]


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


# --- The exam page --------------------------------------------------------------------------------------


def test_the_exam_page_shows_the_rules_and_a_start_button(trainee, course):
    response = trainee.get(course.exam().url)
    html = response.content.decode()
    assert response.status_code == 200
    assert "private" in response["Cache-Control"]
    assert re.search(r"<dt>Questions</dt><dd>5</dd>", html)
    assert "20 minutes" in html and "60 out of 100" in html and "2 of 2 left this year" in html
    assert reverse("courses:exam_start", args=[course.exam().pk]) in html


def test_the_exam_page_offers_resume_and_lists_attempts(trainee, course):
    exam = course.exam()
    start(trainee, exam)
    html = trainee.get(exam.url).content.decode()
    assert "Resume the exam" in html and "1 of 2 left this year" in html and "In progress" in html


def test_an_anonymous_visitor_is_asked_to_sign_in(client, course):
    exam = course.exam()
    assert "Sign in to take this exam" in client.get(exam.url).content.decode()
    response = client.post(reverse("courses:exam_start", args=[exam.pk]))
    assert response.status_code == 302 and response.url.startswith(reverse("account_login"))
    assert not ExamAttempt.objects.exists()


def test_an_account_without_a_person_gets_a_message_not_an_attempt(client, course):
    client.force_login(UserFactory(person=None))
    exam = course.exam()
    response = client.post(reverse("courses:exam_start", args=[exam.pk]), follow=True)
    assert "not linked to a person on the roster" in response.content.decode()
    assert not ExamAttempt.objects.exists()


def test_a_bank_too_small_tells_the_editor_and_the_trainee_without_crashing(client, trainee, course, director):
    exam = course.exam()
    ExamDrawRule.objects.filter(exam=exam).update(count=9)

    html = trainee.get(exam.url).content.decode()
    assert "cannot be taken yet" in html and "has 6 questions" not in html

    response = trainee.post(reverse("courses:exam_start", args=[exam.pk]), follow=True)
    assert response.status_code == 200 and "cannot be taken yet" in response.content.decode()
    assert not ExamAttempt.objects.exists()

    client.force_login(UserFactory(is_superuser=True))
    assert "has 6 questions, but the exam draws 9 from it" in client.get(exam.url).content.decode()


# --- Taking ---------------------------------------------------------------------------------------------


def test_the_take_page_shows_questions_and_options_but_never_the_answers(trainee, mixed_exam):
    exam, questions = mixed_exam
    attempt = start(trainee, exam)
    html = exam_form(trainee.get(reverse("courses:attempt_take", args=[attempt.pk])).content.decode())

    for question in questions.values():
        assert question.text in html
        assert question.explanation not in html
        for option in question.options.all():
            assert option.text in html
    assert "correct" not in html.lower()
    # The right options are marked up exactly like the wrong ones.
    labels = re.findall(r'<label class="exam-option">.*?</label>', html, re.S)
    assert len(labels) == 9
    for question in questions.values():
        for option in question.options.all():
            labels = [label.replace(f'value="{option.pk}"', 'value="ID"').replace(option.text, "TEXT") for label in labels]
    assert len({re.sub(r'name="q\d+" ', "", re.sub(r'type="\w+" ', "", re.sub(r'"exam-letter">\w<', "", label))) for label in labels}) == 1


def test_single_and_true_false_are_radios_and_multiple_is_checkboxes(trainee, mixed_exam):
    exam, questions = mixed_exam
    attempt = start(trainee, exam)
    html = trainee.get(reverse("courses:attempt_take", args=[attempt.pk])).content.decode()
    for kind, input_type in [("single", "radio"), ("true_false", "radio"), ("multiple", "checkbox")]:
        types = set(re.findall(rf'type="(\w+)" name="q{questions[kind].pk}"', html))
        assert types == {input_type}
    assert 'data-seconds-left="1200"' in html or 'data-seconds-left="1199"' in html
    assert "js/exam.js" in html


def test_answers_saved_are_checked_again_when_resuming(trainee, mixed_exam):
    exam, questions = mixed_exam
    attempt = start(trainee, exam)
    chosen = questions["single"].options.filter(is_correct=False).first().pk
    response = save(trainee, attempt, {str(questions["single"].pk): [chosen]})
    assert response.status_code == 200 and response.json()["saved"] is True and response.json()["answered"] == 1

    assert start(trainee, exam).pk == attempt.pk
    html = trainee.get(reverse("courses:attempt_take", args=[attempt.pk])).content.decode()
    assert re.search(rf'value="{chosen}" checked', html)


def test_save_rejects_a_body_that_is_not_answers(trainee, mixed_exam):
    exam, _questions = mixed_exam
    attempt = start(trainee, exam)
    url = reverse("courses:attempt_save", args=[attempt.pk])
    assert trainee.post(url, data="nonsense", content_type="application/json").status_code == 400
    assert trainee.post(url, data=json.dumps({"answers": [1]}), content_type="application/json").status_code == 400


def test_saving_after_the_time_limit_is_refused_and_the_attempt_closed(trainee, mixed_exam):
    exam, questions = mixed_exam
    attempt = start(trainee, exam)
    save(trainee, attempt, {str(questions["single"].pk): sorted(questions["single"].correct_option_ids())})

    late = attempt.deadline_at + datetime.timedelta(seconds=31)
    with mock.patch("django.utils.timezone.now", return_value=late):
        response = save(trainee, attempt, {str(questions["multiple"].pk): sorted(questions["multiple"].correct_option_ids())})
    assert response.status_code == 409
    assert response.json()["result_url"] == reverse("courses:attempt_result", args=[attempt.pk])
    attempt.refresh_from_db()
    assert attempt.score == 33 and list(attempt.answers) == [str(questions["single"].pk)]


# --- Submitting and the result -------------------------------------------------------------------------


def form_answers(questions, *kinds):
    return {f"q{questions[kind].pk}": [str(pk) for pk in questions[kind].correct_option_ids()] for kind in kinds}


def test_submitting_shows_the_score_the_right_answers_and_the_explanations(trainee, mixed_exam):
    exam, questions = mixed_exam
    attempt = start(trainee, exam)
    response = trainee.post(
        reverse("courses:attempt_submit", args=[attempt.pk]), data=form_answers(questions, "single", "true_false"),
        follow=True,
    )
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("courses:attempt_result", args=[attempt.pk])
    assert "<strong>67</strong>" in html and "Passed" in html and "2 of 3 questions" in html
    for question in questions.values():
        assert question.explanation in html
    assert html.count("Correct answer") == 4  # one each for single and true/false, two for multiple
    assert "Not answered" in html
    assert "None needed: passed this year" in html


def test_a_failed_attempt_offers_another_try_while_attempts_are_left(trainee, mixed_exam):
    exam, questions = mixed_exam
    attempt = start(trainee, exam)
    html = trainee.post(reverse("courses:attempt_submit", args=[attempt.pk]), data={}, follow=True).content.decode()
    assert "Not passed" in html and "Try again" in html
    assert re.search(r"<dt>Attempts left</dt><dd>1</dd>", html)


def test_submitting_twice_keeps_the_first_result(trainee, mixed_exam):
    exam, questions = mixed_exam
    attempt = start(trainee, exam)
    url = reverse("courses:attempt_submit", args=[attempt.pk])
    trainee.post(url, data=form_answers(questions, "single"))
    trainee.post(url, data=form_answers(questions, "single", "multiple", "true_false"))
    attempt.refresh_from_db()
    assert attempt.score == 33
    # The take page of a submitted attempt leads to its result.
    response = trainee.get(reverse("courses:attempt_take", args=[attempt.pk]))
    assert response.url == reverse("courses:attempt_result", args=[attempt.pk])


def test_a_form_submitted_after_the_time_limit_is_ignored(trainee, mixed_exam):
    exam, questions = mixed_exam
    attempt = start(trainee, exam)
    save(trainee, attempt, {str(questions["single"].pk): sorted(questions["single"].correct_option_ids())})
    with mock.patch("django.utils.timezone.now", return_value=attempt.deadline_at + datetime.timedelta(minutes=2)):
        response = trainee.post(
            reverse("courses:attempt_submit", args=[attempt.pk]),
            data=form_answers(questions, "single", "multiple", "true_false"), follow=True,
        )
    assert "Time was up before your answers arrived" in response.content.decode()
    attempt.refresh_from_db()
    assert attempt.score == 33


def test_an_expired_attempt_opens_as_its_result(trainee, mixed_exam):
    exam, _questions = mixed_exam
    attempt = start(trainee, exam)
    with mock.patch("django.utils.timezone.now", return_value=attempt.deadline_at + datetime.timedelta(hours=2)):
        response = trainee.get(reverse("courses:attempt_take", args=[attempt.pk]))
    assert response.url == reverse("courses:attempt_result", args=[attempt.pk])
    attempt.refresh_from_db()
    assert attempt.submitted_at == attempt.deadline_at and attempt.score == 0


def test_someone_who_passed_is_shown_the_result_instead_of_a_new_attempt(trainee, mixed_exam):
    exam, questions = mixed_exam
    attempt = start(trainee, exam)
    trainee.post(reverse("courses:attempt_submit", args=[attempt.pk]), data=form_answers(questions, "single", "multiple"))

    response = trainee.post(reverse("courses:exam_start", args=[exam.pk]))
    assert response.url == reverse("courses:attempt_result", args=[attempt.pk])
    assert ExamAttempt.objects.count() == 1
    assert "You passed this exam this year with 67 points" in trainee.get(exam.url).content.decode()


def test_no_start_button_once_the_attempts_are_used(trainee, mixed_exam):
    exam, _questions = mixed_exam
    for _ in range(2):
        attempt = start(trainee, exam)
        trainee.post(reverse("courses:attempt_submit", args=[attempt.pk]), data={})
    html = trainee.get(exam.url).content.decode()
    assert "used all your attempts" in html and reverse("courses:exam_start", args=[exam.pk]) not in html
    response = trainee.post(reverse("courses:exam_start", args=[exam.pk]), follow=True)
    assert "used all your attempts" in response.content.decode()
    assert ExamAttempt.objects.count() == 2


# --- Only the owner ------------------------------------------------------------------------------------


def test_another_trainees_attempt_is_not_found(client, trainee, mixed_exam):
    exam, questions = mixed_exam
    attempt = start(trainee, exam)
    client.force_login(UserFactory(person=PersonFactory()))

    assert client.get(reverse("courses:attempt_take", args=[attempt.pk])).status_code == 404
    assert client.get(reverse("courses:attempt_result", args=[attempt.pk])).status_code == 404
    assert save(client, attempt, {str(questions["single"].pk): [1]}).status_code == 404
    assert client.post(reverse("courses:attempt_submit", args=[attempt.pk]), data={}).status_code == 404
    attempt.refresh_from_db()
    assert attempt.answers == {} and attempt.submitted_at is None


def test_an_account_without_a_person_finds_no_attempt(client, trainee, mixed_exam):
    exam, _questions = mixed_exam
    attempt = start(trainee, exam)
    client.force_login(UserFactory(person=None))
    assert client.get(reverse("courses:attempt_take", args=[attempt.pk])).status_code == 404


def test_saving_when_signed_out_answers_json(client, trainee, mixed_exam):
    exam, _questions = mixed_exam
    attempt = start(trainee, exam)
    client.logout()
    response = save(client, attempt, {})
    assert response.status_code == 403 and response.json()["error"] == "signed_out"


def test_an_editor_previewing_a_new_exam_sees_what_stops_the_draw(client, rf, course, question_bank):
    category, _questions = question_bank
    exam = ExamPage(title="新考试", slug="new-exam", time_limit_minutes=10)
    exam.draw_rules = [ExamDrawRule(category=category, count=9)]
    exam.depth, exam.path = course.depth + 1, course.get_last_child()._inc_path()  # as Wagtail's preview does
    client.force_login(UserFactory(is_superuser=True))
    # Wagtail's preview request carries the editor's cookies, hence the session.
    request = rf.get("/", HTTP_COOKIE=f"sessionid={client.cookies['sessionid'].value}")

    response = exam.make_preview_request(request)

    assert response.status_code == 200
    assert "has 6 questions, but the exam draws 9 from it" in response.content.decode()


def test_an_exam_after_the_lessons_stays_closed_until_they_are_done_and_says_why(trainee, course, director):
    """Issue 13: the exam could be started, spending an attempt, while the course said to take it after the lessons."""
    course.exam_after_lessons = True
    course.save()
    exam = course.exam()
    html = trainee.get(exam.url).content.decode()
    assert "Complete every lesson of the course before taking its exam: 0 of 2 done." in html
    assert reverse("courses:exam_start", args=[exam.pk]) not in html

    response = trainee.post(reverse("courses:exam_start", args=[exam.pk]))
    assert response.status_code == 302 and response.url == exam.url
    assert not ExamAttempt.objects.exists()

    for lesson in course.lessons():
        LessonProgress.objects.create(
            person=director.person, lesson=lesson, year=training_year(), completed_at=timezone.now()
        )
    assert reverse("courses:exam_start", args=[exam.pk]) in trainee.get(exam.url).content.decode()
    start(trainee, exam)
