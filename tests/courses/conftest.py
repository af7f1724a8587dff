"""A small course tree shared by the courses tests: a home page, the catalogue, one course for child
directors with two lessons (text, video) and an exam on a bank of questions."""
import datetime

import pytest
from django.core.files.base import ContentFile
from wagtail.models import Locale, Page, Site

from academy.home.models import HomePage
from academy.organisation.models import PostKind, Region
from courses.models import (
    CourseIndexPage, CoursePage, ExamDrawRule, ExamPage, LessonPage, Question, QuestionCategory, QuestionOption,
    Video,
)
from tests.factories import PersonFactory, PostFactory, UserFactory


@pytest.fixture
def home_page(db):
    # A transactional test run earlier flushes the tables, Wagtail's tree root and locale included.
    locale, _created = Locale.objects.get_or_create(language_code="zh-hans")
    # The locale named, not looked up from LANGUAGE_CODE, which the English-asserting tests set to "en".
    root = Page.get_first_root_node() or Page.add_root(instance=Page(title="Root", slug="root", locale=locale))
    home = root.add_child(instance=HomePage(title="首页", slug="home-test"))
    site = Site.objects.filter(is_default_site=True).first()
    if site:
        site.root_page = home
        site.save()
    else:
        Site.objects.create(hostname="localhost", root_page=home, is_default_site=True)
    return home


@pytest.fixture
def catalogue(home_page):
    return home_page.add_child(instance=CourseIndexPage(title="课程", slug="courses"))


@pytest.fixture
def question_bank(db):
    category = QuestionCategory.objects.create(name="未成年人保护法")
    questions = []
    for number in range(6):
        question = Question(category=category, kind="single", text=f"第{number + 1}题：强制报告的时限？")
        question.options = [
            QuestionOption(text="立即报告", is_correct=True),
            QuestionOption(text="一个月内", is_correct=False),
            QuestionOption(text="不必报告", is_correct=False),
        ]
        question.save()
        questions.append(question)
    return category, questions


@pytest.fixture
def course(catalogue, question_bank):
    category, _questions = question_bank
    course = catalogue.add_child(
        instance=CoursePage(
            title="儿童主任履职基础", slug="director-basics", summary="儿童主任的职责与工作方法",
            audience=[PostKind.CHILD_DIRECTOR], credit_hours=4, pass_mark=60,
        )
    )
    course.add_child(
        instance=LessonPage(
            title="第一课 职责", slug="duties", min_study_minutes=1,
            body=[("paragraph", "<p>儿童主任负责村（社区）儿童工作。</p>")],
        )
    )
    video = Video.objects.create(title="家访示范", file=ContentFile(b"placeholder", name="v.mp4"), duration_seconds=60)
    course.add_child(
        instance=LessonPage(
            title="第二课 家访", slug="home-visits", min_study_minutes=1,
            body=[("video", {"video": video, "caption": "家访示范"})],
        )
    )
    exam = ExamPage(title="结业考试", slug="exam", time_limit_minutes=20, max_attempts=2)
    exam.draw_rules = [ExamDrawRule(category=category, count=5)]
    course.add_child(instance=exam)
    return course


@pytest.fixture
def director(db):
    """A village child director with a trainee account."""
    village = Region.objects.get_or_create(
        code="330106002001", defaults={"name": "测试村", "level": "village", "parent_id": "330106002", "is_synthetic": True}
    )[0]
    person = PersonFactory(name="李春燕")
    PostFactory(person=person, kind=PostKind.CHILD_DIRECTOR, region=village, start_date=datetime.date(2023, 1, 1))
    user = UserFactory(person=person, phone=person.mobile)
    return user


@pytest.fixture
def mixed_exam(course):
    """The course's exam drawing all three questions of a bank holding one of each kind (single, multiple,
    true/false), each with an explanation; options shuffled. Returns (exam, {kind: question})."""
    category = QuestionCategory.objects.create(name="强制报告")
    specs = [
        ("single", "发现儿童遭受侵害时，儿童主任应当？", [("立即向公安机关报告", True), ("等待家长处理", False), ("不予理会", False)]),
        ("multiple", "以下哪些属于强制报告的情形？", [("儿童遭受性侵害", True), ("儿童被遗弃", True), ("儿童感冒", False), ("儿童考试不及格", False)]),
        ("true_false", "儿童主任负有强制报告义务。", [("正确", True), ("错误", False)]),
    ]
    questions = {}
    for kind, text, options in specs:
        question = Question(category=category, kind=kind, text=text, explanation=f"解析：{text}")
        question.options = [QuestionOption(text=option, is_correct=correct) for option, correct in options]
        question.save()
        questions[kind] = question
    exam = course.exam()
    ExamDrawRule.objects.filter(exam=exam).delete()
    ExamDrawRule.objects.create(exam=exam, category=category, count=3)
    return ExamPage.objects.get(pk=exam.pk), questions


@pytest.fixture
def quiz_lesson(course):
    """A third lesson of the course with two knowledge checks: option 1 is right in the first, options 0 and 1
    in the second."""
    return course.add_child(
        instance=LessonPage(
            title="第三课 强制报告", slug="reporting", min_study_minutes=2,
            body=[
                ("paragraph", "<p>发现儿童遭受侵害时，应当立即报告。</p>"),
                ("knowledge_check", {
                    "question": "发现儿童遭受侵害，应当何时报告？",
                    "options": [{"text": "一周内", "is_correct": False}, {"text": "立即", "is_correct": True},
                                {"text": "不必报告", "is_correct": False}],
                    "explanation": "《未成年人保护法》第十一条：应当立即报告。",
                }),
                ("knowledge_check", {
                    "question": "哪些属于强制报告的情形？",
                    "options": [{"text": "遭受性侵害", "is_correct": True}, {"text": "被遗弃", "is_correct": True},
                                {"text": "感冒", "is_correct": False}],
                    "explanation": "",
                }),
            ],
        )
    )


@pytest.fixture
def text_lesson(course):
    return course.lessons()[0]  # 1 minute of study, no video


@pytest.fixture
def video_lesson(course):
    return course.lessons()[1]  # one video of 60 s


@pytest.fixture
def trainee(client, director):
    """The director, signed in."""
    client.force_login(director)
    return client
