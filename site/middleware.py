import re
import secrets

from csp.constants import UNSAFE_INLINE
from csp.middleware import CSPMiddleware
from django.conf import settings
from django.core.handlers.exception import convert_exception_to_response
from django.core.signals import request_finished
from django.dispatch import receiver
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.middleware.locale import LocaleMiddleware
from django.urls import Resolver404, get_resolver
from django.utils import translation
from django.utils.http import parse_http_date_safe
from django.utils.module_loading import import_string
from whitenoise.middleware import WhiteNoiseMiddleware

from .request_id import request_id_new, request_id_var

CMS_PREFIX = "/cms/"


class DemoMediaWhiteNoiseMiddleware(WhiteNoiseMiddleware):
    """WhiteNoise, which in the demo (DEBUG) also serves the media folder: unlike Django's static view it
    answers HTTP Range requests, without which iOS Safari and WeChat cannot play or seek lesson videos.
    In production the proxy serves media (README, deployment)."""

    def __init__(self, get_response=None):
        super().__init__(get_response)
        if settings.DEBUG:
            self.add_files(settings.MEDIA_ROOT, prefix=settings.MEDIA_URL)


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's policy (CONTENT_SECURITY_POLICY), with inline script and style allowed under /cms/ only.
    Wagtail's admin writes inline <script> elements (wagtailadmin/widgets/date_input.html,
    panels/inline_panel.html, panels/multiple_chooser_panel.html) and cannot work without them. The CMS is open
    to content editors and system administrators only, after signing in; every other page keeps the strict
    policy."""

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only)
        if request.path_info.startswith(CMS_PREFIX) and parts.update is None:
            parts.update = {"script-src": [UNSAFE_INLINE], "style-src": [UNSAFE_INLINE]}
        return parts


class RequestIdMiddleware:
    """Gives each request an id for its log lines (academy/observability.py) and sends it back in X-Request-ID,
    so that a trainee's "it failed at 10:02" can be found in the logs. nginx's $request_id is taken when sent."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_new(request.headers.get("X-Request-ID", ""))
        # Kept until the request is finished (below), not only while the middleware runs: Django logs a 404 or
        # a 500 after the last middleware has returned.
        request_id_var.set(request_id)
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


@receiver(request_finished, dispatch_uid="academy.forget_request_id")
def _forget_request_id(**kwargs):
    request_id_var.set("-")


class ChosenLanguageMiddleware(LocaleMiddleware):
    """Chinese unless the person chose English with the language switch (its cookie). The browser's own language
    is not asked: an English-language PC in a civil-affairs office still gets the Chinese interface, as promised."""

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        try:
            language = translation.get_supported_language_variant(chosen) if chosen else settings.LANGUAGE_CODE
        except LookupError:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


# --- HTTP Range requests -----------------------------------------------------------------------------------

RANGE_SPEC = re.compile(r"^\s*(\d*)\s*-\s*(\d*)\s*$")
# More ranges than this in one request (after merging those that overlap) is not a player asking: the whole file.
MAX_RANGES = 16
READ_BLOCK = 64 * 1024
# The headers of the whole file a part keeps (its length and, in a multipart answer, its type are its own).
PART_DROPS = {"content-length", "content-type"}


class RangeRequestMiddleware:
    """HTTP Range requests (RFC 9110 §14) answered for every file Django serves itself: media through Django's
    static view (DEBUG, the browser tests), WhiteNoise (static files, and media in the demo: this also answers the
    multi-range requests it leaves whole), and private files handed out by academy.storage.private_file_response.
    iOS Safari and WeChat play a video only from a server that answers ranges, and seek by them. Files in object
    storage are fetched from the storage, which answers ranges itself; behind nginx, nginx does (README).

    A file answered whole (200) says ``Accept-Ranges: bytes``; a range gets 206 with Content-Range; several get
    one multipart/byteranges answer (those that overlap or touch merged); ranges all beyond the end get 416
    naming the size; a Range header that does not parse, or an If-Range naming another version of the file, gets
    the whole file, as the RFC says."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method not in ("GET", "HEAD") or response.status_code != 200:
            return response
        if not isinstance(response, FileResponse) or response.has_header("Content-Encoding"):
            return response
        file = response.file_to_stream
        size = response.get("Content-Length")
        if file is None or size is None or not _seekable(file):
            return response
        size = int(size)
        response["Accept-Ranges"] = "bytes"
        header = request.headers.get("Range")
        if request.method != "GET" or not header or not _if_range_holds(request, response):
            return response
        ranges = range_parse(header, size)
        if ranges is None or len(ranges) > MAX_RANGES:
            return response
        if not ranges:
            _close_file(response)
            unsatisfiable = HttpResponse(status=416)
            unsatisfiable["Content-Range"] = f"bytes */{size}"
            unsatisfiable["Accept-Ranges"] = "bytes"
            return unsatisfiable
        return _partial(response, file, ranges, size)


def _close_file(response: FileResponse) -> None:
    """Close the file of an answer not sent, without response.close(), which would also announce the request
    finished (closing its database connections while the request is still being served)."""
    for closer in response._resource_closers:
        closer()
    response._resource_closers.clear()


def _seekable(file) -> bool:
    try:
        return bool(file.seekable())
    except (AttributeError, OSError, ValueError):
        return False


def _if_range_holds(request, response) -> bool:
    """No If-Range, or it names this very version of the file (its strong ETag, or its exact Last-Modified)."""
    condition = request.headers.get("If-Range")
    if not condition:
        return True
    if condition.startswith(('"', "W/")):
        etag = response.get("ETag", "")
        return not condition.startswith("W/") and condition == etag
    modified = parse_http_date_safe(response.get("Last-Modified", ""))
    return modified is not None and modified == parse_http_date_safe(condition)


def range_parse(header: str, size: int) -> list[tuple[int, int]] | None:
    """The satisfiable byte ranges of a Range header for a file of ``size`` bytes, as (first, last) inclusive,
    sorted, those overlapping or touching merged: [] when none is satisfiable (416), None when the header does
    not parse or is not in bytes (then it is ignored: the whole file)."""
    unit, _, specs = header.partition("=")
    if unit.strip().lower() != "bytes" or not specs.strip():
        return None
    ranges = []
    for spec in specs.split(","):
        match = RANGE_SPEC.match(spec)
        if not match or match.group(1) == match.group(2) == "":
            return None
        first, last = match.group(1), match.group(2)
        if first == "":  # the last N bytes
            if int(last) == 0:
                continue
            ranges.append((max(0, size - int(last)), size - 1))
            continue
        first = int(first)
        if last != "" and int(last) < first:
            return None
        last = size - 1 if last == "" else int(last)
        if first < size:
            ranges.append((first, min(last, size - 1)))
    merged = []
    for first, last in sorted(ranges):
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


def _read(file, first: int, last: int):
    file.seek(first)
    left = last - first + 1
    while left > 0:
        chunk = file.read(min(READ_BLOCK, left))
        if not chunk:
            return
        left -= len(chunk)
        yield chunk


def _partial(whole: FileResponse, file, ranges: list[tuple[int, int]], size: int) -> StreamingHttpResponse:
    content_type = whole.get("Content-Type", "application/octet-stream")
    if len(ranges) == 1:
        first, last = ranges[0]
        partial = StreamingHttpResponse(_read(file, first, last), status=206, content_type=content_type)
        partial["Content-Range"] = f"bytes {first}-{last}/{size}"
        length = last - first + 1
    else:
        boundary = secrets.token_hex(16)
        heads = [
            f"--{boundary}\r\nContent-Type: {content_type}\r\nContent-Range: bytes {first}-{last}/{size}\r\n\r\n".encode()
            for first, last in ranges
        ]
        tail = f"--{boundary}--\r\n".encode()

        def parts():
            for head, (first, last) in zip(heads, ranges):
                yield head
                yield from _read(file, first, last)
                yield b"\r\n"
            yield tail

        partial = StreamingHttpResponse(
            parts(), status=206, content_type=f"multipart/byteranges; boundary={boundary}"
        )
        length = sum(len(head) + last - first + 1 + 2 for head, (first, last) in zip(heads, ranges)) + len(tail)
    for name, value in whole.headers.items():
        if name.lower() not in PART_DROPS:
            partial[name] = value
    partial["Content-Length"] = str(length)
    # The file is closed once the answer is sent (its closers, not whole.close(), which would announce the request
    # finished a second time).
    partial._resource_closers.extend(whole._resource_closers)
    whole._resource_closers.clear()
    return partial


class LeanPathMiddleware:
    """Serves the addresses of settings.LEAN_URLCONF (the lesson heartbeat, the platform's hottest path: every
    trainee studying sends one every interval) through settings.LEAN_MIDDLEWARE alone, and every other request
    through the rest of settings.MIDDLEWARE as usual. First in MIDDLEWARE, so that none of the others runs for a
    lean address. The lean list keeps what such a request needs (the session, CSRF, the language of its answer)
    and the security headers; it leaves out the static files, metrics by view (the heartbeat counts itself),
    messages, allauth's and the second factor's checks (a lesson is opened through them first), and redirects.
    The addresses are in academy.urls too, so without this middleware they work the same, only slower."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.resolver = get_resolver(settings.LEAN_URLCONF)
        # As Django's handler builds its chain (BaseHandler.load_middleware), for the lean list.
        self.view_middleware = []
        handler = convert_exception_to_response(self._view)
        for path in reversed(settings.LEAN_MIDDLEWARE):
            middleware = import_string(path)(handler)
            if hasattr(middleware, "process_view"):
                self.view_middleware.insert(0, middleware.process_view)
            handler = convert_exception_to_response(middleware)
        self.lean = handler

    def __call__(self, request):
        try:
            request.resolver_match = self.resolver.resolve(request.path_info)
        except Resolver404:
            return self.get_response(request)
        response = self.lean(request)
        # As CommonMiddleware (left out) does: a keep-alive answer with its length, not in chunks.
        if not response.streaming and not response.has_header("Content-Length"):
            response.headers["Content-Length"] = str(len(response.content))
        return response

    def _view(self, request):
        match = request.resolver_match
        for process_view in self.view_middleware:  # CSRF is checked here
            response = process_view(request, match.func, match.args, match.kwargs)
            if response is not None:
                return response
        return match.func(request, *match.args, **match.kwargs)
