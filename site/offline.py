"""A lesson opened once reads offline (issue 13 §5): the service worker, the web app manifest and the offline
page, all served from the site's root so that the worker's scope is the whole site.

What the worker (site/static/js/sw.js) keeps, and nothing else:
- the platform's static files, in a cache named after their version (the manifest's hash in production, a
  digest of the files otherwise): a deployment with new files makes a new cache, and the worker deletes the
  others when it takes over;
- the lesson pages the trainee opened (/learn/lessons/<id>/) and their images, in LESSONS_CACHE;
- the videos she chose to keep, in VIDEOS_CACHE: the file she was playing (the 流畅 or 标清 rendition, or the
  original while there are none), which the lesson page then plays first (video.js).
My learning, transcripts, management pages, exports and everything else with personal data are never kept.
The kept lessons and videos are deleted when she signs out, and when a page of someone else (or of nobody
signed in) opens on the same browser (``offline_owner``). Heartbeats made offline wait in the lesson page's own
queue (lesson.js) until the network returns.

The offline page is the same for everybody: it is rendered as for a visitor, so it holds nobody's data.
"""
import hashlib
import json
import os
import re

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import etag

LESSONS_CACHE = "academy-lessons"
VIDEOS_CACHE = "academy-videos"
STATIC_CACHE_PREFIX = "academy-static-"
# Static files every lesson page and the offline page need, cached when the worker installs. Any other static
# file a lesson page asks for is cached the first time it is fetched.
PRECACHED_STATIC = [
    "css/site.css", "js/site.js", "js/offline.js", "js/lesson.js", "js/video.js",
    "icons/favicon.ico", "icons/favicon.svg", "icons/icon-192.png",
]
ICONS = [
    ("icons/icon-192.png", "192x192", "any"),
    ("icons/icon-512.png", "512x512", "any"),
    ("icons/icon-maskable-512.png", "512x512", "maskable"),
]
THEME_COLOUR = "#c2410c"
BACKGROUND_COLOUR = "#f5f7fa"


def static_version() -> str:
    """A short digest that changes whenever a static file does. With hashed file names (production) it is
    the manifest's own hash; otherwise each of our static files' name, size and time of change."""
    manifest_hash = getattr(staticfiles_storage, "manifest_hash", "")
    if manifest_hash:
        return manifest_hash[:12]
    digest = hashlib.sha256()
    for folder in settings.STATICFILES_DIRS:
        for root, _folders, files in sorted(os.walk(folder)):
            for name in sorted(files):
                stat = os.stat(os.path.join(root, name))
                digest.update(f"{os.path.relpath(os.path.join(root, name), folder)}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    return digest.hexdigest()[:12]


def static_folders() -> list[str]:
    """The top folders of the platform's own static files (css, js, icons...): the CMS's are not kept."""
    return sorted({entry.name for folder in settings.STATICFILES_DIRS for entry in os.scandir(folder) if entry.is_dir()})


def lesson_path_pattern() -> str:
    """The addresses of lesson pages as a JavaScript regular expression: the only pages the worker keeps."""
    prefix = reverse("courses:lesson", args=[0]).removesuffix("0/")
    return "^" + re.escape(prefix) + r"\d+/$"


def worker_config() -> dict:
    """What the service worker is told about the site (prepended to sw.js)."""
    version = static_version()
    return {
        "version": version,
        "staticCache": STATIC_CACHE_PREFIX + version,
        "staticCachePrefix": STATIC_CACHE_PREFIX,
        "lessonsCache": LESSONS_CACHE,
        "videosCache": VIDEOS_CACHE,
        "precache": {name: static(name) for name in PRECACHED_STATIC},
        "staticUrl": settings.STATIC_URL,
        "staticFolders": static_folders(),
        "offlineUrl": reverse("offline"),
        "lessonPattern": lesson_path_pattern(),
        "signOutPath": reverse("account_logout"),
    }


def _worker_source() -> str:
    config = json.dumps(worker_config(), ensure_ascii=False, sort_keys=True)
    with open(finders.find("js/sw.js"), encoding="utf-8") as handle:
        return f"var CONFIG = {config};\n{handle.read()}"


def _worker_etag(request) -> str:
    return hashlib.sha256(_worker_source().encode()).hexdigest()[:16]


@etag(_worker_etag)
@cache_control(no_cache=True)
def service_worker(request):
    """/sw.js: the worker with its configuration. Served from the root, its scope is the whole site (said
    again by Service-Worker-Allowed). Browsers ask for it again on every visit, so it answers 304 when unchanged."""
    response = HttpResponse(_worker_source(), content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    return response


@cache_control(max_age=24 * 60 * 60)
def manifest(request):
    """/manifest.webmanifest: the name, icons and colours of the platform installed on a phone's home
    screen; it opens on My learning."""
    data = {
        "name": _("Child Welfare Workforce Academy"),
        "short_name": _("Welfare training"),
        "description": _("Training and skill certification of the child-welfare workforce."),
        "lang": "zh-CN" if request.LANGUAGE_CODE == "zh-hans" else request.LANGUAGE_CODE,
        "start_url": reverse("courses:my_learning"),
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": [
            {"src": static(name), "sizes": sizes, "type": "image/png", "purpose": purpose}
            for name, sizes, purpose in ICONS
        ],
    }
    return JsonResponse(
        data, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False}
    )


def offline_page(request):
    """/offline/: what a page not kept on the phone shows without a network, and the list of the lessons
    that are kept (read from the cache by offline.js). Rendered as for a visitor: the same for everybody."""
    request.user = AnonymousUser()
    return render(request, "offline.html", {"is_offline_page": True})


def offline_owner(user) -> str:
    """Whose lessons the browser keeps: a digest of the signed-in user, empty for a visitor. Not the user's
    id itself, which the page has no need to show."""
    if not user.is_authenticated:
        return ""
    return salted_hmac("academy.offline.owner", str(user.pk)).hexdigest()[:20]


def offline(request) -> dict:
    """Context processor: what offline.js needs on every page (see base.html)."""
    user = getattr(request, "user", None)
    return {
        "offline_config": {
            "worker": reverse("service_worker"),
            "owner": offline_owner(user) if user is not None else "",
            "lessonsCache": LESSONS_CACHE,
            "videosCache": VIDEOS_CACHE,
            "lessonPattern": lesson_path_pattern(),
        },
    }
