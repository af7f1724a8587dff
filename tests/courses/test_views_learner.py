import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from academy.organisation.models import PostKind, Region
from courses import plans
from courses.models import (
    CoursePage, Enrolment, ExamDrawRule, ExamPage, LessonPage, LessonProgress, PlanAssignment, SessionEnrolment,
    TrainingPlan, TrainingRecord, TrainingSource,
)
from courses.years import training_year
from tests.factories import PersonFactory, TrainingSessionFactory, UserFactory

pytestmark = pytest.mark.django_db

MY_LEARNING = reverse("courses:my_learning")
TRANSCRIPT = reverse("courses:transcript")
TRANSCRIPT_PDF = reverse("courses:transcript_pdf")


def record(person, title, *, year=None, hours=4, score=None, source=TrainingSource.ONLINE, completion=True):
    year = year or training_year()
    return TrainingRecord.objects.create(
        person=person, year=year, source=source, title=title, completed_on=datetime.date(year, 3, 15),
        credit_hours=hours, score=score, counts_as_completion=completion,
    )


@pytest.fixture
def signed_in_director(client, director):
    client.force_login(director)
    return director


@pytest.mark.parametrize("url", [MY_LEARNING, TRANSCRIPT, TRANSCRIPT_PDF])
def test_visitors_are_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_my_learning_offers_the_directors_course_with_its_progress(client, course, signed_in_director):
    person = signed_in_director.person
    LessonProgress.objects.create(
        person=person, lesson=course.lessons().first(), year=training_year(), completed_at=timezone.now()
    )
    response = client.get(MY_LEARNING)
    page = response.content.decode()
    assert response.status_code == 200
    assert "儿童主任履职基础" in page
    assert 'aria-valuenow="33"' in page
    # "Continue" leads to the next lesson to study.
    assert reverse("courses:lesson", args=[course.lessons()[1].pk]) in page  # where to continue


def test_my_learning_shows_deadlines_and_overdue_assignments(client, course, signed_in_director):
    Enrolment.objects.create(
        person=signed_in_director.person, course=course, due_date=timezone.localdate() - datetime.timedelta(days=1)
    )
    response = client.get(MY_LEARNING)
    assigned = response.context["learning"].assigned
    assert [card.course.title for card in assigned] == ["儿童主任履职基础"] and assigned[0].is_overdue
    assert response.context["learning"].available == []
    assert "badge-bad" in response.content.decode()


def test_my_learning_lists_the_persons_face_to_face_sessions(client, signed_in_director):
    session = TrainingSessionFactory(title="强制报告专题培训班")
    SessionEnrolment.objects.create(session=session, person=signed_in_director.person)
    TrainingSessionFactory(title="别人的培训班")
    page = client.get(MY_LEARNING).content.decode()
    assert "强制报告专题培训班" in page and session.venue in page
    assert "别人的培训班" not in page


def test_my_learning_shows_this_years_completions(client, signed_in_director):
    record(signed_in_director.person, "家访实务", hours=3, score=88)
    record(signed_in_director.person, "去年的课程", year=training_year() - 1)
    learning = client.get(MY_LEARNING).context["learning"]
    assert [item.title for item in learning.completed] == ["家访实务"] and learning.credit_hours == 3


def test_my_learning_with_ten_courses_takes_under_fifteen_queries(
    client, catalogue, question_bank, signed_in_director, django_assert_max_num_queries
):
    category, _questions = question_bank
    person = signed_in_director.person
    for number in range(10):
        course = catalogue.add_child(instance=CoursePage(
            title=f"课程{number}", summary="简介", audience=[PostKind.CHILD_DIRECTOR], credit_hours=2,
        ))
        for lesson in range(3):
            course.add_child(instance=LessonPage(title=f"第{lesson + 1}课", body=[("paragraph", "<p>课文</p>")]))
        exam = ExamPage(title="考试")
        exam.draw_rules = [ExamDrawRule(category=category, count=1)]
        course.add_child(instance=exam)
        LessonProgress.objects.create(
            person=person, lesson=course.lessons().first(), year=training_year(), completed_at=timezone.now()
        )
        if number % 2:
            Enrolment.objects.create(person=person, course=course, due_date=timezone.localdate())
    SessionEnrolment.objects.create(session=TrainingSessionFactory(), person=person)
    record(person, "课程0之外的培训")
    client.get(MY_LEARNING)  # warm the per-process caches (content types, site root paths)
    with django_assert_max_num_queries(14):
        response = client.get(MY_LEARNING)
    assert response.content.decode().count('class="card course-card') == 10


def test_transcript_groups_the_persons_records_by_year(client, signed_in_director):
    person = signed_in_director.person
    this_year = training_year()
    record(person, "儿童主任履职基础", score=92)
    record(person, "家访培训班", source=TrainingSource.FACE_TO_FACE, hours=2.5, completion=False)
    record(person, "民法典与未成年人保护", year=this_year - 1, hours=6, score=75)
    response = client.get(TRANSCRIPT)
    page = response.content.decode()
    assert response.status_code == 200
    years = response.context["transcript"].years
    assert [(year.year, year.credit_hours, year.completions) for year in years] == [
        (this_year, 6.5, 1), (this_year - 1, 6, 1),
    ]
    assert "儿童主任履职基础" in page and "民法典与未成年人保护" in page and "92" in page
    assert f'{TRANSCRIPT_PDF}"' in page


def test_the_transcript_filters_by_year(client, signed_in_director):
    this_year = training_year()
    record(signed_in_director.person, "今年的课程")
    record(signed_in_director.person, "去年的课程", year=this_year - 1)
    response = client.get(TRANSCRIPT, {"year": this_year - 1})
    page = response.content.decode()
    assert "去年的课程" in page and "今年的课程" not in page
    assert f"{TRANSCRIPT_PDF}?year={this_year - 1}" in page
    # Nonsense shows every year.
    assert "今年的课程" in client.get(TRANSCRIPT, {"year": "abc"}).content.decode()


def test_other_peoples_records_are_never_shown(client, course, signed_in_director):
    other = PersonFactory(name="王秀英")
    record(other, "别人的课程")
    Enrolment.objects.create(person=other, course=course, due_date=timezone.localdate())
    record(signed_in_director.person, "自己的课程")
    for url in (MY_LEARNING, TRANSCRIPT):
        page = client.get(url).content.decode()
        assert "自己的课程" in page
        assert "别人的课程" not in page and "王秀英" not in page
    # Asking for someone else by any parameter changes nothing: the pages read the signed-in person only.
    page = client.get(TRANSCRIPT, {"person": other.pk}).content.decode()
    assert "别人的课程" not in page


@pytest.mark.parametrize("url", [MY_LEARNING, TRANSCRIPT])
def test_a_user_not_on_the_roster_is_told_so(client, url):
    client.force_login(UserFactory())
    response = client.get(url)
    assert response.status_code == 200
    # In the default language, Chinese: "not linked to anyone on the training roster".
    assert "未关联培训人员名册中的人员" in response.content.decode()


def test_the_pdf_of_a_user_not_on_the_roster_leads_to_the_explanation(client):
    client.force_login(UserFactory())
    response = client.get(TRANSCRIPT_PDF)
    assert response.status_code == 302 and response["Location"] == TRANSCRIPT


def test_learner_pages_are_not_cached(client, signed_in_director):
    for url in (MY_LEARNING, TRANSCRIPT, TRANSCRIPT_PDF):
        assert "no-store" in client.get(url)["Cache-Control"]


def test_a_plans_required_course_is_shown_as_required_and_linked_from_the_plan(client, course, signed_in_director):
    """Issue 13: the demo director was told she had no required course while her plan named one."""
    person = signed_in_director.person
    year = training_year()
    plan = TrainingPlan.objects.create(
        year=year, post_kind=PostKind.CHILD_DIRECTOR, organiser_region=Region.objects.get(code="330106"),
        title="年度儿童主任培训", **plans.plan_defaults(year),
    )
    plan.required_courses.set([course])
    PlanAssignment.objects.create(
        plan=plan, person=person, region_id="330106002001", **plans.assignment_copies(plan=plan, person_name=person.name)
    )

    response = client.get(MY_LEARNING)
    learning = response.context["learning"]
    assert [card.course.title for card in learning.assigned] == ["儿童主任履职基础"]
    assert learning.assigned[0].due_date == plan.deadline
    assert learning.available == []
    page = response.content.decode()
    assert "No courses are assigned to you at the moment." not in page
    assert f'href="{course.url}"' in page.split('id="obligations-title"')[1].split("</section>")[0]
