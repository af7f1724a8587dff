from django.db import migrations


class Migration(migrations.Migration):
    """CoverageCount moved to courses (courses/migrations/0004_coveragecount_from_analytics.py), which keeps
    the table and its rows: here the model only leaves analytics' state."""

    dependencies = [
        ("analytics", "0004_export_job_background_job"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="CoverageCount")],
            database_operations=[],
        ),
    ]
