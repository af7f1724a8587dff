"""manage.py load_demo_courses: a complete course for every tier, with lessons, a video lesson and an exam
that can be drawn, a face-to-face session for the directors of 西湖区, and nothing created twice."""
import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone
from wagtail.images import get_image_model
from wagtail.models import Page, Site

from academy.demo import content
from academy.home.models import HomePage
from academy.organisation.models import PostKind, Region
from courses.exams import exam_draw, exam_draw_problems
from courses.models import (
    CourseIndexPage, CoursePage, ExamPage, LessonPage, Question, QuestionCategory, QuestionKind, QuestionOption,
    SessionEnrolment, TrainingSession, Video, VideoTranscodeJob,
)
from tests.factories import PostFactory, RegionFactory, UserFactory

TIERS = [PostKind.INSTITUTION_HEAD, PostKind.CHILD_SUPERVISOR, PostKind.CHILD_DIRECTOR, PostKind.CARER]


def load() -> str:
    out = io.StringIO()
    call_command("load_demo_courses", stdout=out)
    return out.getvalue()


def village_in(county_code: str, name: str) -> Region:
    township = Region.objects.filter(parent_id=county_code).order_by("code").first()
    return RegionFactory(code=township.code + "901", name=name, level="village", parent=township, is_synthetic=True)


@pytest.fixture
def loaded(db):
    return load()


def test_every_tier_has_a_published_course_for_its_post(loaded):
    courses = list(CoursePage.objects.live())
    for kind in TIERS:
        assert [course for course in courses if kind in course.audience], kind
    for course in courses:
        assert course.first_published_at is not None
        assert course.credit_hours > 0 and 0 < course.pass_mark <= 100
        assert course.summary and course.introduction and course.cover_image is not None
    assert any(course.lessons_in_order for course in courses)


def test_the_catalogue_is_the_home_pages_child_and_lists_the_courses(client, loaded):
    catalogue = CourseIndexPage.objects.get()
    home = HomePage.objects.get()
    assert catalogue.get_parent().pk == home.pk and catalogue.title == "培训课程" and catalogue.live
    assert Site.objects.get(is_default_site=True).root_page_id == home.pk
    response = client.get(catalogue.url)
    assert response.status_code == 200
    for title in ["机构负责人履职与机构安全管理", "儿童督导员工作实务", "儿童主任履职基础", "孤残儿童日常照料与康复支持"]:
        assert title in response.content.decode()


def test_each_course_has_four_lessons_and_a_video_lesson(loaded):
    for course in CoursePage.objects.all():
        lessons = [lesson.specific for lesson in course.lessons()]
        assert len(lessons) >= 4, course.title
        block_types = {block.block_type for lesson in lessons for block in lesson.body}
        assert {"heading", "paragraph", "callout", "knowledge_check", "video"} <= block_types, course.title
        for lesson in lessons:
            assert lesson.first_published_at is not None
            for block in lesson.body:
                if block.block_type == "knowledge_check":
                    assert block.id and block.value["explanation"]
                    assert sum(option["is_correct"] for option in block.value["options"]) >= 1
        videos = [block.value["video"] for lesson in lessons for block in lesson.video_blocks()]
        assert videos, course.title
        for video in videos:
            assert 20 < video.duration_seconds < 90  # read from the shipped file
            assert video.file.size < 2 * 1024 * 1024
            assert video.captions.read().startswith(b"WEBVTT")


def test_the_demo_videos_get_their_renditions_and_poster_from_the_upload_job(db, django_capture_on_commit_callbacks):
    """Issue 13 §3: the demo's videos go through the same job as an upload (in process, as `make demo` runs it);
    the committed PNG posters it replaces are gone."""
    with django_capture_on_commit_callbacks(execute=True):
        load()
    assert VideoTranscodeJob.objects.count() == Video.objects.count() == 4
    assert set(VideoTranscodeJob.objects.values_list("status", flat=True)) == {VideoTranscodeJob.Status.DONE}
    for video in Video.objects.prefetch_related("renditions"):
        assert video.poster is None and video.poster_frame.name.endswith(".jpg")
        renditions = {rendition.quality: rendition for rendition in video.renditions.all()}
        assert set(renditions) == {"low", "standard"}
        assert renditions["low"].bitrate <= 400_000 and renditions["low"].height == 360
    assert all("cover" in path.name for path in content.MEDIA_DIR.glob("*.png"))

    with django_capture_on_commit_callbacks(execute=True):
        load()  # again: nothing is missing, no job
    assert VideoTranscodeJob.objects.count() == 4


def test_each_exam_draws_from_a_bank_of_twenty_valid_questions_of_every_kind(loaded):
    for course in CoursePage.objects.all():
        exam = course.exam()
        assert exam is not None and exam.first_published_at is not None, course.title
        assert exam_draw_problems(exam=exam) == []
        rules = list(exam.draw_rules.all())
        assert 2 <= len(rules) <= 3
        bank = Question.objects.filter(category__in=[rule.category_id for rule in rules])
        assert bank.count() >= 20
        assert set(bank.values_list("kind", flat=True)) == set(QuestionKind.values)
        assert len(exam_draw(exam=exam)) == exam.question_count()
    for question in Question.objects.prefetch_related("options"):
        options = list(question.options.all())
        correct = sum(option.is_correct for option in options)
        assert question.explanation, question.text
        assert "<" not in question.text  # shown as plain text
        if question.kind == QuestionKind.MULTIPLE:
            assert len(options) >= 3 and correct >= 1, question.text
        elif question.kind == QuestionKind.TRUE_FALSE:
            assert len(options) == 2 and correct == 1, question.text
        else:
            assert len(options) >= 3 and correct == 1, question.text


def test_a_director_opens_the_video_lesson(client, loaded):
    post = PostFactory(kind=PostKind.CHILD_DIRECTOR, region=village_in("330106", "演示村"))
    client.force_login(UserFactory(person=post.person))
    lesson = LessonPage.objects.get(slug="home-visits")
    response = client.get(lesson.url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<video" in html and "playsinline" in html and 'kind="captions"' in html
    assert "入户走访" in html


def test_the_session_enrols_the_child_directors_of_xihu(db):
    xihu_director = PostFactory(kind=PostKind.CHILD_DIRECTOR, region=village_in("330106", "西湖演示村"))
    former = PostFactory(
        kind=PostKind.CHILD_DIRECTOR, region=village_in("330106", "西湖旧村"), end_date=datetime.date(2024, 6, 30)
    )
    elsewhere = PostFactory(kind=PostKind.CHILD_DIRECTOR, region=village_in("330102", "上城演示村"))

    output = load()

    session = TrainingSession.objects.get()
    assert session.organiser_region_id == "330106"
    assert session.course.slug == "child-director-basics"
    today = timezone.localdate()
    assert today < timezone.localdate(session.starts_at) <= today + datetime.timedelta(weeks=4)
    enrolled = set(session.enrolments.values_list("person_id", flat=True))
    assert xihu_director.person_id in enrolled
    assert former.person_id not in enrolled and elsewhere.person_id not in enrolled
    assert "1 of 1 child directors" in output


def test_without_directors_the_session_enrols_nobody_and_says_so(loaded):
    assert TrainingSession.objects.count() == 1
    assert SessionEnrolment.objects.count() == 0
    assert "nobody enrolled" in loaded


def test_running_twice_creates_nothing_twice(db):
    PostFactory(kind=PostKind.CHILD_DIRECTOR, region=village_in("330106", "西湖演示村"))
    load()

    def counts():
        return {
            model.__name__: model.objects.count()
            for model in [
                Page, Question, QuestionOption, QuestionCategory, Video, get_image_model(), TrainingSession,
                SessionEnrolment,
            ]
        }

    before = counts()
    output = load()
    assert counts() == before
    assert output.count("0 pages and 0 questions created") == 4
    assert "already there" in output


def test_an_existing_home_page_is_reused(db):
    root = Page.get_first_root_node()
    home = root.add_child(instance=HomePage(title="首页", slug="existing-home"))
    load()
    assert HomePage.objects.get().pk == home.pk
    assert CourseIndexPage.objects.get().get_parent().pk == home.pk
    assert ExamPage.objects.count() == 4
