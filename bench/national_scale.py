"""Benchmark: annual plans and coverage on a national-scale data set (issue 4, section 6).

Run from the repository root (about 15 minutes; not part of CI):

    .venv/bin/python bench/national_scale.py [--scale 1] [--runs 20] [--keep]

It creates a PostgreSQL database of its own (bench_national on 127.0.0.1:5432, user postgres), migrates
it, and loads the synthetic nation of bench/national_data.py: about 45,000 townships and 600,000 villages,
650,000 people in post, five plan years, 3.5 million training records (--scale 0.1: a tenth). Then:

1. assigns the current year's plans with courses.plans.plans_assign, one pass per tier as the background job
   does: the ~3,200 county director plans (~600,000 directors) timed together, then the city supervisor
   and province head plans; and checks the result against the set-based SQL of national_data.py;
2. times the coverage pages as a province administrator through Django's test client: the median server
   time of --runs requests, the SQL queries of one, and the table rows those queries read (EXPLAIN ANALYZE);
3. writes the untrained list of the whole nation's directors (about 100,000 rows) with
   analytics.exports.export_run, CSV and Excel, each in a child process: wall time and peak memory
   (ru_maxrss of the child).

It prints every figure against its target and drops the database (unless --keep).
Targets: (1) < 5 min; (2) < 300 ms and < 15 queries, not growing with the data; (3) < 30 s, < 500 MB.
"""
import argparse
import json
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import harness

REPOSITORY = harness.REPOSITORY
ASSIGN_TARGET_S = 300
PAGE_TARGET_MS = 300
PAGE_QUERY_TARGET = 15
EXPORT_TARGET_S = 30
EXPORT_MEMORY_TARGET_MB = 500


def set_up_django(database: str, private_root: str) -> None:
    harness.django_set_up(harness.environment(harness.database_url(database), PRIVATE_MEDIA_ROOT=private_root))
    # The assignment job logs every plan at INFO: thousands of lines here.
    logging.getLogger("courses").setLevel(logging.WARNING)


def heading(text: str) -> None:
    print(f"\n== {text}", flush=True)


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


# --- 1. The assignment job ------------------------------------------------------------------------------


def measure_assignment(year: int) -> dict:
    from django.db import connection
    from national_data import ORGANISER_CODE_LENGTH

    from courses.models import PlanAssignment, TrainingPlan
    from courses.plans import plans_assign

    figures = {}
    for kind in ORGANISER_CODE_LENGTH:  # heads, supervisors, directors
        started = time.perf_counter()
        summaries = plans_assign(TrainingPlan.objects.filter(year=year, post_kind=kind))
        required = sum(summary.required for summary in summaries.values())
        seconds = time.perf_counter() - started
        figures[kind] = {"plans": len(summaries), "people": required, "seconds": seconds}
        print(f"  {kind}: {len(summaries):,} plans, {required:,} people assigned in {seconds:.1f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE courses_planassignment")
        cursor.execute("ANALYZE courses_coveragecount")
    figures["assignments"] = PlanAssignment.objects.filter(plan__year=year).count()
    return figures


def compare_with_sql(year: int, kinds=None) -> dict:
    """Differences between plan_assign's assignments and the set-based SQL of the rules, by kind of difference:
    the plans of ``kinds`` (every tier by default); a value differs only on a row both have."""
    from django.db import connection
    from national_data import ORGANISER_CODE_LENGTH, assignment_select

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE expected (plan_id bigint, person_id bigint, region_id text, status text, "
            "credit_hours numeric, completed_on date)"
        )
        kinds = list(kinds or ORGANISER_CODE_LENGTH)
        for kind in kinds:
            cursor.execute(
                f"INSERT INTO expected {assignment_select(year=year, kind=kind)}", {"year": year, "kind": kind}
            )
        cursor.execute(
            """
            SELECT
                count(*) FILTER (WHERE actual.id IS NULL) AS missing,
                count(*) FILTER (WHERE expected.plan_id IS NULL) AS extra,
                count(*) FILTER (WHERE actual.region_id <> expected.region_id) AS other_region,
                count(*) FILTER (WHERE actual.status <> expected.status) AS other_status,
                count(*) FILTER (WHERE actual.credit_hours <> expected.credit_hours) AS other_hours,
                count(*) FILTER (WHERE actual.completed_on IS DISTINCT FROM expected.completed_on
                    AND actual.id IS NOT NULL AND expected.plan_id IS NOT NULL) AS other_day,
                count(*) FILTER (WHERE actual.copies_wrong) AS other_copies,
                count(*) AS compared
            FROM expected
            FULL JOIN (
                -- copies_wrong: what courses.plans.assignment_copies fills differs from the plan and the person
                SELECT assignment.*, assignment.year <> plan.year OR assignment.person_name <> person.name AS copies_wrong
                FROM courses_planassignment assignment
                JOIN courses_trainingplan plan ON plan.id = assignment.plan_id
                JOIN organisation_person person ON person.id = assignment.person_id
                WHERE plan.year = %s AND plan.post_kind = ANY(%s)
            ) AS actual ON actual.plan_id = expected.plan_id AND actual.person_id = expected.person_id
            """,
            [year, kinds],
        )
        columns = [column.name for column in cursor.description]
        differences = dict(zip(columns, cursor.fetchone()))
        cursor.execute("DROP TABLE expected")
    print(f"  plan_assign against the SQL of the rules: {differences} "
          f"({time.perf_counter() - started:.1f} s)", flush=True)
    return differences


# --- 2. The coverage pages ------------------------------------------------------------------------------


def rows_read(sql: str) -> int:
    """Rows the scans of one query read (returned plus filtered out), by EXPLAIN ANALYZE."""
    from django.db import connection

    def walk(node) -> int:
        own = 0
        if "Scan" in node["Node Type"]:
            loops = node.get("Actual Loops", 1)
            own = (node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)) * loops
        return own + sum(walk(child) for child in node.get("Plans", []))

    if not sql.lstrip().upper().startswith("SELECT"):
        return 0
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return walk(plan[0]["Plan"])


def measure_page(client, url: str, runs: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(2):
        client.get(url)
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    scanned = [(rows_read(query["sql"]), query["sql"]) for query in queries.captured_queries]
    most, most_sql = max(scanned)
    return {
        "median_ms": statistics.median(timings), "best_ms": min(timings), "queries": len(queries.captured_queries),
        "rows_read": sum(rows for rows, _sql in scanned), "status": response.status_code,
        "bytes": len(response.content), "most_rows": most, "most_sql": most_sql,
    }


def measure_pages(nation, runs: int) -> list[tuple[str, dict]]:
    from academy.accounts.models import User
    from academy.organisation.models import PostKind, Region
    from django.test import Client
    from django.urls import reverse

    results = []
    admins = [("浙江省 (real divisions)", "33")]
    synthetic = next((code for code in nation.provinces if code != "33"), None)
    if synthetic:
        admins.append((f"{Region.objects.get(code=synthetic).name} (synthetic)", synthetic))
    for label, code in admins:
        admin = User.objects.create(username=f"bench-admin-{code}", admin_region=Region.objects.get(code=code))
        client = Client()
        client.force_login(admin)
        county = min(county for county in nation.counties if county.startswith(code))
        pages = [
            ("headline (coverage home)", reverse("analytics:home")),
            ("directors, province level", reverse("analytics:coverage", args=[PostKind.CHILD_DIRECTOR])),
            ("supervisors, province level", reverse("analytics:coverage", args=[PostKind.CHILD_SUPERVISOR])),
            ("institution heads, province level", reverse("analytics:coverage", args=[PostKind.INSTITUTION_HEAD])),
            ("directors, a county", reverse("analytics:coverage_region", args=[PostKind.CHILD_DIRECTOR, county])),
            ("untrained list, page 1 (*)", reverse("analytics:people_list")),
        ]
        for page, url in pages:
            figures = measure_page(client, url, runs)
            results.append((f"{label}: {page}", figures))
            print(f"  {label}: {page}: {figures['median_ms']:.1f} ms median, {figures['queries']} queries, "
                  f"{figures['rows_read']:,} rows read, status {figures['status']}", flush=True)
            print(f"    most rows ({figures['most_rows']:,}): {figures['most_sql'][:300]}", flush=True)
    return results


# --- 3. The untrained-list export -----------------------------------------------------------------------


def export_in_child(database: str, private_root: str, job_id: str) -> dict:
    """Run one export in a fresh interpreter, as a worker would, and return what it measured."""
    output = subprocess.run(
        [sys.executable, __file__, "--export-child", job_id, "--database", database, "--private-root", private_root],
        check=True, capture_output=True, text=True, cwd=REPOSITORY,
    )
    return json.loads(output.stdout.strip().splitlines()[-1])


def memory_mb(field: str) -> float:
    """VmRSS (now) or VmHWM (peak) of this process in MB. Not ru_maxrss: a child started by fork and exec
    inherits the parent's high-water mark in it, and this parent holds the generator's roster."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def export_child(job_id: str) -> None:
    """The child: its resident memory before the export and its peak, in MB."""
    from analytics.exports import export_run
    from analytics.models import ExportJob

    job = ExportJob.objects.get(pk=job_id)
    before = memory_mb("VmRSS")
    started = time.perf_counter()
    export_run(job=job)
    seconds = time.perf_counter() - started
    peak = memory_mb("VmHWM")
    job.refresh_from_db()
    print(json.dumps({
        "seconds": seconds, "rss_before_mb": before, "rss_peak_mb": peak, "rows": job.total,
        "written": job.done, "status": job.status, "bytes": job.file.size if job.file else 0,
    }))


def measure_exports(database: str, private_root: str, year: int) -> list[tuple[str, dict]]:
    from academy.accounts.models import User
    from academy.organisation.models import PostKind
    from django.db import connections
    from django.utils import timezone

    from analytics.exports import EXPORT_LIFETIME
    from analytics.models import ExportJob

    # The system administrator's scope: the nation's directors not yet trained (about 100,000 at scale 1).
    admin = User.objects.create(username="bench-system-admin", is_superuser=True, is_staff=True)
    params = {"year": year, "tier": PostKind.CHILD_DIRECTOR, "post_kind": PostKind.CHILD_DIRECTOR, "region": "",
              "status": "", "sort": "name"}
    results = []
    for file_format in (ExportJob.Format.CSV, ExportJob.Format.XLSX):
        job = ExportJob.objects.create(
            created_by=admin, kind=ExportJob.Kind.UNTRAINED, file_format=file_format, params=params,
            expires_at=timezone.now() + EXPORT_LIFETIME,
        )
        connections.close_all()
        started = time.perf_counter()
        figures = export_in_child(database, private_root, str(job.pk))
        figures["wall_s"] = time.perf_counter() - started
        results.append((f"untrained directors, whole nation, {file_format}", figures))
        print(f"  {file_format}: {figures['rows']:,} rows in {figures['seconds']:.1f} s "
              f"(child process {figures['wall_s']:.1f} s with start-up), peak memory {figures['rss_peak_mb']:.0f} MB "
              f"({figures['rss_before_mb']:.0f} MB before the export), {figures['bytes'] / 1e6:.1f} MB file", flush=True)
    return results


# --- Main -----------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="share of the nation to generate (0.1: a tenth)")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--database", default="bench_national")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--reuse", action="store_true",
        help="measure a database kept by an earlier run (--keep) instead of generating one, and keep it; step 1 "
        "then times re-running the assignment job over plans already assigned",
    )
    parser.add_argument("--skip-exports", action="store_true")
    parser.add_argument("--export-child", help=argparse.SUPPRESS)
    parser.add_argument("--private-root", help=argparse.SUPPRESS)
    options = parser.parse_args()

    if options.export_child:
        set_up_django(options.database, options.private_root)
        export_child(options.export_child)
        return 0

    private_root = tempfile.mkdtemp(prefix="bench-national-")
    if not options.reuse:
        harness.database_create(options.database)
    whole = time.perf_counter()
    try:
        set_up_django(options.database, private_root)
        import national_data
        from django.db import connection

        started = time.perf_counter()
        if options.reuse:
            heading(f"Reusing the data set in {options.database}")
            nation = national_data.nation_of_database()
            from academy.accounts.models import User

            User.objects.filter(username__startswith="bench-").delete()
        else:
            heading(f"Generating the data set (scale {options.scale:g}) into {options.database}")
            harness.migrate(divisions=False)  # national_data.generate loads them
            national_data.log("migrated", started)
            with connection.cursor() as cursor:
                cursor.execute("SET synchronous_commit TO off")
            nation = national_data.generate(scale=options.scale, seed=options.seed)
        generation_s = time.perf_counter() - started
        year = nation.years[-1]
        print(f"  generated in {generation_s:.0f} s: {nation.regions:,} regions, {nation.people:,} people, "
              f"{nation.posts:,} posts, {nation.records:,} training records, {nation.lesson_progress:,} lessons "
              f"started, {nation.plans:,} plans "
              f"({nation.years[0]}-{year})", flush=True)

        heading(f"1. Assigning the {year} plans with courses.plans.plans_assign, one pass per tier")
        assignment = measure_assignment(year)
        differences = compare_with_sql(year)

        heading(f"2. Coverage pages, {year}, median of {options.runs} requests")
        pages = measure_pages(nation, options.runs)

        exports = []
        if not options.skip_exports:
            heading("3. Untrained-list export in a child process (analytics.exports.export_run)")
            exports = measure_exports(options.database, private_root, year)

        heading(f"Summary (scale {options.scale:g}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
        print(f"data: {nation.people:,} people, {nation.posts:,} posts, {nation.townships:,} townships, "
              f"{nation.villages:,} villages, {nation.records:,} records, {nation.plans:,} plans; "
              f"generated in {generation_s:.0f} s")
        directors = assignment["child_director"]
        print(f"1. {directors['plans']:,} county director plans, {directors['people']:,} directors: "
              f"{directors['seconds']:.1f} s (target < {ASSIGN_TARGET_S} s) "
              f"{verdict(directors['seconds'] < ASSIGN_TARGET_S)}")
        for kind in ("child_supervisor", "institution_head"):
            print(f"   {assignment[kind]['plans']:,} {kind} plans, {assignment[kind]['people']:,} people: "
                  f"{assignment[kind]['seconds']:.1f} s")
        mismatches = sum(value for name, value in differences.items() if name != "compared")
        print(f"   agreement with the SQL of the rules: {differences['compared'] - mismatches:,} of "
              f"{differences['compared']:,} rows; differences {differences}")
        width = max(len(label) for label, _figures in pages)
        print(f"2. {'page'.ljust(width)}  median ms  best ms  queries  rows read  target")
        for label, figures in pages:
            ok = figures["median_ms"] < PAGE_TARGET_MS and figures["queries"] < PAGE_QUERY_TARGET
            print(f"   {label.ljust(width)}  {figures['median_ms']:9.1f}  {figures['best_ms']:7.1f}  "
                  f"{figures['queries']:7d}  {figures['rows_read']:9,}  {verdict(ok and figures['status'] == 200)}")
        print("   (*) the issue sets no target for the list; the coverage pages' 300 ms is shown for comparison."
              "\n   rows read: rows the page's queries scanned (EXPLAIN ANALYZE), to compare with --scale 0.1.")
        for label, figures in exports:
            ok = figures["seconds"] < EXPORT_TARGET_S and figures["rss_peak_mb"] < EXPORT_MEMORY_TARGET_MB
            print(f"3. {label}: {figures['rows']:,} rows, {figures['seconds']:.1f} s, peak RSS "
                  f"{figures['rss_peak_mb']:.0f} MB (of which {figures['rss_before_mb']:.0f} MB before the export) "
                  f"{verdict(ok and figures['status'] == 'done')}")
        print(f"whole run: {time.perf_counter() - whole:.0f} s")
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
