import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """CoverageCount moves from analytics to courses, rows and all: courses takes the model over on the
    table analytics created, then renames the table to its own name."""

    dependencies = [
        ("analytics", "0005_coveragecount_to_courses"),
        ("courses", "0003_credit_hours_help"),
        ("organisation", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="CoverageCount",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("not_started", models.PositiveIntegerField(default=0, verbose_name="not started")),
                        ("in_progress", models.PositiveIntegerField(default=0, verbose_name="in progress")),
                        ("completed", models.PositiveIntegerField(default=0, verbose_name="completed")),
                        ("plan", models.ForeignKey(
                            on_delete=django.db.models.deletion.CASCADE, related_name="coverage_counts",
                            to="courses.trainingplan",
                        )),
                        ("region", models.ForeignKey(
                            on_delete=django.db.models.deletion.CASCADE, related_name="+", to="organisation.region",
                        )),
                    ],
                    options={
                        "verbose_name": "coverage count",
                        "verbose_name_plural": "coverage counts",
                        "constraints": [models.UniqueConstraint(fields=("plan", "region"), name="coverage_count_once")],
                        "db_table": "analytics_coveragecount",
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name="coveragecount", table=None),
    ]
