"""The demo training (manage.py load_demo_courses), from the texts and media in content/: the course
catalogue, one complete course for each tier with lessons, a video lesson, an exam and its question bank,
a face-to-face session of 杭州市西湖区 for its child directors, and this year's training plans.

Safe to run again: pages are matched by slug, questions by category and text, videos and images by title,
the session by organiser and title; what exists is left as it is, so editors' changes survive.
"""
import copy
import datetime
import random
import time
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.files import File
from django.core.files.images import ImageFile
from django.db import transaction
from django.utils import timezone
from wagtail.images import get_image_model

from academy.demo import content
from academy.transcoding import TranscodingError, ffmpeg_check
from academy.demo.pages import home_page_as_site_root
from academy.organisation.models import Person, Post, PostKind, Region, RegionLevel
from courses.models import (
    CourseIndexPage, CoursePage, ExamDrawRule, ExamPage, LessonPage, Question, QuestionCategory, QuestionOption,
    TrainingPlan, TrainingRecord, TrainingSession, TrainingSource, Video,
)
from courses.plans import plan_create
from courses.renditions import video_transcode_start
from courses.sessions import session_create, session_enrol, session_update
from courses.video import read_duration_seconds
from courses.years import training_year


@dataclass
class Created:
    pages: list[str] = field(default_factory=list)
    questions: int = 0


def courses_load(*, stdout, style) -> None:
    """The catalogue, the courses, the session of 西湖区 and this year's plans; progress to ``stdout``."""
    started = time.perf_counter()
    if not transcoding_available():
        stdout.write(style.WARNING(
            "ffmpeg is missing: the demo videos play their original file. Install it (apt-get install ffmpeg), then "
            "run manage.py transcode_videos for the 流畅/标清 renditions."
        ))
    with transaction.atomic():
        home = home_page_as_site_root()
        catalogue, catalogue_created = catalogue_get_or_create(home)
        stdout.write(f"Catalogue: {catalogue.title} ({'created' if catalogue_created else 'already there'})")
        for spec in content.COURSES:
            created = course_load(catalogue, spec)
            stdout.write(
                f"Course {spec['title']}: {len(created.pages)} pages and {created.questions} questions created"
            )
        _session_load(stdout, style)
        _plans_load(stdout)
    stdout.write(style.SUCCESS(f"Demo courses loaded in {time.perf_counter() - started:.1f} s"))


def _plans_load(stdout):
    """This year's plans, as the organisers of box 专栏6 would make them: the province for institution
    heads, each loaded city for its supervisors, each of its counties for their directors. The demo's
    window is the whole year, so that it is still open whenever the demo is loaded."""
    year = training_year()
    window = {
        "opens_on": datetime.date(year, 1, 1), "deadline": datetime.date(year, 12, 31),
        "join_cutoff": datetime.date(year, 9, 30), "leave_cutoff": datetime.date(year, 12, 31),
    }
    courses = {spec["audience"][0]: CoursePage.objects.get(slug=spec["slug"]) for spec in content.COURSES}
    cities = Region.objects.filter(level=RegionLevel.CITY, children__children__children__is_synthetic=True)
    organisers = [(PostKind.INSTITUTION_HEAD, Region.objects.filter(code="33").first())]
    for city in cities.distinct():
        organisers.append((PostKind.CHILD_SUPERVISOR, city))
        organisers += [(PostKind.CHILD_DIRECTOR, county) for county in city.children.all()]
    missing = [
        (post_kind, organiser) for post_kind, organiser in organisers
        if organiser is not None and not TrainingPlan.objects.filter(
            year=year, post_kind=post_kind, organiser_region=organiser
        ).exists()
    ]
    if missing:
        # Before the plans: their assignment reads the year's records.
        _completions_load(stdout, year, courses)
    for post_kind, organiser in missing:
        plan_create(
            year=year, post_kind=post_kind, organiser_region=organiser,
            required_courses=[courses[post_kind]], **window,
        )
    stdout.write(f"Training plans {year}: {len(missing)} created and assigned")


def _completions_load(stdout, year, courses):
    """Part of each tier has already completed this year's course, so that the coverage pages show a
    province part-way to its target (synthetic, like the people)."""
    rng = random.Random(f"demo-completions-{year}")
    shares = {PostKind.INSTITUTION_HEAD: 0.8, PostKind.CHILD_SUPERVISOR: 0.7, PostKind.CHILD_DIRECTOR: 0.55}
    last_day = min(timezone.localdate(), datetime.date(year, 12, 31))
    records = []
    for post_kind, share in shares.items():
        course = courses[post_kind]
        people = Post.objects.current(last_day).filter(kind=post_kind).values_list("person_id", flat=True)
        for person_id in sorted(set(people)):
            if rng.random() < share:
                records.append(TrainingRecord(
                    person_id=person_id, year=year, source=TrainingSource.ONLINE, course=course,
                    title=course.title, credit_hours=course.credit_hours, score=rng.randint(70, 100),
                    completed_on=datetime.date(year, 1, 1) + datetime.timedelta(
                        days=rng.randint(0, (last_day - datetime.date(year, 1, 1)).days)
                    ),
                ))
    TrainingRecord.objects.bulk_create(records, batch_size=2000, ignore_conflicts=True)
    stdout.write(f"Completions {year}: {len(records)} synthetic course completions")


def _session_load(stdout, style):
    spec = content.SESSION
    region = Region.objects.filter(code=spec["organiser_region"]).first()
    if region is None:
        stdout.write(style.WARNING(
            f"Session: region {spec['organiser_region']} is not loaded (run load_regions or load_demo); no session"
        ))
        return
    session, created = session_get_or_create(region, spec)
    stdout.write(
        f"Session {session.title}: {'created' if created else 'already there'}, "
        f"{timezone.localtime(session.starts_at):%Y-%m-%d %H:%M}, {session.venue}, "
        f"check-in code {session.check_in_code}"
    )
    directors = child_directors_in(region)
    if not directors:
        stdout.write(style.WARNING(
            f"Session: nobody holds a child director post in {region.name} ({region.code}); nobody enrolled "
            "(run load_demo first for demo people)"
        ))
        return
    enrolled = session_enrol_all(session, directors)
    stdout.write(
        f"Session: {enrolled} of {len(directors)} child directors of {region.name} ({region.code}) newly "
        f"enrolled; {session.enrolments.count()} enrolled in all"
    )


def catalogue_get_or_create(home) -> tuple[CourseIndexPage, bool]:
    # The site has one catalogue (max_count = 1): an existing one is reused, whatever its slug.
    catalogue = CourseIndexPage.objects.first()
    if catalogue is not None:
        return catalogue, False
    return _publish(home, CourseIndexPage(**content.CATALOGUE)), True


def course_load(catalogue: CourseIndexPage, spec: dict) -> Created:
    """The course with its lessons, exam and question bank; only what is missing is created."""
    created = Created()
    course = _child(catalogue, spec["slug"])
    if course is None:
        course = _publish(catalogue, CoursePage(
            title=spec["title"], slug=spec["slug"], summary=spec["summary"], introduction=spec["introduction"],
            audience=spec["audience"], credit_hours=Decimal(spec["credit_hours"]), pass_mark=spec["pass_mark"],
            lessons_in_order=spec["lessons_in_order"],
            exam_after_lessons=spec["exam_after_lessons"],
            cover_image=demo_image(spec["cover"], content.COVERS[spec["cover"]]),
        ))
        created.pages.append(course.title)
    for lesson in spec["lessons"]:
        if _child(course, lesson["slug"]) is None:
            page = _publish(course, LessonPage(
                title=lesson["title"], slug=lesson["slug"], min_study_minutes=lesson["min_study_minutes"],
                body=_with_video_ids(lesson["body"]),
            ))
            created.pages.append(page.title)
    categories = {
        name: QuestionCategory.objects.get_or_create(name=name, defaults={"description": description})[0]
        for name, description in spec["categories"].items()
    }
    for name, questions in spec["questions"].items():
        for question in questions:
            created.questions += question_get_or_create(categories[name], question)
    exam = spec["exam"]
    if _child(course, exam["slug"]) is None:
        page = _publish(course, ExamPage(
            title=exam["title"], slug=exam["slug"], introduction=exam["introduction"],
            time_limit_minutes=exam["time_limit_minutes"], max_attempts=exam["max_attempts"],
            draw_rules=[ExamDrawRule(category=categories[name], count=count) for name, count in exam["draw"]],
        ))
        created.pages.append(page.title)
    return created


def question_get_or_create(category: QuestionCategory, spec: dict) -> int:
    """1 if the question was created, 0 if the category already holds a question with its text."""
    if Question.objects.filter(category=category, text=spec["text"]).exists():
        return 0
    question = Question(category=category, kind=spec["kind"], text=spec["text"], explanation=spec["explanation"])
    question.options = [QuestionOption(text=text, is_correct=is_correct) for text, is_correct in spec["options"]]
    question.save()
    return 1


def demo_video(name: str) -> Video:
    """The Video snippet for media/NAME.mp4 with its captions; its duration is read from the file as on upload,
    and its renditions and poster are made by the same job as an upload's (in process in the demo, once the
    transaction commits; a run again makes only what is missing)."""
    title = content.VIDEOS[name]
    video = Video.objects.filter(title=title).first()
    if video is None:
        video = Video(title=title)
        with open(content.MEDIA_DIR / f"{name}.mp4", "rb") as handle:
            video.duration_seconds = read_duration_seconds(handle) or 0
            video.file.save(f"{name}.mp4", File(handle), save=False)
        with open(content.MEDIA_DIR / f"{name}.vtt", "rb") as handle:
            video.captions.save(f"{name}.vtt", File(handle), save=False)
        video.save()
    if transcoding_available():
        video_transcode_start(video=video)
    return video


def transcoding_available() -> bool:
    """ffmpeg is installed: without it the demo's videos play their original file (courses_load says how to make
    their renditions later) rather than failing the load."""
    try:
        ffmpeg_check()
    except TranscodingError:
        return False
    return True


def demo_image(name: str, title: str):
    """The Wagtail image for media/NAME.png."""
    image_model = get_image_model()
    image = image_model.objects.filter(title=title).first()
    if image is None:
        with open(content.MEDIA_DIR / f"{name}.png", "rb") as handle:
            image = image_model.objects.create(title=title, file=ImageFile(handle, name=f"{name}.png"))
    return image


def session_get_or_create(region: Region, spec: dict) -> tuple[TrainingSession, bool]:
    day = timezone.localdate() + datetime.timedelta(days=spec["days_from_now"])
    title = spec["title"] % {"year": training_year(_at(day, spec["starts"]))}
    session = TrainingSession.objects.filter(organiser_region=region, title=title).first()
    if session is not None:
        return session, False
    course = CoursePage.objects.filter(slug=spec["course_slug"]).first()
    session = session_create(
        organiser_region=region, title=title, course=course, description=spec["description"],
        starts_at=_at(day, spec["starts"]), ends_at=_at(day, spec["ends"]), venue=spec["venue"],
        capacity=spec["minimum_capacity"], credit_hours=Decimal(spec["credit_hours"]),
    )
    return session, True


def child_directors_in(region: Region) -> list[Person]:
    """People holding a child director post in the region today."""
    posts = Post.objects.current(timezone.localdate()).filter(
        kind=PostKind.CHILD_DIRECTOR, region__code__startswith=region.code
    )
    return list(Person.objects.filter(posts__in=posts).distinct().order_by("pk"))


def session_enrol_all(session: TrainingSession, people: list[Person]) -> int:
    """Enrol everyone, raising the capacity first if they would not fit; returns how many were new."""
    needed = session.enrolments.exclude(person__in=people).count() + len(people)
    if needed > session.capacity:
        session = session_update(session=session, capacity=needed)
    return session_enrol(session=session, people=people)


def _child(parent, slug: str):
    return parent.get_children().filter(slug=slug).first()


def _publish(parent, page):
    """Add the page under ``parent`` and publish it as an editor would, so it has a first revision and
    publication dates."""
    page = parent.add_child(instance=page)
    page.save_revision().publish()
    return page


def _with_video_ids(body: list[dict]) -> list[dict]:
    """The lesson body with each video block's file name replaced by its Video snippet's id."""
    body = copy.deepcopy(body)
    for block in body:
        if block["type"] == "video":
            block["value"]["video"] = demo_video(block["value"]["video"]).pk
    return body


def _at(day: datetime.date, hour_minute: tuple[int, int]) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(*hour_minute)))
