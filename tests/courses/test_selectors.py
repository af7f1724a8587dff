import datetime

import pytest
from django.utils import timezone

from academy.organisation.models import PostKind
from courses.completion import course_status
from courses.models import (
    CoursePage, Enrolment, ExamDrawRule, ExamPage, LessonPage, LessonProgress, TrainingRecord, TrainingSource,
)
from courses.selectors import course_statuses, my_learning, transcript
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2025, 6, 10)
YEAR = 2025


def add_course(catalogue, title, audience, *, lessons=2, category=None, live=True):
    course = catalogue.add_child(
        instance=CoursePage(title=title, summary=title, audience=audience, credit_hours=2, live=live)
    )
    for number in range(lessons):
        course.add_child(
            instance=LessonPage(title=f"{title} 第{number + 1}课", body=[("paragraph", "<p>课文</p>")])
        )
    if category is not None:
        exam = ExamPage(title=f"{title} 考试")
        exam.draw_rules = [ExamDrawRule(category=category, count=1)]
        course.add_child(instance=exam)
    return course


def complete_lesson(person, lesson, year=YEAR):
    LessonProgress.objects.create(person=person, lesson=lesson, year=year, completed_at=timezone.now())


def pass_exam(person, exam, score, year=YEAR, passed=True):
    number = exam.attempts.filter(person=person, year=year).count() + 1
    exam.attempts.create(
        person=person, year=year, number=number, started_at=timezone.now(), deadline_at=timezone.now(),
        submitted_at=timezone.now(), score=score, passed=passed,
    )


def titles(cards):
    return [card.course.title for card in cards]


@pytest.fixture
def supervisor_course(catalogue):
    return add_course(catalogue, "督导员工作规范", [PostKind.CHILD_SUPERVISOR])


def test_courses_for_a_current_post_are_available(course, supervisor_course, director):
    learning = my_learning(person=director.person, today=TODAY, year=YEAR)
    assert titles(learning.available) == ["儿童主任履职基础"]
    assert learning.assigned == []


def test_an_ended_post_makes_no_course_available(course, director):
    director.person.posts.update(end_date=datetime.date(2024, 12, 31))
    assert my_learning(person=director.person, today=TODAY, year=YEAR).available == []


def test_an_unpublished_course_is_not_offered(catalogue, director):
    add_course(catalogue, "尚未发布的课程", [PostKind.CHILD_DIRECTOR], live=False)
    assert my_learning(person=director.person, today=TODAY, year=YEAR).available == []


def test_an_assigned_course_shows_under_assigned_only_with_its_deadline(course, supervisor_course, director):
    Enrolment.objects.create(person=director.person, course=supervisor_course, due_date=datetime.date(2025, 6, 30))
    Enrolment.objects.create(person=director.person, course=course, due_date=datetime.date(2025, 6, 1))
    learning = my_learning(person=director.person, today=TODAY, year=YEAR)
    # Earliest deadline first; an assigned course is not offered a second time.
    assert titles(learning.assigned) == ["儿童主任履职基础", "督导员工作规范"]
    assert learning.available == []
    overdue, due_later = learning.assigned
    assert overdue.due_date == datetime.date(2025, 6, 1) and overdue.is_overdue and not overdue.is_due_soon
    assert due_later.days_left == 20 and not due_later.is_overdue and not due_later.is_due_soon
    assert learning.overdue_count == 1


def test_a_deadline_within_two_weeks_is_due_soon(supervisor_course, director):
    Enrolment.objects.create(person=director.person, course=supervisor_course, due_date=datetime.date(2025, 6, 15))
    (card,) = my_learning(person=director.person, today=TODAY, year=YEAR).assigned
    assert card.days_left == 5 and card.is_due_soon


def test_last_years_assignments_leave_my_learning(supervisor_course, director):
    Enrolment.objects.create(person=director.person, course=supervisor_course, due_date=datetime.date(2024, 12, 31))
    assert my_learning(person=director.person, today=TODAY, year=YEAR).assigned == []


def test_progress_counts_lessons_and_the_exam(course, director):
    person = director.person
    first, second = course.lessons()
    card = my_learning(person=person, today=TODAY, year=YEAR).available[0]
    assert card.status.percent == 0 and not card.progress.started and card.progress.next_page.pk == first.pk

    complete_lesson(person, first)
    card = my_learning(person=person, today=TODAY, year=YEAR).available[0]
    assert (card.status.lessons_completed, card.status.lessons_total, card.status.percent) == (1, 2, 33)
    assert card.progress.started and card.progress.next_page.pk == second.pk

    complete_lesson(person, second)
    pass_exam(person, course.exam(), 40, passed=False)
    card = my_learning(person=person, today=TODAY, year=YEAR).available[0]
    assert card.status.percent == 67 and not card.status.exam_passed
    assert card.progress.next_page.pk == course.exam().pk


def test_progress_of_another_year_does_not_count(course, director):
    complete_lesson(director.person, course.lessons().first(), year=YEAR - 1)
    card = my_learning(person=director.person, today=TODAY, year=YEAR).available[0]
    assert card.status.lessons_completed == 0


def test_a_completed_course_moves_to_completed_this_year(course, director):
    person = director.person
    Enrolment.objects.create(person=person, course=course, due_date=datetime.date(2025, 12, 31))
    TrainingRecord.objects.create(
        person=person, year=YEAR, source=TrainingSource.ONLINE, course=course, title=course.title,
        completed_on=TODAY, credit_hours=4, score=90,
    )
    TrainingRecord.objects.create(
        person=person, year=YEAR, source=TrainingSource.FACE_TO_FACE, title="强制报告培训班",
        completed_on=TODAY, credit_hours=3, counts_as_completion=False,
    )
    learning = my_learning(person=person, today=TODAY, year=YEAR)
    assert learning.assigned == [] and learning.available == []
    assert {record.title for record in learning.completed} == {"儿童主任履职基础", "强制报告培训班"}
    assert learning.credit_hours == 7 and learning.completions == 1


def test_batched_statuses_match_course_status(catalogue, question_bank, director):
    category, _questions = question_bank
    person = director.person
    untouched = add_course(catalogue, "甲", [PostKind.CHILD_DIRECTOR], category=category)
    half = add_course(catalogue, "乙", [PostKind.CHILD_DIRECTOR], lessons=3, category=category)
    passed = add_course(catalogue, "丙", [PostKind.CHILD_DIRECTOR], category=category)
    no_exam = add_course(catalogue, "丁", [PostKind.CHILD_DIRECTOR], lessons=1)
    empty = add_course(catalogue, "戊", [PostKind.CHILD_DIRECTOR], lessons=0)
    complete_lesson(person, half.lessons().first())
    for lesson in passed.lessons():
        complete_lesson(person, lesson)
    pass_exam(person, passed.exam(), 55, passed=False)
    pass_exam(person, passed.exam(), 85)
    pass_exam(person, passed.exam(), 75)
    complete_lesson(person, no_exam.lessons().first())
    TrainingRecord.objects.create(
        person=person, year=YEAR, source=TrainingSource.ONLINE, course=no_exam, title=no_exam.title,
        completed_on=TODAY, credit_hours=2,
    )
    courses = [untouched, half, passed, no_exam, empty]
    batched = course_statuses(person=person, courses=courses, year=YEAR)
    for course in courses:
        assert batched[course.pk] == course_status(person=person, course=course, year=YEAR), course.title
    assert batched[passed.pk].best_passing_score == 85 and batched[passed.pk].percent == 100


def test_my_learning_reads_ten_courses_in_a_few_queries(
    catalogue, question_bank, director, django_assert_max_num_queries
):
    category, _questions = question_bank
    person = director.person
    for number in range(10):
        course = add_course(catalogue, f"课程{number}", [PostKind.CHILD_DIRECTOR], category=category)
        complete_lesson(person, course.lessons().first())
        if number % 2:
            Enrolment.objects.create(person=person, course=course, due_date=datetime.date(2025, 9, 1))
    with django_assert_max_num_queries(7):
        learning = my_learning(person=person, today=TODAY, year=YEAR)
        assert len(learning.assigned) == 5 and len(learning.available) == 5
        assert all(card.status.percent == 33 for card in learning.assigned + learning.available)


def test_transcript_groups_records_by_year_with_totals(director):
    person = director.person
    for year, title, hours, completion in [
        (2024, "去年的课程", 4, True), (2025, "今年的课程", 2, True), (2025, "今年的培训班", 1.5, False),
    ]:
        TrainingRecord.objects.create(
            person=person, year=year, source=TrainingSource.ONLINE, title=title,
            completed_on=datetime.date(year, 3, 1), credit_hours=hours, counts_as_completion=completion,
        )
    TrainingRecord.objects.create(
        person=PersonFactory(), year=2025, source=TrainingSource.ONLINE, title="别人的课程",
        completed_on=datetime.date(2025, 3, 1), credit_hours=9,
    )
    everything = transcript(person=person)
    assert [year.year for year in everything.years] == [2025, 2024] and everything.all_years == [2025, 2024]
    this_year = everything.years[0]
    assert [record.title for record in this_year.records] == ["今年的课程", "今年的培训班"]
    assert this_year.credit_hours == 3.5 and this_year.completions == 1
    assert everything.credit_hours == 7.5 and everything.completions == 2 and everything.has_hours_only

    last_year = transcript(person=person, year=2024)
    assert [year.year for year in last_year.years] == [2024] and last_year.all_years == [2025, 2024]
    assert last_year.credit_hours == 4
