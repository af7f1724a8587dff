"""Benchmark: assigning a year's child-director plans (courses.plans.plans_assign) at national scale.

    .venv/bin/python bench/plan_assignment.py --reuse --database academy_bench_national   # a kept data set
    .venv/bin/python bench/plan_assignment.py --scale 0.1                                 # generate a tenth

Deletes the current year's director assignments and coverage counts, then assigns the ~3,200 county plans
(~600,000 directors at scale 1) in one pass of courses.plans.plans_assign, as the background job does, and checks
the result against the independent SQL of the rules in national_data.py (every row equal). Then runs the job again over plans already
assigned (the nightly re-run: nothing to change). The floor, in the same run: an INSERT … SELECT of the same
rows by that SQL into a temporary table. Target (issue 15): 600,000 people in under 60 s.
"""
import argparse
import logging
import sys
import time

import harness

TARGET_S = 60
KIND = "child_director"


def assign_all(year: int) -> tuple[float, int, dict]:
    """The year's director plans in one pass of courses.plans.plans_assign, as the first assignment job of a
    nightly run does with every plan's waiting job."""
    from courses.models import TrainingPlan
    from courses.plans import plans_assign

    started = time.perf_counter()
    summaries = plans_assign(TrainingPlan.objects.filter(year=year, post_kind=KIND))
    seconds = time.perf_counter() - started
    totals = {name: sum(getattr(summary, name) for summary in summaries.values())
              for name in ("added", "changed", "removed")}
    people = sum(summary.required for summary in summaries.values())
    return seconds, people, {"plans": len(summaries), **totals}


def floor(year: int) -> float:
    """INSERT … SELECT of the rows the rules give, into a temporary table: the database's own cost."""
    from django.db import connection, transaction
    from national_data import assignment_select

    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE floor_assignment (plan_id bigint, person_id bigint, region_id text, status text, "
            "credit_hours numeric, completed_on date) ON COMMIT DROP"
        )
        cursor.execute(f"INSERT INTO floor_assignment {assignment_select(year=year, kind=KIND)}", {"year": year, "kind": KIND})
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    harness.national_arguments(parser, "academy_bench_national")
    options = parser.parse_args()
    try:
        nation = harness.national_django_set_up(options.database, scale=options.scale, reuse=options.reuse)
        logging.getLogger("courses").setLevel(logging.WARNING)
        from django.db import connection

        from courses.models import CoverageCount, PlanAssignment
        from national_scale import compare_with_sql

        year = nation.years[-1]
        PlanAssignment.objects.filter(plan__year=year, plan__post_kind=KIND).delete()
        CoverageCount.objects.filter(plan__year=year, plan__post_kind=KIND).delete()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE courses_planassignment")
        print(f"== Assigning the {year} director plans from nothing (loadavg {harness.load_average()})", flush=True)
        seconds, people, totals = assign_all(year)
        floor_s = floor(year)
        lines = [harness.report(f"first run: {totals['plans']:,} plans, {people:,} directors {totals}", seconds, floor_s, "s",
                                target=TARGET_S)]
        differences = compare_with_sql(year, kinds=[KIND])
        print("== Running it again (nothing to change)", flush=True)
        seconds, people, totals = assign_all(year)
        lines.append(harness.report(f"second run: {people:,} directors {totals}", seconds, floor_s, "s"))
        print(f"\n== Summary ({nation.people:,} people)")
        print("\n".join(lines))
        print(f"against the SQL of the rules: {differences}")
        return 0
    finally:
        harness.national_tear_down(options)


if __name__ == "__main__":
    sys.exit(main())
