"""Request ids in the logs, /metrics for Prometheus and errors to Sentry (academy/observability.py,
academy/request_id.py, academy/sentry.py)."""
import gzip
import io
import json
import logging.config
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sentry_sdk
from django.conf import settings
from django.test import Client, override_settings

from academy.sentry import sentry_start
from tests.factories import UserFactory


def test_every_response_carries_a_request_id(client):
    first, second = client.get("/healthz"), client.get("/healthz")
    assert len(first["X-Request-ID"]) == 32
    assert first["X-Request-ID"] != second["X-Request-ID"]


def test_the_proxys_request_id_is_kept_when_it_looks_like_one(client):
    assert client.get("/healthz", headers={"X-Request-ID": "nginx-5f2b9c0d1e"})["X-Request-ID"] == "nginx-5f2b9c0d1e"
    forged = client.get("/healthz", headers={"X-Request-ID": 'x" level="CRITICAL'})["X-Request-ID"]
    assert forged != 'x" level="CRITICAL' and len(forged) == 32


@pytest.fixture
def json_logs():
    """The settings' logging with the JSON formatter, its console handler writing into a string."""
    config = json.loads(json.dumps(settings.LOGGING))
    config["handlers"]["console"]["formatter"] = "json"
    logging.config.dictConfig(config)
    written = io.StringIO()
    for handler in logging.getLogger().handlers:
        handler.setStream(written)
    yield written
    logging.config.dictConfig(settings.LOGGING)


@pytest.mark.django_db
def test_a_log_line_is_json_naming_the_request_it_belongs_to(client, json_logs):
    client.get("/no-such-page/", headers={"X-Request-ID": "req-0123456789"})
    lines = [json.loads(line) for line in json_logs.getvalue().splitlines()]
    not_found = next(line for line in lines if line["logger"] == "django.request")
    assert not_found["request_id"] == "req-0123456789"
    assert not_found["level"] == "WARNING"
    assert "Not Found: /no-such-page/" in not_found["message"]


@pytest.mark.django_db
def test_metrics_count_requests_and_jobs_by_kind_and_status(client):
    client.get("/healthz")
    response = client.get("/metrics")
    assert response.status_code == 200
    text = response.content.decode()
    assert 'django_http_requests_latency_seconds_by_view_method_count{method="GET",view="healthz"}' in text
    assert 'academy_jobs{kind="organisation.rosterimport",status="failed"} 0.0' in text
    assert 'academy_jobs{kind="certification.issuejob",status="running"} 0.0' in text
    assert "# TYPE academy_heartbeats_total counter" in text


@pytest.mark.django_db
def test_metrics_are_refused_to_another_machine_without_the_token(client, settings):
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 403
    settings.METRICS_TOKEN = "scrape-secret-0123456789"
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403  # with a token, only the token
    scraped = client.get("/metrics", REMOTE_ADDR="203.0.113.9", headers={"Authorization": "Bearer scrape-secret-0123456789"})
    assert scraped.status_code == 200


class _FakeSentry(BaseHTTPRequestHandler):
    """Sentry's ingestion endpoint: keeps every envelope posted to it."""

    envelopes: list

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.envelopes.append((self.path, body.decode("utf-8", "replace")))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_sentry():
    _FakeSentry.envelopes = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeSentry)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    sentry_sdk.init(dsn=None)  # the SDK off again for the other tests
    server.shutdown()


@pytest.mark.django_db
@override_settings(ROOT_URLCONF="tests.urls_failing")
def test_an_error_goes_to_sentry_without_personal_data(fake_sentry):
    user = UserFactory(email="zhang.wei@example.org")
    sentry_start(dsn=f"http://publickey@127.0.0.1:{fake_sentry.server_port}/42", environment="test",
                 traces_sample_rate=0)
    client = Client(raise_request_exception=False)
    client.force_login(user)
    response = client.get("/fail/?mobile=13800000001", headers={"Cookie": "sessionid=secret-session"})
    assert response.status_code == 500
    sentry_sdk.flush(timeout=5)
    assert _FakeSentry.envelopes, "nothing reached the fake Sentry"
    path, envelope = _FakeSentry.envelopes[0]
    assert path == "/api/42/envelope/"
    assert "DeliberateFailure" in envelope and "a test asked for this" in envelope
    assert "secret-session" not in envelope and "sessionid" not in envelope
    assert "zhang.wei@example.org" not in envelope and user.username not in envelope
