"""Benchmark: the analytics dashboards and the province's monthly report at national scale (issue 6, section 4).

Run from the repository root (about 20 minutes with --scale 1; not part of CI):

    .venv/bin/python bench/dashboards.py [--scale 1] [--runs 10] [--keep | --reuse]

It creates a PostgreSQL database of its own (bench_dashboards on 127.0.0.1:5432, user postgres) and loads the
synthetic nation of bench/national_data.py (about 790,000 people, five plan years, every year assigned, with
coverage counts), then adds what the other dashboards read:

- the workforce of the institutions: carers and other staff in every welfare institution and minor-protection
  centre (about 60 each at scale 1), a third of them with a professional category;
- certification: 20 level sessions of Zhejiang's centre over five years, 30,000 applications of carers with
  their part results, and certificates for those who passed (some revoked).

Then, as Zhejiang's province administrator through Django's test client, it times every dashboard page (median
server time of --runs requests, and the SQL queries of one) and generates the province's monthly report
(analytics.monthly.monthly_report_generate: every dashboard built and drawn into one PDF), and prints each figure
against its target: a dashboard < 500 ms, the report < 60 s.
"""
import argparse
import datetime
import os
import random
import shutil
import statistics
import sys
import tempfile
import time

import harness
from national_scale import heading, set_up_django, verdict

PAGE_TARGET_MS = 500
REPORT_TARGET_S = 60
STAFF_PER_INSTITUTION = 60
APPLICATIONS = 30_000


def add_workforce(*, seed: int) -> int:
    """Carers and staff in every institution, a third of them professionals; returns how many posts."""
    import national_data
    from django.db.models import Max

    from academy.organisation.models import Institution, Person, Post, PostKind, ProfessionalCategory

    rng = random.Random(f"{seed}:workforce")
    categories = [value for value in ProfessionalCategory.values if value != ProfessionalCategory.NONE]
    person_id = (Person.objects.aggregate(Max("id"))["id__max"] or 0) + 1
    post_id = (Post.objects.aggregate(Max("id"))["id__max"] or 0) + 1
    people, posts = [], []
    now = datetime.datetime.now(datetime.UTC)
    for institution_id, region_id in Institution.objects.values_list("pk", "region_id"):
        for _ in range(STAFF_PER_INSTITUTION):
            category = rng.choice(categories) if rng.random() < 0.35 else ProfessionalCategory.NONE
            digest = f"bench-workforce-{person_id:012d}"
            people.append((person_id, "护理员", "female", "", digest, "", "", category, now, now))
            kind = PostKind.CARER if rng.random() < 0.7 else PostKind.INSTITUTION_STAFF
            start = datetime.date(2015, 1, 1) + datetime.timedelta(days=rng.randrange(3000))
            end = None if rng.random() < 0.9 else start + datetime.timedelta(days=rng.randrange(30, 900))
            posts.append((post_id, person_id, kind, region_id, institution_id, start, end))
            person_id += 1
            post_id += 1
    national_data.copy_rows(
        Person._meta.db_table,
        ["id", "name", "sex", "id_number_encrypted", "id_number_digest", "id_number_masked", "mobile",
         "professional_category", "created_at", "updated_at"],
        people,
    )
    national_data.copy_rows(
        Post._meta.db_table, ["id", "person_id", "kind", "region_id", "institution_id", "start_date", "end_date"], posts
    )
    national_data.reset_sequence(Person)
    national_data.reset_sequence(Post)
    return len(posts)


def add_certification(*, seed: int, years: list[int]) -> dict:
    """Sessions of Zhejiang's centre, applications of carers with part results, certificates of the passed."""
    from django.utils import timezone

    from academy.accounts.models import User
    from academy.organisation.models import Post, PostKind, Region
    from certification.models import (
        Application, AssessmentCentre, AssessmentSession, Certificate, Outcome, PartResult, SessionStatus,
    )
    from certification.rules import level_rules, rule_set_seed_defaults

    rng = random.Random(f"{seed}:certification")
    rule_set = rule_set_seed_defaults()
    organiser = User.objects.create(username="bench-organiser")
    centre = AssessmentCentre.objects.create(
        name="浙江省孤残儿童护理员职业技能等级认定中心", kind="S", organisation_code="0001", province_code="33",
        site_serial="330001", region=Region.objects.get(code="33"),
    )
    carers = list(
        Post.objects.filter(kind=PostKind.CARER, institution__isnull=False)
        .values_list("person_id", "institution_id")[:APPLICATIONS]
    )
    sessions = []
    for year in years:
        for level in (5, 4, 3, 2):
            start = timezone.make_aware(datetime.datetime(year, 6, 1, 9))
            sessions.append(AssessmentSession.objects.create(
                centre=centre, rule_set=rule_set, level=level, title=f"{year}年{level}级", venue="杭州",
                applications_close_on=datetime.date(year, 5, 1), theory_starts_at=start,
                theory_ends_at=start + datetime.timedelta(hours=2), skill_date=datetime.date(year, 6, 2),
                capacity=100_000, created_by=organiser, status=SessionStatus.SIGNED_OFF, signed_off_at=start,
            ))
    applications = []
    for person_id, institution_id in carers:
        session = rng.choice(sessions)
        outcome = rng.choices([Outcome.PASSED, Outcome.FAILED, Outcome.ABSENT], weights=[70, 25, 5])[0]
        applications.append(Application(
            session=session, person_id=person_id, institution_id=institution_id, applied_by=organiser,
            status="approved", is_eligible=True, outcome=outcome,
            parts=level_rules(rule_set=rule_set, level=session.level).parts,
        ))
    Application.objects.bulk_create(applications, batch_size=5000)
    results, certificates = [], []
    serial = {}
    for application in Application.objects.select_related("session").iterator(chunk_size=5000):
        if application.outcome == Outcome.ABSENT:
            continue
        for part in application.parts:
            passed = application.outcome == Outcome.PASSED or rng.random() < 0.5
            results.append(PartResult(
                application=application, part=part, score=rng.randint(60, 98) if passed else rng.randint(20, 59),
                pass_mark=60, passed=passed,
            ))
        if application.outcome == Outcome.PASSED:
            year = application.session.theory_starts_at.year
            key = (year, application.session.level)
            serial[key] = serial.get(key, 0) + 1
            number = f"{centre.number_prefix}{year % 100:02d}{application.session.level}{serial[key]:06d}"
            revoked = rng.random() < 0.01
            certificates.append(Certificate(
                number=number, application=application, person_id=application.person_id,
                level=application.session.level, holder_name="护理员", issuer=centre.name,
                issued_on=datetime.date(year, 7, 1), status="revoked" if revoked else "valid",
            ))
    PartResult.objects.bulk_create(results, batch_size=5000)
    Certificate.objects.bulk_create(certificates, batch_size=5000)
    return {"applications": len(applications), "part results": len(results), "certificates": len(certificates)}


def measure_page(client, url: str, runs: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times = []
    response = None
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return {
        "status": response.status_code, "median_ms": statistics.median(times), "best_ms": min(times),
        "queries": len(queries),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--database", default="bench_dashboards")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="measure a database kept by an earlier run (--keep)")
    options = parser.parse_args()

    private_root = tempfile.mkdtemp(prefix="bench-dashboards-")
    if not options.reuse:
        harness.database_create(options.database)
    whole = time.perf_counter()
    try:
        set_up_django(options.database, private_root)
        import national_data
        from django.db import connection
        from django.test import Client
        from django.utils import timezone

        if options.reuse:
            heading(f"Reusing the data set in {options.database}")
            nation = national_data.nation_of_database()
            extra = {}
        else:
            heading(f"Generating the data set (scale {options.scale:g}) into {options.database}")
            started = time.perf_counter()
            harness.migrate(divisions=False)  # national_data.generate loads them
            with connection.cursor() as cursor:
                cursor.execute("SET synchronous_commit TO off")
            nation = national_data.generate(scale=options.scale, seed=options.seed)
            national_data.assign_by_sql(nation, nation.years[-1:])
            extra = {"institution posts added": add_workforce(seed=options.seed)}
            extra.update(add_certification(seed=options.seed, years=nation.years))
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
            national_data.log("data set ready", started)
        from academy.accounts.models import User
        from academy.organisation.models import Person, Post, Region
        from analytics.dashboards import DASHBOARDS
        from analytics.monthly import monthly_report_generate

        print(f"  {Person.objects.count():,} people, {Post.objects.count():,} posts; {extra}", flush=True)

        admin = User.objects.filter(username="bench-province-admin").first() or User.objects.create(
            username="bench-province-admin", admin_region=Region.objects.get(code="33")
        )
        client = Client()
        client.force_login(admin)
        year = timezone.localdate().year

        heading(f"Dashboards as Zhejiang's province administrator, median of {options.runs} requests")
        pages = []
        for slug in DASHBOARDS:
            url = f"/coverage/dashboards/{slug}/?year={year}"
            figures = measure_page(client, url, options.runs)
            pages.append((slug, figures))
            print(f"  {slug:14} {figures['median_ms']:7.1f} ms (best {figures['best_ms']:.1f}), "
                  f"{figures['queries']} queries, HTTP {figures['status']}", flush=True)

        heading("The province's monthly report (every dashboard, one PDF)")
        today = timezone.localdate()
        month = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
        from analytics.models import MonthlyReport

        MonthlyReport.objects.filter(region_id="33", month=month).delete()
        started = time.perf_counter()
        report = monthly_report_generate(region=Region.objects.get(code="33"), month=month)
        report_s = time.perf_counter() - started

        heading(f"Summary (scale {options.scale:g}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
        for slug, figures in pages:
            ok = figures["median_ms"] < PAGE_TARGET_MS and figures["status"] == 200
            print(f"  dashboard {slug:14} {figures['median_ms']:7.1f} ms median, {figures['queries']:3d} queries "
                  f"(target < {PAGE_TARGET_MS} ms) {verdict(ok)}")
        print(f"  monthly report (province) {report_s:.1f} s, PDF {report.pdf.size / 1024:.0f} KB "
              f"(target < {REPORT_TARGET_S} s) {verdict(report_s < REPORT_TARGET_S)}")
        print(f"  whole run: {time.perf_counter() - whole:.0f} s")
        return 0
    finally:
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        if not options.keep and not options.reuse:
            harness.database_drop(options.database)
        shutil.rmtree(private_root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
