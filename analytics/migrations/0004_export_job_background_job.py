"""ExportJob becomes a BackgroundJob (academy.jobs): its row counts are renamed total and done, keeping the data,
and it gains the start, the last sign of life and a failure message."""
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0003_indicators_monthly_reports"),
    ]

    operations = [
        migrations.RenameField(model_name="exportjob", old_name="total_rows", new_name="total"),
        migrations.RenameField(model_name="exportjob", old_name="processed_rows", new_name="done"),
        migrations.AlterField(
            model_name="exportjob",
            name="created_at",
            field=models.DateTimeField(auto_now_add=True, verbose_name="created"),
        ),
        migrations.AlterField(
            model_name="exportjob",
            name="total",
            field=models.PositiveIntegerField(default=0, verbose_name="total"),
        ),
        migrations.AlterField(
            model_name="exportjob",
            name="done",
            field=models.PositiveIntegerField(default=0, verbose_name="done"),
        ),
        migrations.AddField(
            model_name="exportjob",
            name="started_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="started"),
        ),
        migrations.AddField(
            model_name="exportjob",
            name="last_alive_at",
            field=models.DateTimeField(
                blank=True, help_text="Written by the task as it runs.", null=True, verbose_name="last sign of life"
            ),
        ),
        migrations.AddField(
            model_name="exportjob",
            name="failure_message",
            field=models.TextField(blank=True, verbose_name="failure"),
        ),
    ]
