"""Benchmark: issuing a signed-off session's 1,000 certificates through a real Celery worker (issue 5: under
60 s on 2 cores).

Run from the repository root, with PostgreSQL (127.0.0.1:5432, user postgres) and Redis (127.0.0.1:6379):

    .venv/bin/python bench/certificates.py [--candidates 1000] [--concurrency 2] [--redis-db 11] [--keep]

It creates a PostgreSQL database of its own (bench_certificates), migrates it, loads the Zhejiang divisions
and synthesises institutions and their staff (academy.demo.synthetic); the first --candidates carers
become the passed candidates of one signed-off level-4 session, each with a photo (a photo makes the
heaviest certificate: a JPEG besides the QR code).

Then it starts `celery -A academy worker --concurrency N` (prefork, as deployed) on that database with Redis
database --redis-db as the broker (emptied first), waits until the worker is ready, and times the real path:
session_issue_start() queues the job on commit, the worker plans it and fans it out in chunks of
certificates.ISSUE_CHUNK_SIZE, the worker's processes draw the PDFs, and the chunk that completes the count
marks the job done. It prints the elapsed time, certificates per second, the PDF sizes, and checks the result:
one certificate per candidate, numbers 1..N with no gap or repeat, every PDF stored. The database, the files
and the broker database are removed at the end (unless --keep).
"""
import argparse
import io
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import harness

DATABASE = "bench_certificates"
TIME_TARGET_SECONDS = 60


def build_data(candidates: int):
    """The divisions, institutions and staff; a centre, and a signed-off session of ``candidates`` passed
    carers with photos. Returns the session."""
    import datetime

    from django.core.files.base import ContentFile
    from django.utils import timezone

    from academy.accounts.models import User
    from academy.demo import synthetic
    from academy.organisation.models import Post, PostKind, Region, RegionLevel
    from certification.models import (
        Application, ApplicationStatus, AssessmentCentre, AssessmentSession, Outcome, SessionStatus,
    )
    from certification.rules import rule_set_seed_defaults

    harness.migrate()
    cities = list(Region.objects.filter(level=RegionLevel.CITY).order_by("code"))
    institutions = synthetic.synthesise_institutions(cities=cities)
    per_home = -(-candidates // len(cities)) + 10  # enough carers in the 11 city welfare homes
    synthetic.synthesise_people(
        townships=[], villages=[], institutions=institutions, seed="bench-certificates",
        carers_per_institution=(per_home, per_home),
    )
    carers = list(
        Post.objects.filter(kind=PostKind.CARER, end_date=None).select_related("person", "institution")
        .order_by("person__id")[:candidates]
    )
    if len(carers) < candidates:
        raise SystemExit(f"only {len(carers)} carers were synthesised")

    administrator = User.objects.create(username="bench-province-admin", admin_region=Region.objects.get(code="33"))
    centre = AssessmentCentre.objects.create(
        name="浙江省儿童福利职业技能等级认定中心", kind="S", organisation_code="0001", province_code="33",
        site_serial="000001", region=Region.objects.get(code="33"),
        verification_note="亦可在全国职业技能等级证书查询平台查验",
    )
    theory = timezone.make_aware(datetime.datetime(2026, 11, 10, 9, 0))
    session = AssessmentSession.objects.create(
        centre=centre, rule_set=rule_set_seed_defaults(), level=4, title="四级认定 2026年11月", venue="杭州",
        applications_close_on=datetime.date(2026, 10, 31), theory_starts_at=theory,
        theory_ends_at=theory + datetime.timedelta(hours=2), skill_date=datetime.date(2026, 11, 11),
        capacity=candidates, created_by=administrator, status=SessionStatus.SIGNED_OFF,
        signed_off_at=timezone.now(), signed_off_by=administrator,
    )
    rng = random.Random(5)
    applications = []
    for post in carers:
        application = Application(
            session=session, person=post.person, institution=post.institution, applied_by=administrator,
            status=ApplicationStatus.APPROVED, is_eligible=True, outcome=Outcome.PASSED,
        )
        application.photo.save("photo.jpg", ContentFile(_photo(rng)), save=False)
        applications.append(application)
    Application.objects.bulk_create(applications, batch_size=500)
    return session


def _photo(rng: random.Random) -> bytes:
    """A phone-sized head-and-shoulders stand-in: 1200 × 1600, a background and a face-coloured oval."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (1200, 1600), tuple(rng.randrange(150, 255) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    draw.ellipse((350, 250, 850, 900), fill=(230, 190, 160))
    draw.rectangle((200, 1000, 1000, 1600), fill=tuple(rng.randrange(0, 120) for _ in range(3)))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def start_worker(environment: dict, concurrency: int, log_path: Path) -> subprocess.Popen:
    log = open(log_path, "w")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "academy", "worker", "--pool", "prefork",
         "--concurrency", str(concurrency), "--loglevel", "INFO", "--without-heartbeat", "--without-gossip",
         "--without-mingle"],
        cwd=harness.REPOSITORY, env={**os.environ, **environment}, stdout=log, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and worker.poll() is None:
        if "ready." in log_path.read_text():
            return worker
        time.sleep(0.2)
    worker.kill()
    raise SystemExit("the Celery worker did not start:\n" + log_path.read_text()[-4000:])


def stop_worker(worker: subprocess.Popen) -> None:
    worker.terminate()
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes (default 2, one per core)")
    parser.add_argument("--redis-db", type=int, default=11, help="Redis database used as the broker, emptied")
    parser.add_argument("--keep", action="store_true", help="keep the database and the files")
    arguments = parser.parse_args()

    import redis

    broker = f"redis://127.0.0.1:6379/{arguments.redis_db}"
    redis.Redis.from_url(broker).flushdb()
    workdir = Path(tempfile.mkdtemp(prefix="bench-certificates-"))
    environment = harness.environment(
        harness.database_url(DATABASE), CELERY_BROKER_URL=broker, MEDIA_ROOT=str(workdir / "media"),
        PRIVATE_MEDIA_ROOT=str(workdir / "private"), LOG_LEVEL="WARNING",
    )
    harness.database_create(DATABASE)
    worker = None
    try:
        harness.django_set_up(environment)
        from django.conf import settings
        from django.db import connection

        started = time.perf_counter()
        session = build_data(arguments.candidates)
        print(f"data: {arguments.candidates} passed candidates with photos in {time.perf_counter() - started:.1f} s")
        connection.close()

        from certification import certificates
        from certification.models import Certificate, IssueJob

        assert not settings.CELERY_TASK_ALWAYS_EAGER, "the broker must be set: the worker does the work"
        worker = start_worker(environment, arguments.concurrency, workdir / "worker.log")

        started = time.perf_counter()
        job = certificates.session_issue_start(session=session, user=session.created_by)
        last_report = 0.0
        while True:
            job.refresh_from_db()
            elapsed = time.perf_counter() - started
            if not job.is_running:
                break
            if elapsed - last_report >= 10:
                print(f"  {elapsed:5.1f} s: {job.done} of {job.total}")
                last_report = elapsed
            if elapsed > 20 * TIME_TARGET_SECONDS:
                raise SystemExit("gave up waiting:\n" + (workdir / "worker.log").read_text()[-4000:])
            time.sleep(0.1)
        elapsed = time.perf_counter() - started
        if job.status != IssueJob.Status.DONE:
            raise SystemExit(f"the job {job.status}: {job.failure_message}\n" + (workdir / "worker.log").read_text()[-4000:])

        issued = list(Certificate.objects.filter(application__session=session).order_by("number"))
        sizes = [certificate.pdf.size for certificate in issued]
        expected = [f"S000133000001264{serial:06d}" for serial in range(1, arguments.candidates + 1)]
        assert [certificate.number for certificate in issued] == expected, "numbers with a gap or a repeat"
        assert all(certificate.pdf_sha256 for certificate in issued), "a certificate without its PDF"

        rate = len(issued) / elapsed
        print(
            f"\nIssuing {len(issued)} certificates through a Celery worker (--concurrency {arguments.concurrency},"
            f" chunks of {certificates.ISSUE_CHUNK_SIZE}), PostgreSQL, {os.cpu_count()} CPUs,"
            f" load average {os.getloadavg()[0]:.1f}"
        )
        print(f"  total {elapsed:.1f} s (target < {TIME_TARGET_SECONDS} s): "
              f"{'ok' if elapsed < TIME_TARGET_SECONDS else 'TOO SLOW'}")
        print(f"  {rate:.1f} certificates/s, {1000 * elapsed / len(issued):.0f} ms each")
        print(f"  PDF size: median {statistics.median(sizes) / 1024:.1f} KB, "
              f"min {min(sizes) / 1024:.1f} KB, max {max(sizes) / 1024:.1f} KB, total {sum(sizes) / 1024 / 1024:.1f} MB")
        print(f"  numbers {issued[0].number} .. {issued[-1].number}, none missing or repeated")
    finally:
        if worker is not None:
            stop_worker(worker)
        from django.db import connections

        connections.close_all()
        if arguments.keep:
            print(f"kept: {workdir}, database {DATABASE}, broker {broker}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
            harness.database_drop(DATABASE)
            redis.Redis.from_url(broker).flushdb()


if __name__ == "__main__":
    main()
