"""Issue 13 §3 in Chromium: a village director in WeChat (390×844) on a throttled mobile connection (1.6 Mbit/s,
150 ms round trip, cellular, through the DevTools protocol's Network.emulateNetworkConditions) opens a video
lesson: not a byte of video comes before she presses play; she plays the low rendition (流畅), switches to 标清
and goes on from where she was, and the choice is remembered. The renditions are made by the real job with the
real ffmpeg from a demo video (37 s, 640×360), and the media are served with Range requests (206)."""
import pytest
from django.core.files import File

from academy.demo import content
from academy.organisation.models import PostKind
from courses.models import CourseIndexPage, CoursePage, LessonPage, LessonProgress, Video
from courses.renditions import video_transcode_start
from courses.video import read_duration_seconds

from .helpers import console_problems, press_play, sign_in

DEMO_VIDEO = content.MEDIA_DIR / "director-home-visit.mp4"
THROTTLED = {  # a village's 4G: 1.6 Mbit/s down, 750 kbit/s up, 150 ms round trip
    "offline": False, "latency": 150, "downloadThroughput": 1_600_000 / 8, "uploadThroughput": 750_000 / 8,
    "connectionType": "cellular4g",
}


@pytest.fixture
def media_through_the_site(media_served, settings):
    """Media served by the site itself, through its middleware (academy.middleware.RangeRequestMiddleware), as in
    DEBUG: the live server answers /media/ on its own, without the site's middleware."""
    settings.MEDIA_URL = "/site-media/"


@pytest.fixture
def video_lesson(site_home, media_through_the_site):
    catalogue = site_home.add_child(instance=CourseIndexPage(title="课程", slug="courses"))
    course = catalogue.add_child(instance=CoursePage(
        title="入户走访", slug="home-visits", summary="入户走访的方法。", audience=[PostKind.CHILD_DIRECTOR],
        credit_hours=1, pass_mark=60,
    ))
    with open(DEMO_VIDEO, "rb") as handle:
        video = Video.objects.create(
            title="走访示范", file=File(handle, name="visit.mp4"), duration_seconds=read_duration_seconds(handle)
        )
    job = video_transcode_start(video=video)  # autocommit: the job runs in process at once
    job.refresh_from_db()
    assert job.status == job.Status.DONE, job.failure_message
    video.refresh_from_db()
    lesson = course.add_child(instance=LessonPage(
        title="走访示范", slug="visit-video", min_study_minutes=1,
        body=[("video", {"video": video, "caption": "走访示范"})],
    ))
    return lesson, video


@pytest.fixture
def throttled_wechat(wechat_phone):
    page = wechat_phone
    page.set_default_timeout(20000)
    session = page.context.new_cdp_session(page)
    session.send("Network.enable")
    session.send("Network.emulateNetworkConditions", THROTTLED)
    return page


def test_a_throttled_phone_fetches_no_video_before_play_then_plays_low_and_switches_keeping_its_place(
    live_server, settings, video_lesson, director, throttled_wechat, screenshot
):
    settings.COURSES_HEARTBEAT_SECONDS = 1
    lesson, video = video_lesson
    low, standard = video.renditions.get(quality="low"), video.renditions.get(quality="standard")
    page = throttled_wechat
    problems = console_problems(page)
    sign_in(page, live_server.url, "13957100001")
    video_answers = []  # (path, status, bytes) of every answer carrying video
    page.on("response", lambda response: video_answers.append(
        (response.url.split(live_server.url)[-1], response.status, int(response.headers.get("content-length", 0)))
    ) if response.url.endswith(".mp4") else None)

    page.goto(f"{live_server.url}/learn/lessons/{lesson.pk}/")
    player = page.locator("video[data-block-id]")
    page.wait_for_load_state("load")
    page.wait_for_timeout(1500)  # heartbeats go and come back meanwhile; the video must not
    assert player.get_attribute("preload") == "none"
    assert player.get_attribute("poster") == video.poster_frame.url  # the small JPEG made by the job
    # On a cellular connection the page picked 流畅, and fetched nothing of it.
    page.wait_for_function(f"() => document.querySelector('video').getAttribute('src') === '{low.file.url}'")
    assert page.get_by_role("button", name="流畅").get_attribute("aria-pressed") == "true"
    assert video_answers == []
    screenshot(page, "video-1-lesson-before-play-throttled-wechat")

    press_play(player)
    page.wait_for_function("() => document.querySelector('video').currentTime >= 4", timeout=30000)
    assert {path for path, _status, _size in video_answers} == {low.file.url}
    # The server answers byte ranges, as iOS and WeChat need to play and seek (the page's own requests go
    # through the service worker, which passes them on).
    ranged = page.request.get(live_server.url + low.file.url, headers={"Range": "bytes=1000-1999"})
    assert ranged.status == 206 and ranged.headers["content-range"] == f"bytes 1000-1999/{low.size_bytes}"
    assert len(ranged.body()) == 1000
    block_id = player.get_attribute("data-block-id")

    # 标清: the other file, from the same point, still playing.
    before = page.evaluate("document.querySelector('video').currentTime")
    page.get_by_role("button", name="标清").click()
    page.wait_for_function(
        f"() => {{ const video = document.querySelector('video'); return video.currentSrc.endsWith('{standard.file.url}')"
        f" && !video.paused && video.currentTime >= {before} + 1; }}",
        timeout=30000,
    )
    assert page.evaluate("localStorage.getItem('academy.video.quality')") == "standard"
    screenshot(page, "video-2-switched-to-standard-throttled-wechat")
    page.wait_for_function("() => document.querySelector('video').currentTime >= 12", timeout=30000)

    # Progress belongs to the video block, whichever file played: watched without a jump back to 0.
    page.evaluate("document.querySelector('video').pause()")
    page.wait_for_function("() => !Object.keys(localStorage).some((key) => key.startsWith('academy.heartbeats.')"
                           " && JSON.parse(localStorage.getItem(key)).length)")
    progress = LessonProgress.objects.get(person=director.person, lesson=lesson)
    assert list(progress.videos) == [block_id]
    assert progress.videos[block_id]["furthest"] >= 10

    # Opened again, the choice is remembered, and still nothing loads before play.
    video_answers.clear()
    page.reload()
    page.wait_for_load_state("load")
    page.wait_for_timeout(1500)
    assert player.get_attribute("src") == standard.file.url
    assert page.get_by_role("button", name="标清").get_attribute("aria-pressed") == "true"
    assert video_answers == []
    assert problems == []
