"""Issue 13 §5: a lesson opened once reads offline, in WeChat on a phone (390×844).

The service worker (sw.js, served by academy/offline.py) keeps the lessons the trainee opened with their images
and the platform's static files; without a network such a lesson opens with its text and its study time is
kept by the page (lesson.js) until the network returns; a page never opened shows the offline page in Chinese,
listing what is kept. A video is kept only when she asks, and plays offline from the cache; signing out
deletes the kept lessons and videos. The network is cut with Playwright's context.set_offline(True), which
the worker's own requests obey too. The live server answers at http://localhost, a secure context, where
browsers allow service workers.
"""
import io
from pathlib import Path

import pytest
from django.core.files import File
from django.core.files.images import ImageFile
from PIL import Image as PillowImage
from wagtail.images.models import Image

from academy.organisation.models import PostKind
from courses.models import CourseIndexPage, CoursePage, LessonPage, LessonProgress, Video
from courses.video import read_duration_seconds

from .helpers import console_problems, sign_in

VIDEO_FILE = Path(__file__).resolve().parents[1] / "data" / "short.mp4"
LESSON_TEXT = "走访前，先查看儿童信息，约好时间，带好走访记录表。"
KEPT_LESSONS = "academy-lessons"
KEPT_VIDEOS = "academy-videos"


@pytest.fixture
def offline_course(site_home, media_served):
    """Three lessons: text with a picture, text only, and a 4-second video."""
    picture = io.BytesIO()
    PillowImage.new("RGB", (320, 180), (21, 128, 61)).save(picture, "PNG")
    image = Image.objects.create(title="走访记录表", file=ImageFile(picture, name="visit-form.png"))
    catalogue = site_home.add_child(instance=CourseIndexPage(title="课程", slug="courses"))
    course = catalogue.add_child(instance=CoursePage(
        title="入户走访", slug="home-visits", summary="入户走访的方法。", audience=[PostKind.CHILD_DIRECTOR],
        credit_hours=1, pass_mark=60,
    ))
    course.add_child(instance=LessonPage(
        title="走访前的准备", slug="preparing", min_study_minutes=1,
        body=[("paragraph", f"<p>{LESSON_TEXT}</p>"),
              ("image", {"image": image, "alt_text": "走访记录表", "decorative": False})],
    ))
    course.add_child(instance=LessonPage(
        title="走访中的沟通", slug="talking", min_study_minutes=1,
        body=[("paragraph", "<p>先听孩子说，再和监护人谈。</p>")],
    ))
    with open(VIDEO_FILE, "rb") as handle:
        video = Video.objects.create(
            title="走访示范", file=File(handle, name="visit.mp4"), duration_seconds=read_duration_seconds(handle)
        )
    course.add_child(instance=LessonPage(
        title="走访示范", slug="visit-video", min_study_minutes=1,
        body=[("video", {"video": video, "caption": "走访示范"})],
    ))
    return course


def kept(page, cache_name: str) -> list[str]:
    """The addresses (paths) kept in one of the worker's caches."""
    return page.evaluate(
        "async (name) => (await (await caches.open(name)).keys()).map((request) => new URL(request.url).pathname)",
        cache_name,
    )


def wait_until_kept(page, cache_name: str, path: str):
    page.wait_for_function(
        "async ([name, path]) => (await (await caches.open(name)).keys())"
        ".some((request) => new URL(request.url).pathname === path)",
        arg=[cache_name, path],
    )


def test_a_lesson_opened_once_reads_offline_and_its_study_counts_when_the_network_returns(
    live_server, settings, offline_course, director, wechat_phone, screenshot
):
    settings.COURSES_HEARTBEAT_SECONDS = 1
    page = wechat_phone
    problems = console_problems(page)
    first, second, _video = offline_course.lessons()
    first_path, second_path = f"/learn/lessons/{first.pk}/", f"/learn/lessons/{second.pk}/"
    sign_in(page, live_server.url, "13957100001")

    # The worker controls the whole site, and Chrome finds the platform installable (manifest, icons, worker).
    assert page.evaluate("navigator.serviceWorker.ready.then((registration) => registration.scope)") == (
        live_server.url + "/"
    )
    cdp = page.context.new_cdp_session(page)
    installability = [error["errorId"] for error in cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]]
    assert installability in ([], ["in-incognito"])  # Playwright's contexts are incognito: nothing else stands in the way
    assert cdp.send("Page.getAppManifest")["errors"] == []

    # Opened once, with a signal: the lesson, its picture and the platform's files are kept.
    page.goto(live_server.url + first_path)
    wait_until_kept(page, KEPT_LESSONS, first_path)
    picture = page.locator(".lesson-body img").evaluate("image => new URL(image.currentSrc).pathname")
    wait_until_kept(page, KEPT_LESSONS, picture)
    # Three heartbeats reach the server; the kept copy of the page still names the sequence number of its day.
    page.wait_for_function(
        "() => !Object.keys(localStorage).some((key) => key.startsWith('academy.heartbeats.'))"
        " && Object.keys(localStorage).some((key) => key.startsWith('academy.sequence.')"
        " && Number(localStorage.getItem(key)) >= 3)"
    )
    online = LessonProgress.objects.get(person=director.person, lesson=first)
    assert online.last_sequence >= 3
    # My learning holds personal data: never kept.
    page.goto(live_server.url + "/learn/")
    assert "/learn/" not in kept(page, KEPT_LESSONS)

    page.context.set_offline(True)
    page.goto(live_server.url + first_path)
    assert page.locator("h1").inner_text() == "走访前的准备"
    assert page.get_by_text(LESSON_TEXT).is_visible()
    assert page.locator(".lesson-body img").evaluate("image => image.complete && image.naturalWidth") == 320
    assert page.locator(".site-header").evaluate("header => getComputedStyle(header).backgroundColor") == "rgb(194, 65, 12)"
    notice = page.locator("[data-lesson-offline]")
    notice.wait_for(state="visible")
    assert notice.inner_text() == "网络已断开，学习进度已保存在本机，恢复网络后自动上传，不会丢失。"
    page.wait_for_function("() => Object.keys(localStorage).filter((key) => key.startsWith('academy.heartbeats.'))"
                           ".reduce((count, key) => count + JSON.parse(localStorage.getItem(key)).length, 0) >= 4")
    screenshot(page, "offline-1-lesson-kept-wechat-phone")

    # A lesson never opened, and My learning: the offline page, in Chinese, listing what is kept.
    page.goto(live_server.url + second_path)
    assert page.locator("h1").inner_text() == "没有网络"
    assert page.get_by_text("这个页面没有保存在本机，需要联网才能打开。请检查网络后重试。").is_visible()
    kept_link = page.locator("[data-offline-lessons] a")
    kept_link.wait_for()
    assert kept_link.all_inner_texts() == ["走访前的准备"]
    screenshot(page, "offline-2-page-not-kept-wechat-phone")
    page.goto(live_server.url + "/learn/")
    assert page.locator("h1").inner_text() == "没有网络"

    # Back online, the lesson sends what it kept: the study offline counts (its sequence numbers go on
    # after those sent with a signal, although the kept copy of the page is older).
    page.context.set_offline(False)
    page.goto(live_server.url + first_path)
    page.wait_for_function("() => !Object.keys(localStorage).some((key) => key.startsWith('academy.heartbeats.'))")
    after = LessonProgress.objects.get(person=director.person, lesson=first)
    assert after.last_sequence >= online.last_sequence + 4
    assert after.study_seconds >= online.study_seconds + 3
    assert all("ERR_INTERNET_DISCONNECTED" in problem for problem in problems), problems


def test_a_kept_video_plays_offline_and_signing_out_forgets_what_was_kept(
    live_server, offline_course, director, wechat_phone, screenshot
):
    page = wechat_phone
    first, _second, video_lesson = offline_course.lessons()
    video_path = f"/learn/lessons/{video_lesson.pk}/"
    sign_in(page, live_server.url, "13957100001")
    page.evaluate("navigator.serviceWorker.ready")
    page.goto(live_server.url + f"/learn/lessons/{first.pk}/")
    page.goto(live_server.url + video_path)

    keep = page.get_by_role("button", name="保存视频以便离线观看")
    keep.wait_for()
    size = VIDEO_FILE.stat().st_size
    assert keep.inner_text() == f"保存视频以便离线观看（{size / 1024:.1f}\xa0KB）"  # filesizeformat joins with a no-break space
    keep.click()
    page.get_by_text("视频已保存在本机").wait_for()
    assert kept(page, KEPT_VIDEOS) == [page.locator("video").evaluate("video => new URL(video.src).pathname")]
    screenshot(page, "offline-3-video-kept-wechat-phone")

    page.context.set_offline(True)
    page.goto(live_server.url + video_path)
    page.locator("video").evaluate("video => { video.muted = true; return video.play(); }")
    page.wait_for_function("() => document.querySelector('video').currentTime > 1")
    screenshot(page, "offline-4-video-plays-offline-wechat-phone")

    # Removing it frees the space; offline, the page then says the video needs the network.
    page.get_by_role("button", name="删除已保存的视频").click()
    page.get_by_text("没有网络时无法播放这个视频").wait_for()
    assert kept(page, KEPT_VIDEOS) == []
    assert page.get_by_role("button", name="保存视频以便离线观看").is_hidden()  # it cannot be kept offline

    # Keep it again, then sign out: nothing of this person stays on the phone.
    page.context.set_offline(False)
    page.get_by_role("button", name="保存视频以便离线观看").click()
    page.get_by_text("视频已保存在本机").wait_for()
    page.locator("details.menu summary").click()
    with page.expect_navigation():
        page.locator("nav.menu-panel form[action='/accounts/logout/'] button").click()
    page.wait_for_function(f"async () => !(await caches.has('{KEPT_LESSONS}')) && !(await caches.has('{KEPT_VIDEOS}'))")
    page.context.set_offline(True)
    page.goto(live_server.url + f"/learn/lessons/{first.pk}/")
    assert page.locator("h1").inner_text() == "没有网络"
    page.locator("[data-offline-none]").wait_for()


def test_the_install_prompt_is_in_chinese_and_stays_dismissed(live_server, offline_course, director, wechat_phone):
    """Where the browser offers to install the site (Chrome on Android fires beforeinstallprompt; WeChat does
    not), a banner says what it is for; dismissed, it does not come back."""
    page = wechat_phone
    sign_in(page, live_server.url, "13957100001")
    banner = page.locator("[data-install-banner]")
    assert banner.is_hidden()

    page.evaluate("window.dispatchEvent(new Event('beforeinstallprompt', { cancelable: true }))")
    banner.wait_for()
    assert "把本平台添加到手机桌面" in banner.inner_text()
    assert page.get_by_role("button", name="添加到桌面").is_visible()
    page.get_by_role("button", name="暂不添加").click()
    assert banner.is_hidden()

    page.reload()
    page.evaluate("window.dispatchEvent(new Event('beforeinstallprompt', { cancelable: true }))")
    assert banner.is_hidden()
