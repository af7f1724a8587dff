"""Real Celery processes on a real Redis broker, against the test run's PostgreSQL database: a worker (solo, or
prefork so that its pool process can be killed on its own), which a test may SIGKILL and start again, and a beat
process running the job sweep on its real schedule.

Run by `make test` with DATABASE_URL pointing at PostgreSQL and CELERY_TEST_BROKER_URL at Redis.

The background jobs' clock (academy.jobs) is shortened through the environment, as an operator would set it, so
that a dead worker is found in seconds rather than minutes: the worker, beat and this test process all read the
same values (JOBS_ENVIRONMENT).
"""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings

from academy.celery_app import app as celery_app

REPOSITORY = Path(__file__).resolve().parents[2]
# A heartbeat every second; silent for 8 (several missed beats, even on a loaded machine) means the worker died;
# a message the broker never took is sent again after 3; the sweep runs every 2.
JOBS_ENVIRONMENT = {
    "JOBS_HEARTBEAT_SECONDS": "1",
    "JOBS_STALE_AFTER_SECONDS": "8",
    "JOBS_RESEND_AFTER_SECONDS": "3",
    "JOBS_SWEEP_SECONDS": "2",
}


def pytest_collection_modifyitems(items):
    # The hook sees every collected test, not only this folder's.
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.integration)


class CeleryProcess:
    """One Celery command (a worker or beat) run as a child process, logging to ``log_path``; it can be started
    again after it was stopped or killed, and its log goes on in the same file."""

    def __init__(self, arguments: list[str], *, environment: dict, log_path: Path, ready_text: str):
        self.arguments = arguments
        self.environment = environment
        self.log_path = log_path
        self.ready_text = ready_text
        self.process: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    def start(self, timeout: float = 90) -> None:
        """Start the process and wait until it says it is ready."""
        offset = self.launch()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            if self.ready_text in self.log_text(offset):
                return
            time.sleep(0.2)
        self.kill()
        raise RuntimeError(f"celery {self.arguments[2]} did not start:\n" + self.log_text(offset)[-4000:])

    def launch(self) -> int:
        """Start the process without waiting for it; returns where its log starts."""
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with open(self.log_path, "a") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "celery", *self.arguments], cwd=REPOSITORY, env=self.environment,
                stdout=log, stderr=subprocess.STDOUT,
            )
        return offset

    def log_text(self, offset: int = 0) -> str:
        with open(self.log_path, errors="replace") as log:
            log.seek(offset)
            return log.read()

    def children(self) -> list[int]:
        """The processes this one started (a prefork worker's pool), read from /proc."""
        return child_pids(self.pid)

    def kill_pool_process(self) -> int:
        """SIGKILL the pool process (the worker's only child with --concurrency 1), as the kernel's OOM killer
        would; the main process lives on and forks another. Returns the pid killed."""
        children = self.children()
        assert len(children) == 1, f"expected one pool process, found {children}"
        os.kill(children[0], signal.SIGKILL)
        return children[0]

    def kill(self) -> None:
        """SIGKILL the main process and its pool at once, as `kill -9` of a container would. (On one machine the
        database sees the connections close at once; a worker machine that loses power leaves them open until
        TCP gives up.)"""
        if self.process is None or self.process.poll() is not None:
            return
        for pid in [self.pid, *self.children()]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait(timeout=10)


def child_pids(parent: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # ended meanwhile
        # pid (comm) state ppid ...: comm may hold spaces and parentheses, so read after the last ")".
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
            children.append(int(entry.name))
    return sorted(children)


@pytest.fixture
def celery_environment(transactional_db, zhejiang_regions, settings):
    """The environment of the Celery processes, this process sending its tasks to the same broker, and the jobs'
    short clock here too."""
    broker = os.environ.get("CELERY_TEST_BROKER_URL")
    database = settings.DATABASES["default"]
    if not broker or database["ENGINE"] != "django.db.backends.postgresql":
        pytest.fail("integration tests need DATABASE_URL (PostgreSQL) and CELERY_TEST_BROKER_URL (Redis)")
    # The broker database is the tests' own: empty it so a message left by an interrupted run is not taken.
    redis.Redis.from_url(broker).flushdb()
    for name, value in JOBS_ENVIRONMENT.items():
        setattr(settings, name, int(value))
    database_url = f"postgresql://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
    previous = {key: celery_app.conf[key] for key in ("broker_url", "task_always_eager")}
    celery_app.conf.update(broker_url=broker, task_always_eager=False)
    _forget_broker_connections()
    yield {
        **os.environ,
        **JOBS_ENVIRONMENT,
        "DJANGO_SETTINGS_MODULE": "academy.settings.test",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "PRIVATE_MEDIA_ROOT": str(settings.PRIVATE_MEDIA_ROOT),
    }
    celery_app.conf.update(previous)
    _forget_broker_connections()


WORKER_OPTIONS = ["--loglevel", "INFO", "--without-heartbeat", "--without-gossip", "--without-mingle"]
# As deployed (README: Deployment): the jobs' worker serves the default queue only; housekeeping (the job sweep) has
# a worker of its own, so that it runs on time whatever the jobs' worker is doing.
JOBS_WORKER_OPTIONS = ["--queues", settings.CELERY_TASK_DEFAULT_QUEUE, "--hostname", "jobs@%h", *WORKER_OPTIONS]
HOUSEKEEPING_WORKER_OPTIONS = ["--queues", settings.HOUSEKEEPING_QUEUE, "--hostname", "housekeeping@%h", *WORKER_OPTIONS]


@pytest.fixture
def celery_worker_process(celery_environment, tmp_path):
    """A worker running its tasks in its own process (solo pool)."""
    worker = CeleryProcess(
        ["-A", "academy", "worker", "--pool", "solo", *JOBS_WORKER_OPTIONS], environment=celery_environment,
        log_path=tmp_path / "celery-worker.log", ready_text="ready.",
    )
    worker.start()
    yield worker
    worker.kill()  # the test is over: nothing to finish, and a warm shutdown takes seconds


@pytest.fixture
def killable_worker(celery_environment, tmp_path):
    """A prefork worker with one pool process, as deployed: ``kill_pool_process()`` kills the process running
    the task, ``kill()`` the whole worker, ``start()`` brings it back. Not waited for: it starts while the test
    makes its data, and what is queued meanwhile waits in the broker."""
    worker = CeleryProcess(
        ["-A", "academy", "worker", "--pool", "prefork", "--concurrency", "1", *JOBS_WORKER_OPTIONS],
        environment=celery_environment, log_path=tmp_path / "celery-worker.log", ready_text="ready.",
    )
    worker.launch()
    yield worker
    worker.kill()


@pytest.fixture
def housekeeping_worker(celery_environment, tmp_path):
    """The worker of the housekeeping queue (the job sweep), as deployed: one prefork process. Not waited for."""
    worker = CeleryProcess(
        ["-A", "academy", "worker", "--pool", "prefork", "--concurrency", "1", *HOUSEKEEPING_WORKER_OPTIONS],
        environment=celery_environment, log_path=tmp_path / "celery-housekeeping.log", ready_text="ready.",
    )
    worker.launch()
    yield worker
    worker.kill()


@pytest.fixture
def job_sweeper(celery_environment, housekeeping_worker, tmp_path):
    """Celery beat sending the job sweep (academy.job_tasks.sweep_jobs) on its schedule of CELERY_BEAT_SCHEDULE,
    every JOBS_SWEEP_SECONDS, to the housekeeping worker; the other scheduled tasks are left out
    (tests/integration/sweep_beat.py). Not waited for either: a sweep sent before the worker is ready is dropped
    (it expires) and the next one runs."""
    beat = CeleryProcess(
        ["-A", "tests.integration.sweep_beat", "beat", "--loglevel", "INFO",
         "--schedule", str(tmp_path / "beat-schedule"), "--pidfile", ""],
        environment=celery_environment, log_path=tmp_path / "celery-beat.log", ready_text="beat: Starting",
    )
    beat.launch()
    yield beat
    alive = beat.process.poll() is None
    beat.kill()
    assert alive, "celery beat stopped:\n" + beat.log_text()[-3000:]


def _forget_broker_connections():
    # Even eager tasks (every earlier test in the run) take a producer from the app's pool, which is then
    # bound to the broker URL of that moment; without this, messages would go to the old broker.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def wait_for(condition, timeout=120, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return False
