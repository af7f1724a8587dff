"""RosterImport becomes a BackgroundJob (academy.jobs): its row counts are renamed total and done, keeping the data,
and it gains the start and the last sign of life."""
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("organisation", "0002_person_id_number_key"),
    ]

    operations = [
        migrations.RenameField(model_name="rosterimport", old_name="total_rows", new_name="total"),
        migrations.RenameField(model_name="rosterimport", old_name="processed_rows", new_name="done"),
        migrations.AlterField(
            model_name="rosterimport",
            name="created_at",
            field=models.DateTimeField(auto_now_add=True, verbose_name="created"),
        ),
        migrations.AlterField(
            model_name="rosterimport",
            name="total",
            field=models.PositiveIntegerField(default=0, verbose_name="total"),
        ),
        migrations.AlterField(
            model_name="rosterimport",
            name="done",
            field=models.PositiveIntegerField(default=0, verbose_name="done"),
        ),
        migrations.AddField(
            model_name="rosterimport",
            name="started_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="started"),
        ),
        migrations.AddField(
            model_name="rosterimport",
            name="last_alive_at",
            field=models.DateTimeField(
                blank=True, help_text="Written by the task as it runs.", null=True, verbose_name="last sign of life"
            ),
        ),
    ]
