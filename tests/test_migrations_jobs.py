"""The three job models became BackgroundJobs (academy.jobs) with migrations that rename their progress
fields: a database holding jobs of the old schema keeps their figures once migrated forward."""
import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from analytics.models import ExportJob
from certification.models import IssueJob
from academy.organisation.models import RosterImport
from tests.factories import AssessmentCentreFactory, UserFactory, make_session

# The migration of each app that made its job a BackgroundJob, found by name so that renumbering keeps the test.
JOB_MIGRATIONS = {
    "organisation": "roster_import_background_job",
    "analytics": "export_job_background_job",
    "certification": "issue_job_background_job",
}


def _executor() -> MigrationExecutor:
    return MigrationExecutor(connection)


def _before_the_job_migrations(executor: MigrationExecutor) -> list[tuple[str, str]]:
    """For each app, the migration its job migration depends on: the schema of the old job models."""
    targets = []
    for app_label, suffix in JOB_MIGRATIONS.items():
        [key] = [key for key in executor.loader.disk_migrations if key[0] == app_label and key[1].endswith(suffix)]
        [parent] = [parent for parent in executor.loader.graph.node_map[key].parents if parent.key[0] == app_label]
        targets.append(parent.key)
    return targets


@pytest.mark.django_db(transaction=True)
def test_jobs_keep_their_status_counts_and_failure_through_the_migration(zhejiang_regions):
    user = UserFactory()
    session = make_session(AssessmentCentreFactory(), organiser=user)
    executor = _executor()
    try:
        executor.migrate(_before_the_job_migrations(executor))
        old = _executor().loader.project_state(_before_the_job_migrations(executor)).apps
        finished = timezone.now() - datetime.timedelta(hours=1)
        old.get_model("organisation", "RosterImport").objects.create(
            created_by_id=user.pk, file_name="花名册.xlsx", status="valid", total_rows=25000, processed_rows=25000,
            summary={"people_created": 3}, errors=[],
        )
        old.get_model("organisation", "RosterImport").objects.create(
            created_by_id=user.pk, file_name="坏的.csv", status="failed", total_rows=400, processed_rows=100,
            failure_message="RuntimeError: disk on fire", finished_at=finished,
        )
        old.get_model("analytics", "ExportJob").objects.create(
            created_by_id=user.pk, kind="untrained", file_format="csv", params={"year": 2026}, status="running",
            total_rows=4000, processed_rows=2000, expires_at=timezone.now() + datetime.timedelta(hours=1),
        )
        old.get_model("certification", "IssueJob").objects.create(
            session_id=session.pk, created_by_id=user.pk, status="failed", total=40, done=10,
            failure_message="OperationalError: server closed the connection", finished_at=finished,
        )

        executor = _executor()
        executor.migrate(executor.loader.graph.leaf_nodes())

        imports = {job.file_name: job for job in RosterImport.objects.all()}
        assert (imports["花名册.xlsx"].status, imports["花名册.xlsx"].total, imports["花名册.xlsx"].done) == (
            "valid", 25000, 25000,
        )
        assert imports["花名册.xlsx"].summary == {"people_created": 3} and imports["花名册.xlsx"].progress == 100
        failed = imports["坏的.csv"]
        assert (failed.status, failed.total, failed.done, failed.progress) == ("failed", 400, 100, 25)
        assert failed.failure_message == "RuntimeError: disk on fire" and failed.finished_at == finished
        export = ExportJob.objects.get()
        assert (export.status, export.total, export.done, export.progress, export.failure_message) == (
            "running", 4000, 2000, 50, "",
        )
        assert export.is_running and export.started_at is None and export.last_alive_at is None
        issue = IssueJob.objects.get()
        assert (issue.status, issue.total, issue.done, issue.session_id) == ("failed", 40, 10, session.pk)
        assert issue.failure_message == "OperationalError: server closed the connection"
    finally:
        executor = _executor()
        executor.migrate(executor.loader.graph.leaf_nodes())
