"""A real Celery worker process on a real Redis broker, against the test run's PostgreSQL database.

Run by `make test` with DATABASE_URL pointing at PostgreSQL and CELERY_TEST_BROKER_URL at Redis.
"""
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings

from academy.celery_app import app as celery_app

REPOSITORY = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(items):
    # The hook sees every collected test, not only this folder's.
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.integration)


@pytest.fixture
def celery_worker_process(transactional_db, zhejiang_regions, tmp_path):
    broker = os.environ.get("CELERY_TEST_BROKER_URL")
    database = settings.DATABASES["default"]
    if not broker or database["ENGINE"] != "django.db.backends.postgresql":
        pytest.fail("integration tests need DATABASE_URL (PostgreSQL) and CELERY_TEST_BROKER_URL (Redis)")
    # The broker database is the tests' own: empty it so a message left by an interrupted run is not taken.
    redis.Redis.from_url(broker).flushdb()
    database_url = (
        f"postgresql://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
    )
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "academy.settings.test",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "PRIVATE_MEDIA_ROOT": str(settings.PRIVATE_MEDIA_ROOT),
    }
    log_path = tmp_path / "celery-worker.log"
    log = open(log_path, "w")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "academy", "worker", "--pool", "solo",
         "--loglevel", "INFO", "--without-heartbeat", "--without-gossip", "--without-mingle"],
        cwd=REPOSITORY, env=environment, stdout=log, stderr=subprocess.STDOUT,
    )
    previous = {key: celery_app.conf[key] for key in ("broker_url", "task_always_eager")}
    celery_app.conf.update(broker_url=broker, task_always_eager=False)
    _forget_broker_connections()
    try:
        _wait_until_ready(worker, log_path)
        worker.log_path = log_path
        yield worker
    finally:
        celery_app.conf.update(previous)
        _forget_broker_connections()
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()


def _forget_broker_connections():
    # Even eager tasks (every earlier test in the run) take a producer from the app's pool, which is then
    # bound to the broker URL of that moment; without this, messages would go to the old broker.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def _wait_until_ready(worker, log_path, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and worker.poll() is None:
        if "ready." in log_path.read_text():
            return
        time.sleep(0.2)
    worker.kill()
    raise RuntimeError("the Celery worker did not start:\n" + log_path.read_text()[-4000:])


def wait_for(condition, timeout=120, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return False
