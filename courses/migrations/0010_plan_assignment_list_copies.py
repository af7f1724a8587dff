from django.db import migrations, models

# The copies filled for the assignments already there: the plan's year and the person's name
# (courses.plans.assignment_copies is the rule for new ones).
FILL = """
UPDATE courses_planassignment AS assignment SET year = plan.year, person_name = person.name
FROM courses_trainingplan plan, organisation_person person
WHERE plan.id = assignment.plan_id AND person.id = assignment.person_id
"""


class Migration(migrations.Migration):

    dependencies = [
        ("courses", "0009_video_renditions"),
        ("organisation", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="planassignment",
            name="year",
            field=models.PositiveSmallIntegerField(default=0, editable=False, verbose_name="year"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="planassignment",
            name="person_name",
            field=models.CharField(default="", editable=False, max_length=50, verbose_name="name"),
            preserve_default=False,
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop),
        migrations.AddIndex(
            model_name="planassignment",
            index=models.Index(
                condition=models.Q(("status", "completed"), _negated=True),
                fields=["year", "person_name", "id", "region"],
                name="assignment_untrained_by_name",
                opclasses=["int2_ops", "varchar_ops", "int8_ops", "varchar_pattern_ops"],
            ),
        ),
        migrations.AddIndex(
            model_name="planassignment",
            index=models.Index(
                fields=["year", "region"], name="assignment_year_region", opclasses=["int2_ops", "varchar_pattern_ops"]
            ),
        ),
    ]
