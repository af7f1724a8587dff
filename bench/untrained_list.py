"""Benchmark: the untrained list (analytics:people_list) at national scale, page 1 and later pages.

    .venv/bin/python bench/untrained_list.py --reuse --database academy_bench_national   # a kept data set
    .venv/bin/python bench/untrained_list.py --scale 0.1                                 # generate a tenth

For a system administrator (the whole nation), a province administrator (Zhejiang) and a county
administrator, it times the list's page 1, page 2 and page 20 (reached by the "next" links, as a person would)
through Django's test client: the median server time of --runs requests and the queries of one. The floor,
in the same run: the bare SQL the page needs, the ids of the same 50 rows (same filters, same order, the same
keyset condition, no OFFSET) read with a raw cursor. Target (issue 15): under 100 ms for every page, the same
at a tenth of the data.
"""
import argparse
import re
import statistics
import sys
import time

import harness

TARGET_MS = 100
PAGES = (1, 2, 20)

FLOOR_SQL = """
SELECT id FROM courses_planassignment
WHERE year = %(year)s AND status <> 'completed' AND region_id LIKE %(prefix)s AND (person_name, id) > (%(name)s, %(id)s)
ORDER BY person_name, id LIMIT 50
"""


def median_ms(action, runs: int, *, cpu: list | None = None) -> float:
    """The median wall time of ``runs`` calls; with ``cpu``, the median CPU time of this process appended to it
    (on a loaded machine the wall time is mostly waiting for a core; the CPU time is the page's own work)."""
    action()
    timings, cpu_timings = [], []
    for _ in range(runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        action()
        timings.append((time.perf_counter() - started) * 1000)
        cpu_timings.append((time.process_time() - cpu_started) * 1000)
    if cpu is not None:
        cpu.append(statistics.median(cpu_timings))
    return statistics.median(timings)


def measure(label: str, user, year: int, runs: int) -> list[str]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from academy.organisation.scope import scope_for
    from courses.models import PlanAssignment

    client = Client()
    client.force_login(user)
    url = reverse("analytics:people_list")
    scope = scope_for(user)
    lines, after = [], None
    for number in range(1, max(PAGES) + 1):
        query = {"year": year, **({"after": after} if after else {})}
        if number in PAGES:
            cpu = []
            figure = median_ms(lambda: client.get(url, query), runs, cpu=cpu)
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url, query)
            key = ("", 0)
            if after:
                key = PlanAssignment.objects.filter(pk=after).values_list("person_name", "pk").get()

            def floor():
                with connection.cursor() as cursor:
                    cursor.execute(FLOOR_SQL, {"year": year, "prefix": f"{scope.region_code}%", "name": key[0], "id": key[1]})
                    return cursor.fetchall()

            floor_ms = median_ms(floor, runs)
            assert response.status_code == 200
            lines.append(harness.report(
                f"{label}, page {number} ({len(queries.captured_queries)} queries, {cpu[0]:.1f} ms CPU in Django)",
                figure, floor_ms, "ms",
                target=TARGET_MS,
            ))
        else:
            response = client.get(url, query)
        found = re.search(rb'after=(\d+)" rel="next"', response.content)
        if not found:
            break
        after = found.group(1).decode()
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    harness.national_arguments(parser, "academy_bench_national")
    parser.add_argument("--runs", type=int, default=10)
    options = parser.parse_args()
    try:
        nation = harness.national_django_set_up(options.database, scale=options.scale, reuse=options.reuse)
        import national_data
        from django.db import connection

        from academy.accounts.models import User
        from academy.organisation.models import Region

        year = nation.years[-1]
        if not options.reuse:
            # The data set leaves the current year to the assignment job; the list needs it assigned.
            national_data.assign_by_sql(nation, [year])
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE courses_planassignment")
        User.objects.filter(username__startswith="bench-list-").delete()
        county = min(code for code in nation.counties if code.startswith("33"))
        users = [
            ("system administrator (nation)", User.objects.create(username="bench-list-nation", is_superuser=True, is_staff=True)),
            ("province administrator (33)", User.objects.create(username="bench-list-33", admin_region=Region.objects.get(code="33"))),
            (f"county administrator ({county})",
             User.objects.create(username=f"bench-list-{county}", admin_region=Region.objects.get(code=county))),
        ]
        print(f"== The untrained list, {year}, median of {options.runs} requests (loadavg {harness.load_average()})")
        lines = [line for label, user in users for line in measure(label, user, year, options.runs)]
        User.objects.filter(username__startswith="bench-list-").delete()
        print(f"\n== Summary ({nation.people:,} people, {nation.villages:,} villages)")
        print("\n".join(lines))
        return 0
    finally:
        harness.national_tear_down(options)


if __name__ == "__main__":
    sys.exit(main())
