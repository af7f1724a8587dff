"""Benchmark: lesson heartbeats at province scale, against their floor (issue 15). Target: 20,000 learners at
once on 2 cores, p95 under 300 ms, nothing lost or counted twice, CPU per heartbeat at or below the floor's.

Run from the repository root:
    .venv/bin/python bench/heartbeat_load.py [--learners 20000] [--interval 60] [--seconds 60]
        [--workers 2] [--threads 4]
        [--cache redis://127.0.0.1:6379/N (a Redis database of your own for the sessions; emptied)] [--keep]

It creates a PostgreSQL database of its own (bench_heartbeats, or $BENCH_DATABASE, on 127.0.0.1:5432, user
postgres), migrates it, makes a course with a text lesson, LEARNERS trainees with accounts and signed-in sessions,
and opens the lesson for each as the lesson page does (its progress row, and what the page is given to send back).
It serves the site with gunicorn (--workers gthread workers x --threads threads, 2 x 4 unless told; production
settings, COURSES_HEARTBEAT_SECONDS = --interval, 127.0.0.1 only) and offers the load of that many learners
studying at once: each sends a heartbeat every interval, at its own phase, so the server is offered
LEARNERS / INTERVAL requests a second. Each request goes on a connection of its own, as from the reverse proxy
(deploy/nginx/academy.conf keeps no connection to gunicorn open; with the X-Request-ID nginx adds), at most
--connections at once; latency runs from the moment a heartbeat was due, so waiting for a connection counts. One
heartbeat in DUPLICATE_EVERY is sent twice at the same moment over two connections, as a double-clicking or
retrying page would: exactly one of the two must be accepted.

Two phases of --seconds each, on the same server in the same run:
  floor     the same learners and schedule against a plain Django view behind the same middleware doing a session
            look-up, SELECT … FOR UPDATE and UPDATE of one row (bench/floor_urls.py);
  platform  the lesson heartbeat itself.
For each it prints requests/s, median and p95 latency, the CPU used per request by gunicorn and by PostgreSQL, and
the load average; then the ratio floor CPU / platform CPU per request (>= 1.0: the platform is at its floor).

Afterwards it checks in the database, per learner, that the last sequence number is the number of distinct
heartbeats sent, that exactly that many answers said accepted (every duplicate refused), and that the study time
is what the rules give: one interval for the first heartbeat, then the whole seconds between heartbeats (an
interval for a gap longer than the interval and the slack), so never more than one interval plus the time the
learner was sending; it prints the study time counted as a share of the intervals sent. The floor's rows must
count every floor request once. It drops the database unless --keep.
"""
import argparse
import asyncio
import datetime
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import harness

DATABASE = os.environ.get("BENCH_DATABASE", "bench_heartbeats")
HOST = "127.0.0.1"
P95_TARGET_MS = 300
DUPLICATE_EVERY = 10
REPOSITORY = harness.REPOSITORY


def server_environment(interval: int, cache_url: str) -> dict[str, str]:
    # Sessions are read from the shared cache (Redis), as in production; without one, from each process's own
    # cache after a first look-up in the database.
    cache = {"CACHE_URL": cache_url} if cache_url else {"ALLOW_LOCAL_CACHE": "1"}
    return harness.environment(
        harness.database_url(DATABASE),
        settings="floor_settings",
        DJANGO_SECRET_KEY="bench-only-" + "x" * 50,
        PERSONAL_DATA_KEY="bench-only-personal-data-key",
        DJANGO_ALLOWED_HOSTS=HOST,
        DJANGO_SECURE_SSL_REDIRECT="0",
        # Production settings without the SMS gateway, said explicitly: nothing here sends a code.
        ALLOW_CONSOLE_SMS="1",
        **cache,
        LOG_LEVEL="ERROR",
        # Each thread keeps its connection through the run, as behind a pool: CPU is counted by backend process.
        DATABASE_CONN_MAX_AGE="3600",
        COURSES_HEARTBEAT_SECONDS=str(interval),
    )


def id_number(index: int) -> str:
    from academy.organisation import resident_id

    born = datetime.date(1970, 1, 1) + datetime.timedelta(days=index // 1000)
    first_seventeen = f"330106{born:%Y%m%d}{index % 1000:03d}"
    return first_seventeen + resident_id.check_character(first_seventeen)


def build(learners: int) -> tuple[int, int, list[dict]]:
    """The heartbeat lesson, the floor's lesson, and per learner: session cookie, CSRF secret and what the
    opened lesson page holds (its heartbeat state, where the platform has one)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.cached_db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone
    from django.utils.crypto import get_random_string
    from wagtail.models import Page, Site

    from academy.accounts.models import User
    from academy.home.models import HomePage
    from academy.organisation.models import Person, PostKind, Sex
    from courses.models import CourseIndexPage, CoursePage, LessonPage, LessonProgress
    from courses.years import training_year

    from academy.accounts.lean import session_tag
    from courses.progress import heartbeat_state_sign, lesson_requirements

    home = Page.get_first_root_node().add_child(instance=HomePage(title="首页", slug="bench-home"))
    Site.objects.update_or_create(is_default_site=True, defaults={"hostname": HOST, "root_page": home})
    course = home.add_child(instance=CourseIndexPage(title="课程", slug="courses")).add_child(instance=CoursePage(
        title="儿童主任履职基础", slug="basics", summary="职责", audience=[PostKind.CHILD_DIRECTOR], credit_hours=2,
    ))
    lesson, floor_lesson = (
        course.add_child(instance=LessonPage(
            title=title, slug=slug, min_study_minutes=600, body=[("paragraph", "<p>儿童主任的职责。</p>")],
        ))
        for title, slug in (("第一课", "duties"), ("第二课", "floor"))
    )
    people = []
    for index in range(learners):
        person = Person(name=f"压测学员{index}", sex=Sex.FEMALE, mobile=f"137{index:08d}")
        person.set_id_number(id_number(index))
        people.append(person)
    people = Person.objects.bulk_create(people, batch_size=2000)
    password = make_password(None)  # unusable, as for a trainee who has not claimed the account
    users = User.objects.bulk_create(
        [User(username=f"load{person.pk}", phone=person.mobile, person=person, password=password) for person in people],
        batch_size=2000,
    )
    year = training_year()
    rows = LessonProgress.objects.bulk_create(
        [LessonProgress(person=person, lesson=lesson, year=year) for person in people]
        + [LessonProgress(person=person, lesson=floor_lesson, year=year) for person in people],
        batch_size=2000,
    )
    progress = {row.person_id: row for row in rows if row.lesson_id == lesson.pk}
    expires = timezone.now() + datetime.timedelta(days=1)
    requirements = lesson_requirements(lesson)
    learners_data, sessions = [], []
    for user in users:
        data = {
            SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: settings.AUTHENTICATION_BACKENDS[0],
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
        key = get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789")
        # What the lesson page's opening gives, for the one-statement heartbeat (courses/pages.py).
        state = heartbeat_state_sign(
            progress=progress[user.person_id], requirements=requirements, rules=None, prompt_open=False,
            user_id=user.pk, session_tag=session_tag(key, user.password), lesson_published_at=lesson.last_published_at,
        )
        sessions.append(Session(session_key=key, session_data=SessionStore().encode(data), expire_date=expires))
        learners_data.append({
            "person": user.person_id, "session": key, "csrf": get_random_string(32), "state": state,
        })
    Session.objects.bulk_create(sessions, batch_size=2000)
    # And in the cache, as signing in puts them (django.contrib.sessions.backends.cached_db).
    from django.contrib.sessions.backends.cached_db import KEY_PREFIX
    from django.core.cache import caches

    caches[settings.SESSION_CACHE_ALIAS].set_many(
        {KEY_PREFIX + session.session_key: SessionStore().decode(session.session_data) for session in sessions},
        timeout=24 * 3600,
    )
    return lesson.pk, floor_lesson.pk, learners_data


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def start_gunicorn(port: int, environment: dict, workers: int, threads: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [str(REPOSITORY / ".venv/bin/gunicorn"), "academy.wsgi", "--pythonpath", "bench", "--workers", str(workers),
         "--worker-class", "gthread", "--threads", str(threads), "--bind", f"{HOST}:{port}", "--keep-alive", "30",
         "--log-level", "warning"],
        cwd=REPOSITORY, env={**os.environ, **environment}, start_new_session=True,
    )
    for _ in range(100):
        try:
            with socket.create_connection((HOST, port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("gunicorn did not start")


def cpu_seconds(pids) -> dict[int, float]:
    """User and system CPU time used so far by each process, from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    used = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used[pid] = (int(fields[11]) + int(fields[12])) / ticks
    return used


def server_processes(gunicorn_pid: int) -> tuple[list[int], list[int]]:
    """gunicorn's master and workers, and the PostgreSQL backends serving the benchmark database."""
    children = Path(f"/proc/{gunicorn_pid}/task/{gunicorn_pid}/children").read_text().split()
    backends = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if command.startswith("postgres: ") and DATABASE in command:
                backends.append(int(entry.name))
    return [gunicorn_pid, *map(int, children)], backends


async def _post_once(port: int, path: str, learner: dict, body: bytes) -> tuple[int, dict]:
    """One request on a connection of its own, as nginx opens them (``Connection: close``)."""
    reader, writer = await asyncio.open_connection(HOST, port)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nCookie: sessionid={learner['session']}; csrftoken={learner['csrf']}\r\n"
        f"X-CSRFToken: {learner['csrf']}\r\nReferer: http://{HOST}/\r\nConnection: close\r\n"
        # The request's id, which nginx adds to every request it passes on (deploy/nginx/academy.conf).
        f"X-Request-ID: {os.urandom(16).hex()}\r\n\r\n"
    ).encode()
    try:
        writer.write(head + body)
        await writer.drain()
        status_line = await reader.readline()
        if not status_line:
            raise ConnectionResetError
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        payload = await reader.readexactly(length)
    finally:
        writer.close()
    status = int(status_line.split()[1])
    return status, (json.loads(payload) if status == 200 else {})


class Pool:
    """At most ``size`` requests in flight at once."""

    def __init__(self, port: int, size: int):
        self.port = port
        self.slots = asyncio.Semaphore(size)

    async def post(self, path: str, learner: dict, body: bytes) -> tuple[int, dict]:
        async with self.slots:
            for attempt in (1, 2):  # a connection refused or reset is tried once more
                try:
                    return await _post_once(self.port, path, learner, body)
                except (ConnectionError, asyncio.IncompleteReadError):
                    if attempt == 2:
                        return 0, {}


async def learner_load(pool, path, learner, number, started, seconds, interval, latencies, outcome):
    """One learner's page: a heartbeat every interval from its own phase, each sending back the state the
    previous answer gave (the opened page's, first)."""
    state = learner["state"]
    sent = accepted = refused = errors = 0
    first_sent = last_answered = None
    due = started + random.uniform(0, interval)
    sequence = 0
    while due < started + seconds:
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        sequence += 1
        first_sent = first_sent or time.time()
        beat = {"sequence": sequence}
        body = json.dumps({"heartbeats": [beat], **({"state": state} if state else {})}).encode()
        copies = 2 if (number + sequence) % DUPLICATE_EVERY == 0 else 1
        answers = await asyncio.gather(*(pool.post(path, learner, body) for _ in range(copies)))
        finished = time.perf_counter()
        last_answered = time.time()
        sent = sequence
        for status, data in answers:
            latencies.append((due - started, finished - due))
            if status != 200:
                errors += 1
                continue
            accepted += bool(data.get("accepted"))
            refused += not data.get("accepted")
            # The answer with the newest state: the accepted one's, else any (a refused duplicate's is as new).
            if data.get("state") and (data.get("accepted") or state is None or copies == 1):
                state = data["state"]
        due += interval
    outcome[learner["person"]] = {
        "sent": sent, "accepted": accepted, "refused": refused, "errors": errors,
        "first_sent": first_sent, "last_answered": last_answered,
    }


async def warm_up(pool, path, learner, count):
    """Every worker thread imports the views and opens its database connection before the clock starts."""
    body = json.dumps({"heartbeats": [{"sequence": 1}]}).encode()
    await asyncio.gather(*(pool.post(path, learner, body) for _ in range(count)))


async def phase(port, connections, path, learners, seconds, interval, gunicorn_pid):
    """Returns the time taken, the latencies (each with when it was due, from the start), each learner's outcome and
    the CPU seconds used meanwhile by the application (gunicorn), the database (its backends) and the load
    generator."""
    pool = Pool(port, connections)
    await warm_up(pool, path, learners[-1], 4 * connections)
    learners = learners[:-1]
    latencies, outcome = [], {}
    application, database = server_processes(gunicorn_pid)
    before = cpu_seconds(application + database)
    generator_before = time.process_time()
    # The first heartbeats are due once every learner's task is made (about 10 µs each), so the generator's own
    # start does not count as the server's latency.
    started = time.perf_counter() + max(1.0, len(learners) / 10_000)
    await asyncio.gather(*(
        learner_load(pool, path, learner, number, started, seconds, interval, latencies, outcome)
        for number, learner in enumerate(learners)
    ))
    elapsed = time.perf_counter() - started
    generator = time.process_time() - generator_before
    after = cpu_seconds(application + database)
    used = {pid: after[pid] - before.get(pid, 0) for pid in after}
    cpu = {
        "gunicorn": sum(used.get(pid, 0) for pid in application),
        "postgres": sum(used.get(pid, 0) for pid in database),
        "load generator": generator,
    }
    return {"elapsed": elapsed, "latencies": latencies, "outcome": outcome, "cpu": cpu,
            "load": Path("/proc/loadavg").read_text().split()[0]}


def report(name: str, result: dict, offered: float) -> float:
    """Prints the phase's figures; returns its server CPU milliseconds per request."""
    latencies = sorted(latency for _due, latency in result["latencies"])
    requests = len(latencies)
    rate = requests / result["elapsed"]
    errors = sum(item["errors"] for item in result["outcome"].values())
    per_request = {part: 1000 * seconds / requests for part, seconds in result["cpu"].items()}
    server_ms = per_request["gunicorn"] + per_request["postgres"]
    p95 = 1000 * latencies[int(0.95 * requests)]
    print(f"{name:<9} {rate:7.0f} req/s (offered {offered:.0f})  median {1000 * statistics.median(latencies):7.1f} ms"
          f"  p95 {p95:8.1f} ms  CPU/request {server_ms:5.2f} ms (gunicorn {per_request['gunicorn']:.2f}, "
          f"postgres {per_request['postgres']:.2f}; load generator {per_request['load generator']:.2f})"
          f"  errors {errors}  loadavg {result['load']}")
    windows = {}
    for due, latency in result["latencies"]:
        windows.setdefault(int(due // 10) * 10, []).append(latency)
    print("          p95 by 10 s of the phase (ms): " + "  ".join(
        f"{start}-{start + 10} s {1000 * sorted(part)[int(0.95 * len(part))]:.0f}"
        for start, part in sorted(windows.items())
    ))
    return server_ms, p95


def check(outcome: dict, lesson_id: int, interval: int) -> tuple[list[str], float]:
    """Every heartbeat counted exactly once, per the database; and the study time counted as a share of the
    intervals sent."""
    from courses.models import LessonProgress

    problems = []
    rows = {row.person_id: row for row in LessonProgress.objects.filter(lesson_id=lesson_id)}
    counted = offered = 0
    for person_id, sent in outcome.items():
        row = rows[person_id]
        if not sent["sent"]:
            continue
        span = sent["last_answered"] - sent["first_sent"]
        if row.last_sequence != sent["sent"]:
            problems.append(f"person {person_id}: last sequence {row.last_sequence}, {sent['sent']} sent")
        if sent["accepted"] != sent["sent"]:
            problems.append(f"person {person_id}: {sent['accepted']} accepted of {sent['sent']} distinct heartbeats")
        if sent["errors"]:
            problems.append(f"person {person_id}: {sent['errors']} errors")
        if not interval <= row.study_seconds <= interval + span:
            problems.append(f"person {person_id}: study time {row.study_seconds} s over a {span:.1f} s run")
        counted += row.study_seconds
        offered += sent["sent"] * interval
    return problems, counted / offered if offered else 0.0


def floor_check(outcome: dict, lesson_id: int) -> list[str]:
    from django.db.models import Sum

    from courses.models import LessonProgress

    answered = sum(item["accepted"] for item in outcome.values())
    written = LessonProgress.objects.filter(lesson_id=lesson_id).aggregate(total=Sum("last_sequence"))["total"]
    # The warm-up's requests wrote to the last learner's row.
    return [] if written >= answered else [f"floor: {answered} answered, {written} written"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=20000)
    parser.add_argument("--interval", type=int, default=60, help="COURSES_HEARTBEAT_SECONDS for the server")
    parser.add_argument("--seconds", type=float, default=60, help="length of each phase")
    parser.add_argument("--connections", type=int, default=64, help="requests in flight at once, as from the proxy")
    parser.add_argument("--cache", default=os.environ.get("BENCH_CACHE_URL", ""),
                        help="a Redis database of your own for the sessions, e.g. redis://127.0.0.1:6379/6 (emptied)")
    parser.add_argument("--workers", type=int, default=2,
                        help="gunicorn worker processes (deploy/gunicorn.conf.py starts 2 a core)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    arguments = parser.parse_args()
    environment = server_environment(arguments.interval, arguments.cache)

    harness.database_create(DATABASE)
    gunicorn = None
    try:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        harness.django_set_up(environment)
        from django.db import connections
        from django.urls import reverse

        harness.migrate(divisions=False)
        if arguments.cache:
            from django.core.cache import cache

            cache.clear()
        built = time.perf_counter()
        lesson_id, floor_lesson_id, learners = build(arguments.learners + 1)  # and one to warm the server up
        print(f"{arguments.learners:,} learners signed in and their lesson opened in {time.perf_counter() - built:.0f} s")
        connections.close_all()
        port = free_port()
        gunicorn = start_gunicorn(port, environment, arguments.workers, arguments.threads)
        offered = arguments.learners / arguments.interval
        print(f"\n{arguments.learners:,} learners, a heartbeat each every {arguments.interval} s: {offered:.0f} "
              f"requests/s offered (+{100 // DUPLICATE_EVERY}% sent twice), {arguments.seconds:.0f} s a phase, "
              f"gunicorn {arguments.workers} gthread workers x {arguments.threads} threads, PostgreSQL, "
              f"{os.cpu_count()} cores")
        floor = asyncio.run(phase(
            port, arguments.connections, reverse("bench_floor", args=[floor_lesson_id]), learners, arguments.seconds,
            arguments.interval, gunicorn.pid,
        ))
        floor_ms, _floor_p95 = report("floor", floor, offered)
        platform = asyncio.run(phase(
            port, arguments.connections, reverse("courses:lesson_heartbeat", args=[lesson_id]), learners,
            arguments.seconds, arguments.interval, gunicorn.pid,
        ))
        platform_ms, p95 = report("platform", platform, offered)
        ratio = floor_ms / platform_ms
        print(f"ratio floor/platform CPU per request: {ratio:.2f} (target >= 1.0: "
              f"{'ok' if ratio >= 1 else 'MISSED'});  p95 {p95:.0f} ms (target < {P95_TARGET_MS} ms: "
              f"{'ok' if p95 < P95_TARGET_MS else 'MISSED'})")

        problems, share = check(platform["outcome"], lesson_id, arguments.interval)
        problems += floor_check(floor["outcome"], floor_lesson_id)
        if problems:
            print(f"COUNTING PROBLEMS ({len(problems)}):", *problems[:20], sep="\n  ")
        else:
            print("every heartbeat counted exactly once: last sequence = heartbeats sent, duplicates all refused, "
                  "study time as the rules give, for every learner")
        print(f"study time counted: {100 * share:.1f}% of the intervals sent (whole seconds per heartbeat; a gap "
              f"longer than interval + slack counts one interval)")
        connections.close_all()
        return 1 if problems else 0
    finally:
        if gunicorn is not None:
            os.killpg(gunicorn.pid, signal.SIGTERM)
            try:
                gunicorn.wait(timeout=60)
            except subprocess.TimeoutExpired:  # a loaded machine: its workers still finishing their requests
                os.killpg(gunicorn.pid, signal.SIGKILL)
                gunicorn.wait()
        if not arguments.keep:
            from django.db import connections

            connections.close_all()
            harness.database_drop(DATABASE)


if __name__ == "__main__":
    sys.exit(main())
