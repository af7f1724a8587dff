"""The production rehearsal's smoke test: what a trainee, an administrator and the public do, over HTTPS through
nginx, to gunicorn on production settings with a Celery worker and beat on PostgreSQL and Redis.

.ci/rehearsal deploys all of that as the README says, loads the demo and runs this file with REHEARSAL_URL set;
elsewhere it is skipped (and the other stages leave the `rehearsal` marker out). It sees the platform only as a
browser would: pages, forms, cookies, and the client's address (several loopback addresses stand for several
clients, each seen by nginx as its own)."""
import os
import re
import time
import uuid
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from requests.adapters import HTTPAdapter

pytestmark = [
    pytest.mark.rehearsal,
    pytest.mark.skipif(not os.environ.get("REHEARSAL_URL"), reason="run by .ci/rehearsal, against its deployment"),
]

URL = os.environ.get("REHEARSAL_URL", "")
CA = os.environ.get("REHEARSAL_CA", "")
MEDIA_ROOT = Path(os.environ.get("REHEARSAL_MEDIA_ROOT", "/nonexistent"))
PRIVATE_MEDIA_ROOT = Path(os.environ.get("REHEARSAL_PRIVATE_MEDIA_ROOT", "/nonexistent"))
WEB_LOG = Path(os.environ.get("REHEARSAL_WEB_LOG", "/nonexistent"))  # gunicorn's output, its access log included
# The demo's accounts (academy/demo/people.py) and its signed-off assessment session (academy/demo/certification.py).
PASSWORD = "demo12345"
CARER = "13800000004"
PROVINCE_ADMINISTRATOR = "13800000008"
SIGNED_OFF_SESSION = "2026年第3期 孤残儿童护理员五级/初级工认定"
# What a background job may take on a loaded 2-core CI machine.
JOB_SECONDS = 120


class FromAddress(HTTPAdapter):
    """Connections from one loopback address: to nginx, a client of its own."""

    def __init__(self, address: str):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def browser(address: str = "127.0.0.1") -> requests.Session:
    session = requests.Session()
    # Straight to nginx with the rehearsal's certificate: no proxy or CA bundle from the environment, which would
    # otherwise take precedence over ``verify``.
    session.trust_env = False
    session.verify = CA
    session.mount("https://", FromAddress(address))
    # Browsers send Origin with every POST; Django's CSRF check over HTTPS needs it (or a Referer).
    session.headers["Origin"] = URL
    return session


class Forms(HTMLParser):
    """The forms of a page: action, method, and the values a browser would send unchanged."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action") or "", "method": (attrs.get("method") or "get").lower(),
                               "fields": {}})
        elif not self.forms:
            return
        elif tag == "input" and attrs.get("name"):
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            if kind not in ("submit", "button", "file"):
                self.forms[-1]["fields"][attrs["name"]] = attrs.get("value") or ""
        elif tag == "select" and attrs.get("name"):
            self._select = attrs["name"]
        elif tag == "option" and self._select:
            fields = self.forms[-1]["fields"]
            if self._select not in fields or "selected" in attrs:
                fields[self._select] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def form(page: requests.Response, action: str) -> tuple[str, dict]:
    """The address and fields of the page's form whose action contains ``action``."""
    parser = Forms()
    parser.feed(page.text)
    for found in parser.forms:
        if action in found["action"] or (not found["action"] and action in page.url):
            return urljoin(page.url, found["action"] or page.url), dict(found["fields"])
    raise AssertionError(f"no form for {action} on {page.url}: {[found['action'] for found in parser.forms]}")


def submit(session: requests.Session, page: requests.Response, action: str, **fields) -> requests.Response:
    address, values = form(page, action)
    answer = session.post(address, data={**values, **fields}, headers={"Referer": page.url}, timeout=30)
    assert answer.status_code < 400, f"{address}: {answer.status_code}\n{answer.text[:2000]}"
    return answer


def sign_in(session: requests.Session, login: str) -> None:
    page = session.get(f"{URL}/accounts/login/", timeout=30)
    assert page.status_code == 200
    answer = submit(session, page, "/accounts/login/", login=login, password=PASSWORD)
    assert "/accounts/login/" not in answer.url, f"not signed in: {answer.url}\n{answer.text[:2000]}"


def wait_for_job(session: requests.Session, status_url: str) -> dict:
    """Poll a job's JSON status (as job_progress.js does) until it ends."""
    deadline = time.monotonic() + JOB_SECONDS
    while True:
        status = session.get(status_url, headers={"Accept": "application/json"}, timeout=30).json()
        if status.get("status") in ("done", "failed") or time.monotonic() > deadline:
            return status
        time.sleep(1)


def links(page: requests.Response, pattern: str) -> list[str]:
    return [urljoin(page.url, href) for href in dict.fromkeys(re.findall(rf'(?:href|src)="({pattern})"', page.text))]


def test_readyz_answers_through_nginx_with_a_worker():
    answer = browser().get(f"{URL}/readyz", timeout=30)
    assert answer.status_code == 200, answer.text
    checks = {name: check["status"] for name, check in answer.json()["checks"].items()}
    assert checks["database"] == checks["cache"] == checks["broker"] == checks["storage"] == "ok", checks
    assert checks["worker"].endswith("answering"), checks


def test_readyz_and_metrics_answer_internal_addresses_only():
    """nginx's allow list names 127.0.0.1 of the loopback range: another loopback address stands for a client
    outside. Prometheus's scrape from this machine gets the figures of every gunicorn worker."""
    outside = browser("127.0.0.2")
    assert outside.get(f"{URL}/readyz", timeout=30).status_code == 403
    assert outside.get(f"{URL}/metrics", timeout=30).status_code == 403
    metrics = browser().get(f"{URL}/metrics", timeout=30)
    assert metrics.status_code == 200
    assert "django_http_requests_latency_seconds_by_view_method" in metrics.text


def test_requests_through_nginx_are_spread_over_gunicorns_workers():
    """A connection nginx kept open to gunicorn stays with the worker that accepted it, and one worker (one
    core, its threads sharing one interpreter lock) then serves everything that connection carries while the
    others idle: under 20,000 trainees' heartbeats, half of two cores. Each request on a connection of its own
    goes to whichever worker is free to take it."""
    token = uuid.uuid4().hex
    session = browser()
    for _ in range(20):  # one after another, as a quiet hour's trainees
        assert session.get(f"{URL}/rehearsal-{token}/", timeout=30).status_code == 404
    # gunicorn's access log lines (deploy/gunicorn.conf.py) end with the worker's process id; a worker writes its
    # line once the answer has gone.
    deadline = time.monotonic() + 10
    while True:
        served = [
            line for line in WEB_LOG.read_text(errors="replace").splitlines()
            if line.startswith(f'"GET /rehearsal-{token}/"')
        ]
        if len(served) == 20 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert len(served) == 20
    workers = {line.split()[-1] for line in served}
    assert len(workers) == 2, f"gunicorn's workers that served the 20 requests (process ids): {workers}"


def test_static_files_come_from_nginx():
    page = browser().get(f"{URL}/accounts/login/", timeout=30)
    stylesheet = links(page, r"/static/[^\"]+\.css")[0]
    answer = browser().get(stylesheet, timeout=30)
    assert answer.status_code == 200
    assert "immutable" in answer.headers["Cache-Control"]  # nginx's location, not WhiteNoise's answer


def test_a_trainee_signs_in_opens_a_lesson_sends_heartbeats_and_seeks_a_video():
    session = browser()
    sign_in(session, CARER)
    learning = session.get(f"{URL}/learn/", timeout=30)
    assert learning.status_code == 200
    lessons = links(learning, r"/learn/lessons/\d+/")
    assert lessons, learning.text[:2000]
    lesson = video = None
    for address in lessons:  # the first lesson with a video
        lesson = session.get(address, timeout=30)
        assert lesson.status_code == 200
        found = links(lesson, r"/media/[^\"]+\.mp4")
        if found:
            video = found[0]
            break
    assert video, "no lesson of the demo carer has a video"

    # Heartbeats, as lesson.js sends them: JSON with the CSRF token in a header.
    heartbeat = lesson.url.rstrip("/") + "/heartbeat/"
    for sequence in (1, 2, 3):
        answer = session.post(heartbeat, json={"sequence": sequence},
                              headers={"X-CSRFToken": session.cookies["csrftoken"]}, timeout=30)
        assert answer.status_code == 200, answer.text
        assert answer.json()["sequence"] == sequence

    # Seeking: nginx answers a Range request from MEDIA_ROOT with part of the file.
    answer = session.get(video, headers={"Range": "bytes=100-1123"}, timeout=30)
    assert answer.status_code == 206
    on_disk = (MEDIA_ROOT / urlsplit(video).path.removeprefix("/media/")).read_bytes()
    assert answer.headers["Content-Range"] == f"bytes 100-1123/{len(on_disk)}"
    assert answer.content == on_disk[100:1124]


def test_an_administrator_exports_the_people_list_through_the_worker():
    session = browser()
    sign_in(session, PROVINCE_ADMINISTRATOR)
    people = session.get(f"{URL}/coverage/people/", timeout=30)
    assert people.status_code == 200
    job = submit(session, people, "/coverage/exports/new/", file_format="xlsx")  # the button pressed
    assert re.search(r"/coverage/exports/[0-9a-f-]{36}/$", job.url), job.url
    status = wait_for_job(session, job.url + "status/")
    assert status["status"] == "done", status
    download = session.get(job.url + "download/", timeout=60)
    assert download.status_code == 200
    assert download.content[:2] == b"PK" or download.content.startswith(b"\xef\xbb\xbf")  # xlsx, or csv with BOM


def test_certificates_are_issued_by_the_worker_and_verified_by_anyone():
    session = browser()
    sign_in(session, PROVINCE_ADMINISTRATOR)
    sessions = session.get(f"{URL}/certification/sessions/", timeout=30)
    signed_off = re.search(r'href="(/certification/sessions/[0-9a-f-]{36}/)"[^>]*>\s*' + re.escape(SIGNED_OFF_SESSION),
                           sessions.text)
    assert signed_off, sessions.text[:3000]
    detail = session.get(urljoin(URL, signed_off[1]), timeout=30)
    job = submit(session, detail, "/issue/")
    assert "/certification/issue-jobs/" in job.url, job.url
    status = wait_for_job(session, job.url)
    assert status["status"] == "done", status
    issued = session.get(job.url, timeout=30)
    pdfs = links(issued, r"/certification/certificates/[0-9a-f-]{36}/pdf/")
    assert pdfs, issued.text[:3000]

    # The PDF reaches its administrator through the application; nginx serves no private file at all.
    answer = session.get(pdfs[0], timeout=30)
    assert answer.status_code == 200 and answer.content.startswith(b"%PDF")
    private = [path for path in PRIVATE_MEDIA_ROOT.rglob("*.pdf")]
    assert private
    for path in private[:3]:
        relative = path.relative_to(PRIVATE_MEDIA_ROOT).as_posix()
        for guess in (f"/media/{relative}", f"/media/../private/{relative}", f"/private/{relative}"):
            assert browser().get(URL + guess, timeout=30).status_code == 404, guess

    # Anyone verifies it, by the link printed on it and by its number.
    public_id = re.search(r"/certification/certificates/([0-9a-f-]{36})/pdf/", pdfs[0])[1]
    anonymous = browser("127.0.0.4")
    verified = anonymous.get(f"{URL}/verify/{public_id}/", timeout=30)
    assert verified.status_code == 200
    number = re.search(r"\b[SY]\d{21}\b", verified.text)
    assert number, verified.text[:3000]
    by_number = anonymous.get(f"{URL}/verify/", params={"number": number[0]}, timeout=30)
    assert by_number.status_code == 200 and public_id in by_number.url + by_number.text


def test_rate_limits_count_each_client_by_the_address_nginx_saw():
    """The certificate look-up allows 30 a minute per address (certification/views/verify.py). Behind nginx
    every request reaches gunicorn from 127.0.0.1: the limit must still count clients apart, and a client must not
    escape it by sending an X-Forwarded-For of its own."""
    first, second = browser("127.0.0.2"), browser("127.0.0.3")
    look_up = {"number": "S000000000000000000000"}
    answers = [first.get(f"{URL}/verify/", params=look_up, timeout=30).status_code for _ in range(31)]
    assert 429 not in answers[:30] and answers[30] == 429, answers
    forged = first.get(f"{URL}/verify/", params=look_up, headers={"X-Forwarded-For": "203.0.113.7"}, timeout=30)
    assert forged.status_code == 429
    assert second.get(f"{URL}/verify/", params=look_up, timeout=30).status_code == 200
