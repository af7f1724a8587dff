"""/healthz and /readyz (academy/health.py), as a load balancer calls them."""
import socket

import pytest
from django.test import override_settings

from academy.celery_app import app as celery_app


def test_healthz_answers_alive_without_a_session(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "sessionid" not in response.cookies


@pytest.mark.django_db
def test_readyz_answers_ready_when_every_part_is_there(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    checks = response.json()["checks"]
    assert {name: check["status"] for name, check in checks.items()} == {
        "database": "ok", "cache": "ok", "broker": "in process", "worker": "in process", "storage": "ok",
    }


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def broker_at():
    """Point the Celery app at a broker for one test, forgetting connections made to the one before."""
    previous = {key: celery_app.conf[key] for key in ("broker_url", "task_always_eager")}

    def point(url):
        celery_app.conf.update(broker_url=url, task_always_eager=False)
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    yield point
    celery_app.conf.update(previous)
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.mark.django_db
def test_readyz_names_a_dead_broker_and_answers_503(client, broker_at):
    broker_at(f"redis://127.0.0.1:{_closed_port()}/0")
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failed"
    assert body["checks"]["broker"]["status"].startswith("failed")
    assert body["checks"]["database"]["status"] == "ok"
    assert "127.0.0.1" not in response.content.decode()  # no address for whoever calls it


@pytest.mark.django_db
def test_readyz_counts_a_broker_with_no_worker_as_not_ready(client, broker_at):
    redis = pytest.importorskip("redis")
    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    broker_at("redis://127.0.0.1:6379/14")
    response = client.get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["broker"]["status"] == "ok"
    assert checks["worker"]["status"] == "failed: RuntimeError"


@pytest.mark.django_db
def test_readyz_is_ready_as_soon_as_one_worker_answers(client, broker_at, monkeypatch):
    """Gathering every worker's answer would wait the whole timeout each time: the first answer is enough."""
    broker_at("memory://")
    asked = []

    def ping(**options):
        asked.append(options)
        return [{"celery@worker-1": {"ok": "pong"}}][: options.get("limit")]

    monkeypatch.setattr(celery_app.control, "ping", ping)
    response = client.get("/readyz")
    assert response.json()["checks"]["worker"]["status"] == "answering"
    assert response.status_code == 200
    assert [options.get("limit") for options in asked] == [1]
    assert "worker-1" not in response.content.decode()  # no host name for whoever calls it


@pytest.mark.django_db
def test_readyz_is_not_ready_when_no_worker_answers_in_time(client, broker_at, monkeypatch):
    broker_at("memory://")
    monkeypatch.setattr(celery_app.control, "ping", lambda **options: [])
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"]["status"] == "failed: RuntimeError"


@pytest.mark.django_db
def test_readyz_names_storage_that_cannot_be_written(client, tmp_path):
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("")
    with override_settings(PRIVATE_MEDIA_ROOT=not_a_folder / "private"):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["storage"]["status"].startswith("failed")
