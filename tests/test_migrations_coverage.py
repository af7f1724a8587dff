"""Moving CoverageCount from analytics to courses keeps every count: a database at the old schema with
coverage counts, migrated forward, holds the same figures."""
import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("analytics", "0004_export_job_background_job"), ("courses", "0003_credit_hours_help")]
AFTER = [("analytics", "0005_coveragecount_to_courses"), ("courses", "0004_coveragecount_from_analytics")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_coverage_counts_survive_the_move_to_courses(zhejiang_regions):
    old = migrate(BEFORE)
    Region = old.get_model("organisation", "Region")
    TrainingPlan = old.get_model("courses", "TrainingPlan")
    CoverageCount = old.get_model("analytics", "CoverageCount")
    province, city = Region.objects.get(code="33"), Region.objects.get(code="3301")
    year = 2025
    plan = TrainingPlan.objects.create(
        year=year, post_kind="child_director", organiser_region=province, title="2025 年计划",
        opens_on=datetime.date(year, 1, 1), deadline=datetime.date(year, 11, 30),
        join_cutoff=datetime.date(year, 9, 30), leave_cutoff=datetime.date(year, 11, 30),
    )
    CoverageCount.objects.create(plan=plan, region=province, not_started=5, in_progress=3, completed=7)
    CoverageCount.objects.create(plan=plan, region=city, not_started=1, in_progress=2, completed=4)
    figures = sorted(CoverageCount.objects.values_list("plan_id", "region_id", "not_started", "in_progress", "completed"))

    try:
        new = migrate(AFTER)
        moved = new.get_model("courses", "CoverageCount")
        assert sorted(moved.objects.values_list(
            "plan_id", "region_id", "not_started", "in_progress", "completed"
        )) == figures
        assert moved._meta.db_table == "courses_coveragecount"
        assert "analytics_coveragecount" not in connection.introspection.table_names()
    finally:
        # Back to the latest schema for the tests that follow.
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
