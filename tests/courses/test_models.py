import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from courses.completion import course_completion_check, course_status
from courses.models import LessonProgress, TrainingRecord
from courses.years import training_year
from tests.factories import user_with_role
from tests.races import race

pytestmark = pytest.mark.django_db


def test_course_fixture_has_lessons_and_exam(course):
    assert [lesson.title for lesson in course.lessons()] == ["第一课 职责", "第二课 家访"]
    assert course.exam().effective_pass_mark() == 60
    assert course.exam().question_count() == 5


def test_course_completes_only_with_every_lesson_and_a_passed_exam(course, director):
    person, year = director.person, training_year()
    for lesson in course.lessons():
        LessonProgress.objects.create(person=person, lesson=lesson, year=year, completed_at=timezone.now())
    assert course_completion_check(person=person, course=course, year=year) is None
    assert course_status(person=person, course=course, year=year).percent == 67
    exam = course.exam()
    exam.attempts.create(
        person=person, year=year, number=1, started_at=timezone.now(), deadline_at=timezone.now(),
        submitted_at=timezone.now(), score=80, passed=True,
    )
    record = course_completion_check(person=person, course=course, year=year)
    assert record.credit_hours == 4 and record.score == 80
    assert course_completion_check(person=person, course=course, year=year) == record
    assert TrainingRecord.objects.filter(person=person).count() == 1


def test_attending_a_session_for_the_course_completes_it(course, director):
    import datetime

    from courses.models import TrainingSource

    person, year = director.person, training_year()
    attended = TrainingRecord.objects.create(
        person=person, year=year, source=TrainingSource.FACE_TO_FACE, course=course, title="培训班",
        completed_on=datetime.date(year, 3, 1), credit_hours=6, counts_as_completion=True,
    )
    status = course_status(person=person, course=course, year=year)
    assert status.is_complete and status.percent == 100
    assert course_completion_check(person=person, course=course, year=year) == attended


def test_partial_attendance_credits_hours_but_does_not_complete(course, director):
    import datetime

    from courses.models import TrainingSource

    person, year = director.person, training_year()
    TrainingRecord.objects.create(
        person=person, year=year, source=TrainingSource.FACE_TO_FACE, course=course, title="培训班",
        completed_on=datetime.date(year, 3, 1), credit_hours=2, counts_as_completion=False,
    )
    assert not course_status(person=person, course=course, year=year).is_complete


def test_a_courses_attention_checks_are_set_in_its_cms_form(client, course):
    client.force_login(user_with_role("system_admin"))  # editors hold page permissions through their group
    response = client.get(reverse("wagtailadmin_pages:edit", args=[course.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "学习确认（防挂机）" in html
    assert 'name="attention_checks"' in html
    assert 'name="attention_interval_minutes"' in html and 'value="10.0"' in html
    assert 'name="attention_answer_seconds"' in html and 'value="60"' in html


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="two connections at once need PostgreSQL")
def test_a_course_completed_by_two_requests_at_once_has_one_record(zhejiang_regions, course, director):
    # The last lesson's heartbeat and the exam's submission complete the course at the same moment: one
    # completion a course a year (online_record_once_a_year), and both requests see that one.
    person, year = director.person, training_year()
    for lesson in course.lessons():
        LessonProgress.objects.create(person=person, lesson=lesson, year=year, completed_at=timezone.now())
    course.exam().attempts.create(
        person=person, year=year, number=1, started_at=timezone.now(), deadline_at=timezone.now(),
        submitted_at=timezone.now(), score=80, passed=True,
    )
    first, second = race(
        lambda: course_completion_check(person=person, course=course, year=year),
        lambda: course_completion_check(person=person, course=course, year=year),
    )
    assert isinstance(first, TrainingRecord) and first == second
    assert TrainingRecord.objects.filter(person=person).count() == 1
