"""Exam rules on the server: drawing, attempts per year, resuming, the time limit, scoring, completion."""
import datetime
import random

import pytest
from django.db import connection
from django.utils import timezone

from courses.exams import (
    AlreadyPassed, ExamNotReady, NoAttemptsLeft, attempt_close_if_expired, attempt_save, attempt_start,
    attempt_submit, exam_draw, exam_draw_problems,
)
from courses.models import (
    ExamAttempt, ExamDrawRule, LessonProgress, Question, QuestionCategory, QuestionOption, TrainingRecord,
)
from tests.races import race

pytestmark = pytest.mark.django_db



@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


NOON = datetime.datetime(2025, 6, 1, 12, 0, tzinfo=datetime.UTC)


def make_category(name: str, size: int, kind: str = "single", options: int = 4) -> QuestionCategory:
    category = QuestionCategory.objects.create(name=name)
    for number in range(size):
        question = Question(category=category, kind=kind, text=f"{name}{number}")
        question.options = [QuestionOption(text=f"选项{index}", is_correct=index == 0) for index in range(options)]
        question.save()
    return category


def correct_answers(questions: dict, *kinds: str) -> dict:
    """The right answers to the questions of the given kinds; the other questions are left unanswered."""
    return {str(questions[kind].pk): sorted(questions[kind].correct_option_ids()) for kind in kinds}


def option_id(question: Question, text: str) -> int:
    return question.options.get(text=text).pk


# --- Drawing --------------------------------------------------------------------------------------------


def test_draw_takes_the_count_from_each_category_in_rule_order(course):
    exam = course.exam()
    laws, visits = make_category("法律", 6), make_category("家访", 4)
    ExamDrawRule.objects.filter(exam=exam).delete()
    ExamDrawRule.objects.create(exam=exam, category=laws, count=3, sort_order=0)
    ExamDrawRule.objects.create(exam=exam, category=visits, count=2, sort_order=1)

    drawn = exam_draw(exam=exam)

    categories = [Question.objects.get(pk=item["question"]).category for item in drawn]
    assert categories == [laws] * 3 + [visits] * 2
    assert len({item["question"] for item in drawn}) == 5
    for item in drawn:
        assert sorted(item["options"]) == sorted(QuestionOption.objects.filter(question_id=item["question"]).values_list("pk", flat=True))


def test_two_rules_on_one_category_never_draw_a_question_twice(course):
    exam = course.exam()
    bank = make_category("法律", 4)
    ExamDrawRule.objects.filter(exam=exam).delete()
    ExamDrawRule.objects.create(exam=exam, category=bank, count=2)
    ExamDrawRule.objects.create(exam=exam, category=bank, count=2)
    for seed in range(10):
        assert len({item["question"] for item in exam_draw(exam=exam, rng=random.Random(seed))}) == 4


def test_options_are_shuffled_only_when_the_exam_says_so(course):
    exam = course.exam()
    bank = make_category("法律", 8, options=5)
    ExamDrawRule.objects.filter(exam=exam).delete()
    ExamDrawRule.objects.create(exam=exam, category=bank, count=8)
    authored = {
        question.pk: [option.pk for option in question.options.order_by("sort_order")]
        for question in Question.objects.filter(category=bank)
    }

    shuffled = exam_draw(exam=exam, rng=random.Random(1))
    assert any(item["options"] != authored[item["question"]] for item in shuffled)

    exam.shuffle_options = False
    kept = exam_draw(exam=exam, rng=random.Random(1))
    assert all(item["options"] == authored[item["question"]] for item in kept)


def test_true_or_false_options_keep_their_order(course):
    exam = course.exam()
    bank = make_category("判断", 6, kind="true_false", options=2)
    ExamDrawRule.objects.filter(exam=exam).delete()
    ExamDrawRule.objects.create(exam=exam, category=bank, count=6)
    for seed in range(5):
        for item in exam_draw(exam=exam, rng=random.Random(seed)):
            assert item["options"] == sorted(item["options"])


def test_too_few_questions_is_explained_and_starts_nothing(course, director):
    exam = course.exam()
    ExamDrawRule.objects.filter(exam=exam).update(count=9)  # the bank holds 6

    assert exam_draw_problems(exam=exam) == ["The category “未成年人保护法” has 6 questions, but the exam draws 9 from it."]
    with pytest.raises(ExamNotReady) as refused:
        attempt_start(person=director.person, exam=exam)
    assert "cannot be taken yet" in str(refused.value)
    assert not ExamAttempt.objects.exists()


def test_an_exam_without_rules_cannot_be_drawn(course):
    exam = course.exam()
    ExamDrawRule.objects.filter(exam=exam).delete()
    assert exam_draw_problems(exam=exam)


# --- Starting and resuming ------------------------------------------------------------------------------


def test_start_stores_the_draw_and_the_deadline(course, director):
    exam = course.exam()
    attempt = attempt_start(person=director.person, exam=exam, now=NOON)

    assert attempt.number == 1 and attempt.year == 2025
    assert attempt.started_at == NOON
    assert attempt.deadline_at == NOON + datetime.timedelta(minutes=20)
    assert len(attempt.questions) == 5 and attempt.answers == {}


def test_starting_again_resumes_the_open_attempt(course, director):
    exam = course.exam()
    first = attempt_start(person=director.person, exam=exam, now=NOON)
    again = attempt_start(person=director.person, exam=exam, now=NOON + datetime.timedelta(minutes=19))
    assert again.pk == first.pk
    assert again.questions == first.questions
    assert ExamAttempt.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="two connections at once need PostgreSQL")
def test_two_taps_on_start_at_once_open_one_attempt(zhejiang_regions, course, director):
    # Both taps count no attempt yet and take number 1 (exam_attempt_number_unique): the second resumes the first.
    exam = course.exam()
    first, second = race(
        lambda: attempt_start(person=director.person, exam=exam),
        lambda: attempt_start(person=director.person, exam=exam),
    )
    assert isinstance(first, ExamAttempt) and first.pk == second.pk and first.number == 1
    assert ExamAttempt.objects.filter(person=director.person).count() == 1


def test_starting_after_the_deadline_scores_the_old_attempt_and_starts_a_new_one(mixed_exam, director):
    exam, questions = mixed_exam
    first = attempt_start(person=director.person, exam=exam, now=NOON)
    attempt_save(attempt=first, answers=correct_answers(questions, "single"), now=NOON)

    second = attempt_start(person=director.person, exam=exam, now=NOON + datetime.timedelta(minutes=21))

    first.refresh_from_db()
    assert first.submitted_at == first.deadline_at and first.score == 33 and not first.passed
    assert second.number == 2 and second.submitted_at is None


def test_a_pass_left_open_counts_when_starting_again(mixed_exam, director):
    exam, questions = mixed_exam
    first = attempt_start(person=director.person, exam=exam, now=NOON)
    attempt_save(attempt=first, answers=correct_answers(questions, "single", "multiple", "true_false"), now=NOON)

    with pytest.raises(AlreadyPassed):
        attempt_start(person=director.person, exam=exam, now=NOON + datetime.timedelta(minutes=20, seconds=10))

    first.refresh_from_db()
    assert first.passed and first.score == 100 and ExamAttempt.objects.count() == 1


def test_attempts_are_limited_per_training_year(mixed_exam, director):
    exam, _questions = mixed_exam  # two attempts a year
    for _ in range(2):
        attempt = attempt_start(person=director.person, exam=exam, now=NOON)
        attempt_submit(attempt=attempt, answers={}, now=NOON)
    with pytest.raises(NoAttemptsLeft):
        attempt_start(person=director.person, exam=exam, now=NOON)

    next_year = attempt_start(person=director.person, exam=exam, now=datetime.datetime(2026, 1, 2, tzinfo=datetime.UTC))
    assert next_year.year == 2026 and next_year.number == 1


def test_the_training_year_follows_china_time(mixed_exam, director):
    exam, _questions = mixed_exam
    new_years_morning_in_china = datetime.datetime(2025, 12, 31, 17, 0, tzinfo=datetime.UTC)
    assert attempt_start(person=director.person, exam=exam, now=new_years_morning_in_china).year == 2026


def test_someone_who_passed_this_year_gets_their_result_not_a_new_attempt(mixed_exam, director):
    exam, questions = mixed_exam
    attempt = attempt_start(person=director.person, exam=exam, now=NOON)
    attempt_submit(attempt=attempt, answers=correct_answers(questions, "single", "multiple", "true_false"), now=NOON)

    with pytest.raises(AlreadyPassed) as refused:
        attempt_start(person=director.person, exam=exam, now=NOON)
    assert refused.value.attempt.pk == attempt.pk
    assert attempt_start(person=director.person, exam=exam, now=datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC))


# --- Scoring ------------------------------------------------------------------------------------------


def submit(exam, person, answers) -> ExamAttempt:
    attempt = attempt_start(person=person, exam=exam, now=NOON)
    attempt, counted = attempt_submit(attempt=attempt, answers=answers, now=NOON + datetime.timedelta(minutes=5))
    assert counted
    return attempt


def test_every_question_right_scores_100(mixed_exam, director):
    exam, questions = mixed_exam
    attempt = submit(exam, director.person, correct_answers(questions, "single", "multiple", "true_false"))
    assert attempt.score == 100 and attempt.passed


def test_a_wrong_single_choice_scores_nothing(mixed_exam, director):
    exam, questions = mixed_exam
    answers = correct_answers(questions, "multiple", "true_false")
    answers[str(questions["single"].pk)] = [option_id(questions["single"], "等待家长处理")]
    assert submit(exam, director.person, answers).score == 67  # round(100 * 2 / 3)


def test_multiple_choice_counts_only_with_exactly_the_correct_set(mixed_exam, director):
    exam, questions = mixed_exam
    multiple = questions["multiple"]
    right = [option_id(multiple, "儿童遭受性侵害"), option_id(multiple, "儿童被遗弃")]
    for chosen, expected in [
        (right[:1], 0),  # one of the two right options
        (right + [option_id(multiple, "儿童感冒")], 0),  # both and a wrong one
        ([], 0),
        (right, 33),
    ]:
        ExamAttempt.objects.all().delete()
        assert submit(exam, director.person, {str(multiple.pk): chosen}).score == expected


def test_true_or_false_is_scored(mixed_exam, director):
    exam, questions = mixed_exam
    true_false = questions["true_false"]
    assert submit(exam, director.person, {str(true_false.pk): [option_id(true_false, "正确")]}).score == 33
    ExamAttempt.objects.all().delete()
    assert submit(exam, director.person, {str(true_false.pk): [option_id(true_false, "错误")]}).score == 0


def test_a_single_choice_with_two_options_ticked_is_wrong(mixed_exam, director):
    exam, questions = mixed_exam
    single = questions["single"]
    both = [option.pk for option in single.options.all()][:2]
    assert submit(exam, director.person, {str(single.pk): both}).score == 0


def test_the_exam_pass_mark_overrides_the_course_one(mixed_exam, director):
    exam, questions = mixed_exam
    two_of_three = correct_answers(questions, "single", "multiple")  # 67

    assert submit(exam, director.person, two_of_three).passed  # course pass mark 60

    ExamAttempt.objects.all().delete()
    exam.pass_mark = 70
    exam.save()
    assert not submit(exam, director.person, two_of_three).passed

    ExamAttempt.objects.all().delete()
    exam.pass_mark = None
    exam.save()
    course = exam.course
    course.pass_mark = 80
    course.save()
    assert not submit(exam, director.person, two_of_three).passed


def test_ids_from_outside_the_attempt_are_ignored(mixed_exam, course, director):
    exam, questions = mixed_exam
    single = questions["single"]
    stranger = Question.objects.exclude(category=single.category).first()  # never drawn into this attempt
    foreign_option = questions["multiple"].options.first().pk
    answers = {
        str(single.pk): [option_id(single, "立即向公安机关报告"), foreign_option],
        str(stranger.pk): [stranger.options.first().pk],
        "not-a-question": [1],
    }
    attempt = attempt_start(person=director.person, exam=exam, now=NOON)
    attempt_save(attempt=attempt, answers=answers, now=NOON)

    attempt.refresh_from_db()
    assert attempt.answers == {str(single.pk): [option_id(single, "立即向公安机关报告")]}
    attempt, _counted = attempt_submit(attempt=attempt, answers=answers, now=NOON)
    assert attempt.score == 33


# --- The time limit and submitting --------------------------------------------------------------------


def test_saves_are_refused_after_the_deadline_and_its_grace(mixed_exam, director):
    exam, questions = mixed_exam
    attempt = attempt_start(person=director.person, exam=exam, now=NOON)
    deadline = attempt.deadline_at

    assert attempt_save(attempt=attempt, answers=correct_answers(questions, "single"), now=deadline)
    assert attempt_save(
        attempt=attempt, answers=correct_answers(questions, "single", "true_false"),
        now=deadline + datetime.timedelta(seconds=20),  # sent in time, slowed by the network
    )
    assert not attempt_save(
        attempt=attempt, answers=correct_answers(questions, "single", "multiple", "true_false"),
        now=deadline + datetime.timedelta(seconds=31),
    )
    attempt.refresh_from_db()
    assert set(attempt.answers) == {str(questions["single"].pk), str(questions["true_false"].pk)}


def test_a_late_submission_is_ignored_and_the_saved_answers_are_scored(mixed_exam, director):
    exam, questions = mixed_exam
    attempt = attempt_start(person=director.person, exam=exam, now=NOON)
    attempt_save(attempt=attempt, answers=correct_answers(questions, "single"), now=NOON)

    attempt, counted = attempt_submit(
        attempt=attempt, answers=correct_answers(questions, "single", "multiple", "true_false"),
        now=attempt.deadline_at + datetime.timedelta(minutes=5),
    )
    assert not counted
    assert attempt.score == 33 and not attempt.passed
    assert attempt.submitted_at == attempt.deadline_at


def test_submitting_twice_changes_nothing(mixed_exam, director):
    exam, questions = mixed_exam
    attempt = submit(exam, director.person, correct_answers(questions, "single"))
    again, counted = attempt_submit(
        attempt=attempt, answers=correct_answers(questions, "single", "multiple", "true_false"),
        now=NOON + datetime.timedelta(minutes=6),
    )
    assert not counted
    again.refresh_from_db()
    assert again.score == 33 and again.submitted_at == attempt.submitted_at
    assert not attempt_save(attempt=attempt, answers={}, now=NOON + datetime.timedelta(minutes=7))


def test_an_expired_attempt_is_scored_when_next_looked_at(mixed_exam, director):
    exam, questions = mixed_exam
    attempt = attempt_start(person=director.person, exam=exam, now=NOON)
    attempt_save(attempt=attempt, answers=correct_answers(questions, "single", "multiple"), now=NOON)

    assert attempt_close_if_expired(attempt=attempt, now=attempt.deadline_at).submitted_at is None
    closed = attempt_close_if_expired(attempt=attempt, now=attempt.deadline_at + datetime.timedelta(hours=1))
    assert closed.score == 67 and closed.passed and closed.submitted_at == attempt.deadline_at


# --- Course completion --------------------------------------------------------------------------------


def complete_lessons(course, person, year):
    for lesson in course.lessons():
        LessonProgress.objects.create(person=person, lesson=lesson, year=year, completed_at=timezone.now())


def test_passing_completes_the_course_when_the_lessons_are_done(mixed_exam, course, director):
    exam, questions = mixed_exam
    complete_lessons(course, director.person, 2025)

    submit(exam, director.person, correct_answers(questions, "single", "multiple", "true_false"))

    record = TrainingRecord.objects.get(person=director.person)
    assert (record.course_id, record.year, record.score, record.credit_hours) == (course.pk, 2025, 100, 4)


def test_failing_or_unfinished_lessons_complete_nothing(mixed_exam, course, director):
    exam, questions = mixed_exam
    submit(exam, director.person, correct_answers(questions, "single", "multiple", "true_false"))  # lessons not done
    assert not TrainingRecord.objects.exists()

    complete_lessons(course, director.person, 2026)
    attempt = attempt_start(person=director.person, exam=exam, now=datetime.datetime(2026, 2, 1, tzinfo=datetime.UTC))
    attempt_submit(attempt=attempt, answers={}, now=attempt.started_at)
    assert not TrainingRecord.objects.exists()


def test_the_exam_form_in_the_admin_refuses_draws_the_bank_cannot_fill(course, question_bank):
    from courses.models import ExamPage

    category, questions = question_bank
    form_class = ExamPage.get_edit_handler().get_form_class()
    exam = course.exam()

    def form_for(count):
        from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text

        data = nested_form_data({
            "title": exam.title, "slug": exam.slug, "time_limit_minutes": 20, "max_attempts": 2,
            "shuffle_options": "on", "introduction": rich_text(""),
            "draw_rules": inline_formset([{"category": category.pk, "count": count}]),
        })
        return form_class(data, instance=exam, parent_page=course, for_user=None)

    too_many = form_for(len(questions) + 1)
    assert not too_many.is_valid()
    assert str(len(questions)) in " ".join(too_many.non_field_errors())
    assert form_for(len(questions)).is_valid()
