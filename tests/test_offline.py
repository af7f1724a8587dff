"""academy/offline.py: the service worker, the web app manifest and the offline page, as the browser receives
them; what the worker may keep (lesson pages and static files, never a personal page). The worker at work, in
Chromium, is tests/browser/test_offline.py."""
import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse
from PIL import Image

from academy import offline
from tests.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db


def worker_config(response) -> dict:
    """The configuration the view puts before sw.js."""
    source = response.content.decode()
    match = re.match(r"var CONFIG = (\{.*?\});\n", source)
    assert match, source[:200]
    return json.loads(match.group(1))


# Every page holding personal data that a role reaches: none may be kept by the worker.
PERSONAL_PAGES = [
    ("courses:my_learning", []), ("courses:transcript", []), ("courses:transcript_pdf", []), ("accounts:home", []),
    ("accounts:notifications", []), ("organisation:person_list", []), ("organisation:person_detail", [7]),
    ("organisation:audit_list", []), ("analytics:home", []), ("analytics:people_list", []),
    ("certification:home", []), ("courses:session_list", []), ("courses:lesson_heartbeat", [7]),
    ("courses:check_in", []), ("account_login", []),
]


def test_the_worker_is_served_from_the_root_with_its_scope_and_no_caching():
    response = Client().get("/sw.js")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response["Cache-Control"]
    # The site's strict policy applies to the worker's own requests too.
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "addEventListener(\"fetch\"" in response.content.decode()


def test_an_unchanged_worker_answers_304():
    first = Client().get("/sw.js")
    again = Client().get("/sw.js", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304


def test_the_worker_keeps_lesson_pages_and_static_files_and_no_personal_page():
    config = worker_config(Client().get("/sw.js"))
    lesson_pattern = re.compile(config["lessonPattern"])

    assert lesson_pattern.match(reverse("courses:lesson", args=[12]))
    for name, args in PERSONAL_PAGES:
        assert not lesson_pattern.match(reverse(name, args=args)), name
    # What it fetches when it installs: static files that exist, and nothing else.
    for name, url in config["precache"].items():
        assert url.startswith("/static/") and finders.find(name), url
    assert config["offlineUrl"] == "/offline/"
    assert config["signOutPath"] == reverse("account_logout")
    # Only the platform's own static folders are kept, not the CMS's.
    assert set(config["staticFolders"]) == {"css", "fonts", "icons", "js"}
    assert config["staticCache"] == config["staticCachePrefix"] + config["version"]
    assert {config["lessonsCache"], config["videosCache"]}.isdisjoint({config["staticCache"]})


def test_the_static_cache_is_versioned_by_the_static_files(settings, tmp_path):
    (tmp_path / "extra").mkdir()
    (tmp_path / "extra" / "print.css").write_text("body { color: black; }")
    settings.STATICFILES_DIRS = [*settings.STATICFILES_DIRS, tmp_path]
    before = offline.static_version()
    first = Client().get("/sw.js")

    (tmp_path / "extra" / "print.css").write_text("body { color: navy; margin: 0; }")

    assert offline.static_version() != before
    second = Client().get("/sw.js", HTTP_IF_NONE_MATCH=first["ETag"])
    assert second.status_code == 200  # a new worker: browsers install it, and it replaces the old cache
    assert worker_config(second)["staticCache"] != worker_config(first)["staticCache"]


def test_the_manifest_names_the_platform_in_chinese_with_its_icons():
    response = Client().get("/manifest.webmanifest")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["name"] == "儿童福利人才培训认证平台"
    assert manifest["short_name"] == "儿童福利培训"
    assert manifest["lang"] == "zh-CN"
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == ("/learn/", "/", "standalone")
    purposes = set()
    for icon in manifest["icons"]:
        path = finders.find(icon["src"].removeprefix("/static/"))
        with Image.open(path) as image:
            assert f"{image.width}x{image.height}" == icon["sizes"]
            assert image.format == "PNG"
        purposes.add(icon["purpose"])
    # What Chrome asks of an installable site: a 192 and a 512 px icon, one of them maskable.
    assert {icon["sizes"] for icon in manifest["icons"]} >= {"192x192", "512x512"}
    assert purposes == {"any", "maskable"}


def test_the_offline_page_is_in_chinese_and_holds_nobody_s_data(client):
    person = PersonFactory(name="李春燕")
    client.force_login(UserFactory(person=person))

    response = client.get("/offline/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "没有网络" in html and "已保存在本机的课时" in html
    assert "李春燕" not in html
    assert 'action="/accounts/logout/"' not in html


def test_every_page_registers_the_worker_and_names_whose_lessons_it_keeps(client):
    anonymous = client.get("/accounts/login/").content.decode()
    assert '<link rel="manifest" href="/manifest.webmanifest">' in anonymous
    assert "/static/js/offline.js" in anonymous
    assert _offline_config(anonymous)["owner"] == ""
    assert "data-install-banner" not in anonymous  # the install banner is for people signed in

    first, second = UserFactory(), UserFactory()
    client.force_login(first)
    page = client.get(reverse("accounts:home")).content.decode()
    owner = _offline_config(page)["owner"]
    assert owner and owner == offline.offline_owner(first)
    assert str(first.pk) not in owner
    assert owner != offline.offline_owner(second)
    assert re.search(r"<aside [^>]*data-install-banner hidden", page)


def _offline_config(html: str) -> dict:
    match = re.search(r'<script id="offline-config" type="application/json">(.*?)</script>', html)
    return json.loads(match.group(1))


def test_with_hashed_file_names_the_version_is_the_manifest_s_hash(settings, tmp_path):
    # What collectstatic leaves in production (whitenoise's CompressedManifestStaticFilesStorage).
    (tmp_path / "staticfiles.json").write_text(json.dumps(
        {"paths": {"css/site.css": "css/site.0a1b2c3d4e5f.css"}, "version": "1.1", "hash": "9f8e7d6c5b4a3210"}
    ))
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }

    assert offline.static_version() == "9f8e7d6c5b4a"


def test_the_icons_are_small():
    # Each is fetched when the platform is added to a phone's home screen.
    for name, _sizes, _purpose in offline.ICONS:
        with open(finders.find(name), "rb") as handle:
            assert len(handle.read()) < 20_000, name
