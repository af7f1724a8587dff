"""Benchmark: a lesson page as a trainee opens it (issue 3, §6). Targets: < 30 ms server time, < 10 queries.

Run from the repository root:  .venv/bin/python bench/lesson_page.py [--runs 50] [--keep]

It creates a PostgreSQL database of its own (bench_lessons on 127.0.0.1:5432, user postgres), migrates it,
builds a course of six lessons (the one measured has headings, text, an image, a video with poster and
captions made by ffmpeg, and two knowledge checks), gives 2,000 other trainees progress in it, then times
the lesson page through Django's test client signed in as a child director who has finished two lessons:
the median server time of --runs requests, the SQL queries of one (with where they come from) and the
page's weight. It drops the database unless --keep.
"""
import argparse
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import harness

DATABASE = "bench_lessons"
TIME_TARGET_MS = 30
QUERY_TARGET = 10
OTHER_TRAINEES = 2000

PARAGRAPH = (
    "<p>儿童主任发现儿童遭受或者疑似遭受不法侵害、面临不法侵害危险的，应当立即向公安、民政、教育等有关部门报告。"
    "报告时说明儿童的姓名、年龄、住址、监护人情况，发现的经过和已经采取的措施；不得因为与监护人熟识而拖延。"
    "入户走访时，注意观察儿童的精神状态、身体是否有伤痕、居住环境是否安全，并如实记入儿童档案。</p>"
)


def id_number(index: int) -> str:
    """A valid, unique resident ID number."""
    import datetime

    from academy.organisation import resident_id

    born = datetime.date(1970, 1, 1) + datetime.timedelta(days=index // 1000)
    first_seventeen = f"330106{born:%Y%m%d}{index % 1000:03d}"
    return first_seventeen + resident_id.check_character(first_seventeen)


def small_video(seconds: int = 20) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "video.mp4"  # the MP4 muxer needs a file it can seek in, not a pipe
        subprocess.run(
            ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", f"testsrc=size=320x180:rate=15:duration={seconds}",
             "-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(path)],
            check=True,
        )
        return path.read_bytes()


def small_image() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (1280, 720), (194, 65, 12)).save(buffer, "JPEG")
    return buffer.getvalue()


def build() -> tuple:
    """The site tree, the course, the director and the other trainees' progress."""
    import datetime

    from django.core.files.base import ContentFile
    from django.utils import timezone
    from wagtail.images.models import Image
    from wagtail.models import Page, Site

    from academy.accounts.models import User
    from academy.home.models import HomePage
    from academy.organisation.models import Person, Post, PostKind, Region, Sex
    from courses.models import CourseIndexPage, CoursePage, LessonPage, LessonProgress, Video
    from courses.renditions import video_transcode_start
    from courses.video import read_duration_seconds
    from courses.years import training_year

    root = Page.get_first_root_node()
    home = root.add_child(instance=HomePage(title="首页", slug="bench-home"))
    Site.objects.update_or_create(is_default_site=True, defaults={"hostname": "localhost", "root_page": home})
    catalogue = home.add_child(instance=CourseIndexPage(title="课程", slug="courses"))
    course = catalogue.add_child(instance=CoursePage(
        title="儿童主任履职基础", slug="director-basics", summary="儿童主任的职责与工作方法",
        audience=[PostKind.CHILD_DIRECTOR], credit_hours=4, lessons_in_order=True,
    ))

    poster = Image.objects.create(title="家访", file=ContentFile(small_image(), name="poster.jpg"))
    video_file = ContentFile(small_video(), name="home-visit.mp4")
    video = Video(title="家访示范", file=video_file, poster=poster,
                  captions=ContentFile(b"WEBVTT\n\n00:00.000 --> 00:05.000\n\xe5\xae\xb6\xe8\xae\xbf\n", name="c.vtt"))
    video.duration_seconds = read_duration_seconds(video_file)
    video.save()
    video_transcode_start(video=video)  # its renditions, in process (no broker), as the demo makes them

    lessons = []
    for number in range(1, 7):
        body = [("heading", {"text": f"第{number}节 要点", "size": "h2"})] + [("paragraph", PARAGRAPH)] * 6
        if number == 3:
            body += [
                ("image", {"image": poster, "decorative": True, "alt_text": ""}),
                ("video", {"video": video, "caption": "入户走访示范"}),
                ("callout", {"tone": "tip", "title": "提示", "body": "<p>走访后当天填写记录。</p>"}),
                ("knowledge_check", {
                    "question": "发现儿童遭受侵害，应当何时报告？",
                    "options": [{"text": "一周内", "is_correct": False}, {"text": "立即", "is_correct": True}],
                    "explanation": "应当立即报告。",
                }),
                ("knowledge_check", {
                    "question": "走访时应当观察哪些情况？",
                    "options": [{"text": "精神状态", "is_correct": True}, {"text": "身体伤痕", "is_correct": True},
                                {"text": "家里电视品牌", "is_correct": False}],
                    "explanation": "",
                }),
            ]
        lessons.append(course.add_child(instance=LessonPage(
            title=f"第{number}课", slug=f"lesson-{number}", min_study_minutes=3, body=body,
        )))

    village = Region.objects.create(
        code="330106002901", name="基准村", level="village", parent_id="330106002", is_synthetic=True
    )
    people = []
    for index in range(OTHER_TRAINEES + 1):
        person = Person(name=f"学员{index}", sex=Sex.FEMALE, mobile=f"139{index:08d}")
        person.set_id_number(id_number(index))
        people.append(person)
    people = Person.objects.bulk_create(people)
    Post.objects.bulk_create([
        Post(person=person, kind=PostKind.CHILD_DIRECTOR, region=village, start_date=datetime.date(2023, 1, 1))
        for person in people
    ])
    director, others = people[0], people[1:]
    year, now = training_year(), timezone.now()
    LessonProgress.objects.bulk_create(
        [LessonProgress(person=person, lesson=lesson, year=year, study_seconds=200, completed_at=now)
         for person in others for lesson in lessons[:2]]
        + [LessonProgress(person=director, lesson=lesson, year=year, completed_at=now) for lesson in lessons[:2]]
    )
    user = User.objects.create(username="director", phone=director.mobile, person=director)
    return user, lessons[2]


def origin(sql: str) -> str:
    """Which part of the request a query belongs to, for the breakdown."""
    table = sql.split(" FROM ", 1)[1].split()[0].strip('"') if " FROM " in sql else sql.split()[0]
    return table


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    arguments = parser.parse_args()
    if shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None:
        # The lesson's video and its renditions are made with ffmpeg, as the platform makes them.
        print("ffmpeg is missing: install Debian's package with `apt-get install ffmpeg` (README), then run again.",
              file=sys.stderr)
        return 2

    harness.database_create(DATABASE)
    with tempfile.TemporaryDirectory() as media_root:
        harness.django_set_up(harness.environment(harness.database_url(DATABASE), MEDIA_ROOT=media_root))
        try:
            from django.db import connection
            from django.test import Client
            from django.test.utils import CaptureQueriesContext

            from django.urls import reverse

            started = time.perf_counter()
            harness.migrate()
            user, lesson = build()
            print(f"built in {time.perf_counter() - started:.0f} s: six lessons, {OTHER_TRAINEES} other trainees")

            client = Client()
            # Signed in as trainees are, through allauth's backend (the user comes with their person).
            client.force_login(user, backend="academy.accounts.backends.AuthenticationBackend")
            url = reverse("courses:lesson", args=[lesson.pk])  # where trainees open lessons
            for _ in range(3):  # the first visit opens the lesson and makes the poster's rendition
                assert client.get(url).status_code == 200

            timings, cpu_timings = [], []
            for _ in range(arguments.runs):
                started, cpu_started = time.perf_counter(), time.process_time()
                response = client.get(url)
                timings.append(1000 * (time.perf_counter() - started))
                cpu_timings.append(1000 * (time.process_time() - cpu_started))
                assert response.status_code == 200
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            median = statistics.median(timings)
            count = len(queries.captured_queries)

            print(f"\nlesson page {url} ({len(response.content) / 1024:.1f} KB of HTML)")
            print(f"{'median server time':<24}{median:>8.1f} ms   target < {TIME_TARGET_MS} ms   "
                  f"{'ok' if median < TIME_TARGET_MS else 'MISSED'}")
            print(f"{'fastest / slowest':<24}{min(timings):>8.1f} / {max(timings):.1f} ms")
            print(f"{'median Python CPU time':<24}{statistics.median(cpu_timings):>8.1f} ms   "
                  f"(machine load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
            print(f"{'SQL queries':<24}{count:>8}      target < {QUERY_TARGET}      "
                  f"{'ok' if count < QUERY_TARGET else 'MISSED'}")
            print("queries by table:", ", ".join(
                f"{table} {number}" for table, number in Counter(origin(q["sql"]) for q in queries.captured_queries).items()
            ))
        finally:
            from django.db import connections

            connections.close_all()
            if not arguments.keep:
                harness.database_drop(DATABASE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
