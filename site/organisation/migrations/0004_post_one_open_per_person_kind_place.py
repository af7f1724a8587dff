import re

from django.db import migrations, models
from django.db.models import Count, Min

# As resident_id.mask_in_text, frozen here: a migration must not change when the code does.
ID_NUMBER_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


def mask_id_numbers_in_import_errors(apps, schema_editor):
    """Error reports of earlier imports quoted cell values, ID numbers among them, in full: mask them."""
    RosterImport = apps.get_model("organisation", "RosterImport")
    for roster_import in RosterImport.objects.exclude(errors=[]).only("pk", "errors").iterator():
        masked = [
            {**error, "message": ID_NUMBER_IN_TEXT.sub(
                lambda match: match.group()[:6] + "*" * 8 + match.group()[-4:], str(error.get("message", ""))
            )}
            for error in roster_import.errors
        ]
        if masked != roster_import.errors:
            RosterImport.objects.filter(pk=roster_import.pk).update(errors=masked)


def remove_exact_twin_posts(apps, schema_editor):
    """Open posts made twice by two administrators at the same moment (same person, post, place and start
    date) are one post: keep the first. Nothing refers to a post, so the twin goes without trace. Two open
    periods of one post with different start dates are not guessed at: the constraint refuses them, and
    the message below names them for an administrator to end one."""
    Post = apps.get_model("organisation", "Post")
    twins = (
        Post.objects.filter(end_date__isnull=True)
        .values("person_id", "kind", "region_id", "institution_id", "start_date")
        .annotate(first=Min("pk"), copies=Count("pk"))
        .filter(copies__gt=1)
    )
    for twin in twins:
        keys = {key: twin[key] for key in ("person_id", "kind", "region_id", "institution_id", "start_date")}
        Post.objects.filter(end_date__isnull=True, **keys).exclude(pk=twin["first"]).delete()
    overlapping = (
        Post.objects.filter(end_date__isnull=True)
        .values("person_id", "kind", "region_id", "institution_id")
        .annotate(copies=Count("pk"))
        .filter(copies__gt=1)
    )
    if overlapping.exists():
        people = sorted({row["person_id"] for row in overlapping})
        raise RuntimeError(
            "These people hold the same post in the same place twice, both open, from different start dates: "
            f"person ids {people[:50]}. End one of each pair (give it an end date), then migrate again."
        )


class Migration(migrations.Migration):

    dependencies = [
        ("organisation", "0003_roster_import_background_job"),
    ]

    operations = [
        migrations.RunPython(mask_id_numbers_in_import_errors, migrations.RunPython.noop),
        migrations.RunPython(remove_exact_twin_posts, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="post",
            constraint=models.UniqueConstraint(
                condition=models.Q(("end_date__isnull", True), ("institution__isnull", True)),
                fields=("person", "kind", "region"), name="post_one_open_per_person_kind_region",
            ),
        ),
        migrations.AddConstraint(
            model_name="post",
            constraint=models.UniqueConstraint(
                condition=models.Q(("end_date__isnull", True), ("institution__isnull", False)),
                fields=("person", "kind", "institution"), name="post_one_open_per_person_kind_institution",
            ),
        ),
    ]
