"""IssueJob becomes a BackgroundJob (academy.jobs): it gains the start and the last sign of life; the status
holds up to 10 characters, as every job's."""
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("certification", "0003_issue_failures"),
    ]

    operations = [
        migrations.AlterField(
            model_name="issuejob",
            name="created_at",
            field=models.DateTimeField(auto_now_add=True, verbose_name="created"),
        ),
        migrations.AlterField(
            model_name="issuejob",
            name="total",
            field=models.PositiveIntegerField(default=0, verbose_name="total"),
        ),
        migrations.AlterField(
            model_name="issuejob",
            name="done",
            field=models.PositiveIntegerField(default=0, verbose_name="done"),
        ),
        migrations.AddField(
            model_name="issuejob",
            name="started_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="started"),
        ),
        migrations.AddField(
            model_name="issuejob",
            name="last_alive_at",
            field=models.DateTimeField(
                blank=True, help_text="Written by the task as it runs.", null=True, verbose_name="last sign of life"
            ),
        ),
        migrations.AlterField(
            model_name="issuejob",
            name="status",
            field=models.CharField(
                choices=[("pending", "Waiting"), ("running", "Issuing"), ("done", "Done"), ("failed", "Failed")],
                default="pending", max_length=10, verbose_name="status",
            ),
        ),
    ]
