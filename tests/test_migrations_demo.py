"""The demo's data taken back to the schema of the last release (before coverage counts moved to courses and the
jobs became BackgroundJobs), then migrated forward again, holds the same figures: people, posts, plans and
their coverage counts, certificates, and the jobs with their progress."""
import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

# The leaf migration of each app in the release before this round's changes to the schema.
LAST_RELEASE = [
    ("organisation", "0001_initial"),
    ("accounts", "0003_notifications"),
    ("courses", "0003_credit_hours_help"),
    ("certification", "0001_initial"),
    ("analytics", "0003_indicators_monthly_reports"),
]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def figures(apps, *, coverage_app: str, done_field: str) -> dict:
    count = apps.get_model(coverage_app, "CoverageCount")
    issue_job = apps.get_model("certification", "IssueJob")
    return {
        "people": apps.get_model("organisation", "Person").objects.count(),
        "posts": apps.get_model("organisation", "Post").objects.count(),
        "plans": apps.get_model("courses", "TrainingPlan").objects.count(),
        "coverage": sorted(count.objects.values_list("plan_id", "region_id", "not_started", "in_progress", "completed")),
        "certificates": sorted(apps.get_model("certification", "Certificate").objects.values_list("number", flat=True)),
        "issue_jobs": sorted(issue_job.objects.values_list("status", "total", done_field)),
    }


@pytest.mark.django_db(transaction=True)
def test_the_demo_keeps_its_figures_from_the_last_release_schema_forward(wagtail_roots):
    call_command("load_demo", "--cities", "3311", "--small", stdout=open("/dev/null", "w"))
    try:
        old = migrate(LAST_RELEASE)
        before = figures(old, coverage_app="analytics", done_field="done")
        assert before["people"] and before["coverage"] and before["certificates"]

        executor = MigrationExecutor(connection)
        new = migrate(executor.loader.graph.leaf_nodes())
        assert figures(new, coverage_app="courses", done_field="done") == before
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
