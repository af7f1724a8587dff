"""Benchmark: the lesson heartbeat endpoint under load (issue 3, §6). Target: >= 300 requests/s on 2 cores
with 100 trainees at once, no heartbeat lost or counted twice.

Run from the repository root:  .venv/bin/python bench/heartbeat_load.py [--trainees 100] [--seconds 20] [--keep]

It creates a PostgreSQL database of its own (bench_heartbeats on 127.0.0.1:5432, user postgres), migrates it,
makes a course with a text lesson and TRAINEES child directors with accounts, signs each in (a real session
cookie) and opens the lesson for each, then serves the site with gunicorn (2 gthread workers, production
settings, 127.0.0.1 only) and lets every trainee send heartbeats as fast as the server answers, over its own
keep-alive connection, for --seconds (and at most --max-per-trainee each). Every fifth heartbeat is sent twice
at the same moment over a second connection, as a double-clicking or retrying page would: exactly one of
the two must be accepted. The load generator is asyncio on the loopback interface (wrk's Lua scripts cannot
tie a request to a connection, which the once-and-only-once check needs).

It prints requests per second and the latency, then checks in the database, per trainee, that the last
sequence number is the number of distinct heartbeats sent, that the accepted answers number exactly that
many (duplicates all refused), and that the study time is what the rules give: one interval for the first
heartbeat, then whole seconds of real time between heartbeats (0 when they come faster than one a second),
so no more than one interval plus the length of the run. It drops the database unless --keep.
"""
import argparse
import asyncio
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import harness

DATABASE = "bench_heartbeats"
HOST = "127.0.0.1"
RATE_TARGET = 300
DUPLICATE_EVERY = 5
REPOSITORY = harness.REPOSITORY
ENVIRONMENT = harness.environment(
    harness.database_url(DATABASE),
    settings="academy.settings.production",
    DJANGO_SECRET_KEY="bench-only-" + "x" * 50,
    PERSONAL_DATA_KEY="bench-only-personal-data-key",
    DJANGO_ALLOWED_HOSTS=HOST,
    DJANGO_SECURE_SSL_REDIRECT="0",
    # Production settings without the SMS gateway and Redis, said explicitly: nothing here sends a code.
    ALLOW_CONSOLE_SMS="1",
    ALLOW_LOCAL_CACHE="1",
    LOG_LEVEL="ERROR",
)


def id_number(index: int) -> str:
    import datetime

    from academy.organisation import resident_id

    born = datetime.date(1975, 1, 1) + datetime.timedelta(days=index)
    first_seventeen = f"330106{born:%Y%m%d}{index % 1000:03d}"
    return first_seventeen + resident_id.check_character(first_seventeen)


def build(trainees: int) -> tuple[int, list[dict]]:
    """The course and lesson, and per trainee: person id, session cookie, CSRF secret."""
    import datetime

    from django.conf import settings
    from django.test import Client
    from wagtail.models import Page, Site

    from academy.accounts.models import User
    from academy.home.models import HomePage
    from academy.organisation.models import Person, Post, PostKind, Region, Sex
    from courses.models import CourseIndexPage, CoursePage, LessonPage
    from courses.progress import lesson_progress_open

    home = Page.get_first_root_node().add_child(instance=HomePage(title="首页", slug="bench-home"))
    Site.objects.update_or_create(is_default_site=True, defaults={"hostname": HOST, "root_page": home})
    course = home.add_child(instance=CourseIndexPage(title="课程", slug="courses")).add_child(instance=CoursePage(
        title="儿童主任履职基础", slug="basics", summary="职责", audience=[PostKind.CHILD_DIRECTOR], credit_hours=2,
    ))
    lesson = course.add_child(instance=LessonPage(
        title="第一课", slug="duties", min_study_minutes=60, body=[("paragraph", "<p>儿童主任的职责。</p>")],
    ))
    village = Region.objects.create(
        code="330106002902", name="压测村", level="village", parent_id="330106002", is_synthetic=True
    )
    people = []
    for index in range(trainees):
        person = Person(name=f"压测学员{index}", sex=Sex.FEMALE, mobile=f"137{index:08d}")
        person.set_id_number(id_number(index))
        people.append(person)
    people = Person.objects.bulk_create(people)
    Post.objects.bulk_create([
        Post(person=person, kind=PostKind.CHILD_DIRECTOR, region=village, start_date=datetime.date(2023, 1, 1))
        for person in people
    ])
    sessions = []
    for person in people:
        user = User.objects.create(username=f"load{person.pk}", phone=person.mobile, person=person)
        client = Client()
        client.force_login(user)
        lesson_progress_open(person=person, lesson=lesson)
        sessions.append({
            "person": person.pk,
            "session": client.cookies[settings.SESSION_COOKIE_NAME].value,
            "csrf": secrets.token_urlsafe(24)[:32].replace("-", "a").replace("_", "b"),
        })
    return lesson.pk, sessions


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def start_gunicorn(port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [str(REPOSITORY / ".venv/bin/gunicorn"), "academy.wsgi", "--workers", "2", "--worker-class", "gthread",
         "--threads", "4", "--bind", f"{HOST}:{port}", "--keep-alive", "30", "--log-level", "warning"],
        cwd=REPOSITORY, env={**os.environ, **ENVIRONMENT}, start_new_session=True,
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


def server_processes(gunicorn_pid: int) -> list[int]:
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


class Connection:
    """One keep-alive HTTP/1.1 connection sending heartbeats as one trainee's page."""

    def __init__(self, port: int, path: str, trainee: dict):
        self.port, self.path = port, path
        self.cookie = f"sessionid={trainee['session']}; csrftoken={trainee['csrf']}"
        self.csrf = trainee["csrf"]

    async def open(self):
        self.reader, self.writer = await asyncio.open_connection(HOST, self.port)

    async def beat(self, sequence: int) -> tuple[int, dict, float]:
        body = json.dumps({"sequence": sequence}).encode()
        head = (
            f"POST {self.path} HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nCookie: {self.cookie}\r\nX-CSRFToken: {self.csrf}\r\n"
            f"Referer: http://{HOST}/\r\n\r\n"
        ).encode()
        started = time.perf_counter()
        self.writer.write(head + body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        payload = await self.reader.readexactly(length)
        status = int(status_line.split()[1])
        return status, (json.loads(payload) if status == 200 else {}), time.perf_counter() - started

    def close(self):
        self.writer.close()


async def trainee_load(port, path, trainee, deadline, max_beats, latencies, outcome):
    main, second = Connection(port, path, trainee), Connection(port, path, trainee)
    # Each connection is opened just before its first request: gunicorn's gthread worker gives a new
    # connection a thread while it waits (up to 5 s) for the request, so idle new connections starve it.
    await main.open()
    sent = accepted = refused = errors = 0
    first_sent = None
    try:
        for sequence in range(1, max_beats + 1):
            if time.perf_counter() >= deadline:
                break
            first_sent = first_sent or time.time()
            if sequence == DUPLICATE_EVERY:
                await second.open()
            if sequence % DUPLICATE_EVERY == 0:
                answers = await asyncio.gather(main.beat(sequence), second.beat(sequence))
            else:
                answers = [await main.beat(sequence)]
            sent = sequence
            for status, data, seconds in answers:
                latencies.append(seconds)
                if status != 200:
                    errors += 1
                elif data["accepted"]:
                    accepted += 1
                else:
                    refused += 1
        outcome[trainee["person"]] = {
            "sent": sent, "accepted": accepted, "refused": refused, "errors": errors,
            "first_sent": first_sent, "last_answered": time.time(),
        }
    finally:
        main.close()
        if hasattr(second, "writer"):
            second.close()


async def warm_up(port, path, trainee):
    """Every worker thread imports the views and opens its database connection before the clock starts,
    on heartbeats of a trainee kept out of the count."""
    async def beats(connection_number):
        connection = Connection(port, path, trainee)
        await connection.open()
        for _ in range(10):
            await connection.beat(1 + connection_number)  # the same few numbers: refused after the first
        connection.close()

    await asyncio.gather(*(beats(number) for number in range(16)))


async def load(port, path, sessions, seconds, max_beats, gunicorn_pid):
    """Returns the time taken, the latencies, what each trainee sent and was answered, and the CPU seconds
    used meanwhile by the application (gunicorn), the database (its backends) and the load generator."""
    await warm_up(port, path, sessions[-1])
    sessions = sessions[:-1]
    latencies, outcome = [], {}
    application, database = server_processes(gunicorn_pid)
    before = cpu_seconds(application + database)
    generator_before = time.process_time()
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(*(
        trainee_load(port, path, trainee, deadline, max_beats, latencies, outcome) for trainee in sessions
    ))
    elapsed = time.perf_counter() - started
    generator = time.process_time() - generator_before
    after = cpu_seconds(application + database)
    used = {pid: after[pid] - before.get(pid, 0) for pid in after}
    cpu = {
        "application": sum(used.get(pid, 0) for pid in application),
        "database": sum(used.get(pid, 0) for pid in database),
        "load generator": generator,
    }
    return elapsed, latencies, outcome, cpu


def check(outcome: dict, lesson_id: int) -> list[str]:
    """Every heartbeat counted exactly once, per the database."""
    from django.conf import settings

    from courses.models import LessonProgress

    problems = []
    interval = settings.COURSES_HEARTBEAT_SECONDS
    rows = {row.person_id: row for row in LessonProgress.objects.filter(lesson_id=lesson_id)}
    for person_id, sent in outcome.items():
        row = rows[person_id]
        span = sent["last_answered"] - sent["first_sent"]
        if row.last_sequence != sent["sent"]:
            problems.append(f"person {person_id}: last sequence {row.last_sequence}, {sent['sent']} sent")
        if sent["accepted"] != sent["sent"]:
            problems.append(f"person {person_id}: {sent['accepted']} accepted of {sent['sent']} distinct heartbeats")
        if sent["errors"]:
            problems.append(f"person {person_id}: {sent['errors']} errors")
        if not interval <= row.study_seconds <= interval + span:
            problems.append(f"person {person_id}: study time {row.study_seconds} s over a {span:.1f} s run")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trainees", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--max-per-trainee", type=int, default=2000)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    arguments = parser.parse_args()

    harness.database_create(DATABASE)
    gunicorn = None
    try:
        harness.django_set_up(ENVIRONMENT)
        from django.db import connections
        from django.urls import reverse

        harness.migrate()
        lesson_id, sessions = build(arguments.trainees + 1)  # and one to warm the server up
        connections.close_all()
        port = free_port()
        gunicorn = start_gunicorn(port)
        path = reverse("courses:lesson_heartbeat", args=[lesson_id])

        elapsed, latencies, outcome, cpu = asyncio.run(
            load(port, path, sessions, arguments.seconds, arguments.max_per_trainee, gunicorn.pid)
        )
        requests = len(latencies)
        rate = requests / elapsed
        duplicates = sum(item["refused"] for item in outcome.values())
        latencies.sort()
        print(f"\n{arguments.trainees} trainees, {elapsed:.1f} s, gunicorn 2 gthread workers x 4 threads, PostgreSQL")
        print(f"{'requests':<22}{requests:>9}   of which duplicates refused: {duplicates}")
        print(f"{'requests per second':<22}{rate:>9.0f}   target >= {RATE_TARGET}   "
              f"{'ok' if rate >= RATE_TARGET else 'MISSED'}")
        print(f"{'latency median / p95':<22}{1000 * statistics.median(latencies):>9.1f} / "
              f"{1000 * latencies[int(0.95 * len(latencies))]:.1f} ms   "
              f"(machine load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")

        per_request = {name: 1000 * seconds / requests for name, seconds in cpu.items()}
        print("CPU per request", " · ".join(f"{name} {ms:.2f} ms" for name, ms in per_request.items()))
        server_ms = per_request["application"] + per_request["database"]
        print(f"{'on 2 idle cores':<22}{2000 / server_ms:>9.0f}   requests/s at most for the server alone "
              f"({server_ms:.2f} CPU-ms a request)")

        problems = check(outcome, lesson_id)
        if problems:
            print(f"COUNTING PROBLEMS ({len(problems)}):", *problems[:20], sep="\n  ")
        else:
            print("every heartbeat counted exactly once: last sequence = heartbeats sent, duplicates all refused, "
                  "study time as the rules give, for every trainee")
        connections.close_all()
        return 1 if problems else 0
    finally:
        if gunicorn is not None:
            os.killpg(gunicorn.pid, signal.SIGTERM)
            gunicorn.wait(timeout=30)
        if not arguments.keep:
            from django.db import connections

            connections.close_all()
            harness.database_drop(DATABASE)


if __name__ == "__main__":
    sys.exit(main())
