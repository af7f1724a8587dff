import contextlib
import socket
import sqlite3
import threading

import pytest
from django.db import connection
from wagtail.models import Collection, Locale, Page

from academy.celery_app import app as celery_app
from academy.organisation.regions import load_divisions


# A file copy of the session's fresh in-memory SQLite test database, for a subprocess that needs the database too.
_DATABASE_FILE_COPY = {}


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, tmp_path_factory):
    """The real Zhejiang divisions, loaded once for the whole session; on in-memory SQLite, a file copy of the
    database made now, before any test's connection holds a lock on it (a backup made later waited for ever on a
    table another connection of the process had locked)."""
    with django_db_blocker.unblock():
        load_divisions()
        if connection.vendor == "sqlite" and connection.is_in_memory_db():
            path = tmp_path_factory.mktemp("database") / "copy.sqlite3"
            connection.ensure_connection()
            with contextlib.closing(sqlite3.connect(path)) as copy:
                connection.connection.backup(copy)
            _DATABASE_FILE_COPY["path"] = path


@pytest.fixture
def database_url_for_a_subprocess(db, tmp_path) -> str:
    """A database address a subprocess (gunicorn) can open: the test database itself on PostgreSQL or in a SQLite
    file; for in-memory SQLite, a copy of the session's fresh database (migrated, with the divisions)."""
    database = connection.settings_dict
    if database["ENGINE"] == "django.db.backends.postgresql":
        password = f":{database['PASSWORD']}" if database["PASSWORD"] else ""
        return f"postgresql://{database['USER']}{password}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
    if "path" not in _DATABASE_FILE_COPY:
        return f"sqlite:///{database['NAME']}"
    path = tmp_path / "subprocess.sqlite3"
    path.write_bytes(_DATABASE_FILE_COPY["path"].read_bytes())
    return f"sqlite:///{path}"


@pytest.fixture
def sms_outbox():
    from academy.accounts.sms import OutboxSMSBackend

    OutboxSMSBackend.outbox.clear()
    return OutboxSMSBackend.outbox


@pytest.fixture
def zhejiang_regions(transactional_db):
    """For transactional tests (browser, integration), whose flush removes the session's regions."""
    load_divisions()


@pytest.fixture
def wagtail_roots(transactional_db):
    """For transactional tests: the flush after each one removes what Wagtail's migrations created (the locale,
    the page tree's root, the root collection), so they are made again here when missing."""
    Locale.objects.get_or_create(language_code="zh-hans")
    if Page.get_first_root_node() is None:
        Page.add_root(instance=Page(title="Root", slug="root"))
    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")


@pytest.fixture
def dead_broker():
    """Celery pointed at a Redis address where nothing listens (a port just freed), tasks no longer run in process:
    what the web process meets while the broker is down. Restored afterwards."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with _celery_broker(f"redis://127.0.0.1:{port}/0"):
        yield


@pytest.fixture
def hung_broker():
    """Celery pointed at a local fake server that accepts connections and never answers: a broker that hangs."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted = []

    def accept():
        try:
            while True:
                accepted.append(server.accept()[0])
        except OSError:  # closed at the end of the test
            pass

    threading.Thread(target=accept, daemon=True).start()
    try:
        with _celery_broker(f"redis://127.0.0.1:{server.getsockname()[1]}/0"):
            yield accepted
    finally:
        server.close()
        for connection in accepted:
            connection.close()


@contextlib.contextmanager
def _celery_broker(url):
    previous = {key: celery_app.conf[key] for key in ("broker_url", "task_always_eager")}
    celery_app.conf.update(broker_url=url, task_always_eager=False)
    _forget_broker_connections()
    try:
        yield
    finally:
        celery_app.conf.update(previous)
        _forget_broker_connections()


def _forget_broker_connections():
    # A producer taken from the app's pool stays bound to the broker URL of its time (tests/integration/conftest.py).
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
