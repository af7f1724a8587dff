"""Settings that shape how the platform behaves, tried as they are used."""
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections, transaction


@pytest.fixture
def sqlite_file(tmp_path, django_db_blocker):
    """A second database alias on an SQLite file, configured as the default database is (the demo's)."""
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        pytest.skip("SQLite only")
    connections.settings["sqlite_file"] = {**connections.settings["default"], "NAME": str(tmp_path / "demo.sqlite3")}
    with django_db_blocker.unblock():
        with connections["sqlite_file"].cursor() as cursor:
            cursor.execute("CREATE TABLE counter (value INTEGER)")
            cursor.execute("INSERT INTO counter VALUES (0)")
        yield "sqlite_file"
        connections["sqlite_file"].close()
    del connections.settings["sqlite_file"]


def test_two_requests_writing_sqlite_at_once_wait_for_each_other(sqlite_file, django_db_blocker):
    """Each reads, then writes, in its own transaction and thread (a heartbeat and an attention answer)."""
    both_began = threading.Barrier(2, timeout=2)
    errors = []

    def request():
        try:
            with django_db_blocker.unblock(), transaction.atomic(using=sqlite_file):
                with connections[sqlite_file].cursor() as cursor:
                    cursor.execute("SELECT value FROM counter")
                    value = cursor.fetchone()[0]
                    try:
                        both_began.wait()  # with the write lock taken at the start, the other waits before this
                    except threading.BrokenBarrierError:
                        pass
                    cursor.execute("UPDATE counter SET value = %s", [value + 1])
        except Exception as error:  # noqa: BLE001 - the failure is what the test reports
            errors.append(repr(error))
        finally:
            connections[sqlite_file].close()

    threads = [threading.Thread(target=request) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with django_db_blocker.unblock(), connections[sqlite_file].cursor() as cursor:
        cursor.execute("SELECT value FROM counter")
        assert cursor.fetchone()[0] == 2  # neither lost the other's write


REPOSITORY = Path(__file__).resolve().parents[1]


def production_settings_load(**environment) -> subprocess.CompletedProcess:
    """academy.settings.production loaded in a fresh interpreter (settings are read once, at start), with the
    secrets it needs and ``environment``."""
    env = {key: value for key, value in os.environ.items() if not key.endswith("_ROOT")}
    env.update({
        "DJANGO_SETTINGS_MODULE": "academy.settings.production",
        "DJANGO_SECRET_KEY": "a-long-random-looking-secret-for-this-test-only",
        "PERSONAL_DATA_KEY": "test-only", "ALLOW_CONSOLE_SMS": "1", "ALLOW_LOCAL_CACHE": "1",
        **environment,
    })
    return subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.PRIVATE_MEDIA_ROOT)"],
        cwd=REPOSITORY, env=env, capture_output=True, text=True, timeout=60,
    )


def test_production_refuses_private_files_inside_the_media_folder(tmp_path):
    loaded = production_settings_load(
        MEDIA_ROOT=str(tmp_path / "media"), PRIVATE_MEDIA_ROOT=str(tmp_path / "media" / "private"),
    )
    assert loaded.returncode != 0
    assert "PRIVATE_MEDIA_ROOT must not lie inside MEDIA_ROOT" in loaded.stderr


def test_production_refuses_private_files_inside_the_static_folder(tmp_path):
    loaded = production_settings_load(
        STATIC_ROOT=str(tmp_path / "static"), PRIVATE_MEDIA_ROOT=str(tmp_path / "static/../static/private"),
    )
    assert loaded.returncode != 0
    assert "PRIVATE_MEDIA_ROOT must not lie inside STATIC_ROOT" in loaded.stderr


def test_production_accepts_private_files_beside_the_public_ones(tmp_path):
    loaded = production_settings_load(
        MEDIA_ROOT=str(tmp_path / "media"), STATIC_ROOT=str(tmp_path / "static"),
        PRIVATE_MEDIA_ROOT=str(tmp_path / "media-private"),  # a name that starts like MEDIA_ROOT's is not inside it
    )
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == str(tmp_path / "media-private")


def test_worker_concurrency_comes_from_the_environment():
    environment = {**os.environ, "CELERY_WORKER_CONCURRENCY": "3"}
    loaded = subprocess.run(
        [sys.executable, "-c", "from academy.celery_app import app; print(app.conf.worker_concurrency)"],
        cwd=REPOSITORY, env=environment, capture_output=True, text=True, timeout=60,
    )
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "3"
