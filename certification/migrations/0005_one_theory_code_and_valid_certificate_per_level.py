import secrets

from django.db import migrations, models
from django.db.models import Count

# As applications.theory_code_new, frozen here: a migration must not change when the code does.
THEORY_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def give_shared_theory_codes_a_new_code(apps, schema_editor):
    """A theory code opens the exam of the newest session that has it, so a code shared by two sessions already
    fails the candidates of the others. The session with the latest theory slot keeps the code; the others,
    whose slots came earlier (usually long over), get a fresh one, shown on their session page."""
    AssessmentSession = apps.get_model("certification", "AssessmentSession")
    shared = (
        AssessmentSession.objects.exclude(theory_code="").values("theory_code").annotate(sessions=Count("pk"))
        .filter(sessions__gt=1).values_list("theory_code", flat=True)
    )
    taken = set(AssessmentSession.objects.exclude(theory_code="").values_list("theory_code", flat=True))
    for code in list(shared):
        sessions = AssessmentSession.objects.filter(theory_code=code).order_by("-theory_starts_at", "-pk")
        for session in list(sessions)[1:]:
            fresh = code
            while fresh in taken:
                fresh = "".join(secrets.choice(THEORY_CODE_ALPHABET) for _ in range(6))
            taken.add(fresh)
            AssessmentSession.objects.filter(pk=session.pk).update(theory_code=fresh)


def refuse_two_valid_certificates_of_one_level(apps, schema_editor):
    """Two valid certificates of one level for one person cannot be merged by a migration: each has its own
    number, which its holder may have printed and shown. An administrator revokes the one that should not
    stand (its number stays taken, its public page says revoked), then migrates again."""
    Certificate = apps.get_model("certification", "Certificate")
    twice = (
        Certificate.objects.filter(status="valid").values("person_id", "level").annotate(copies=Count("pk"))
        .filter(copies__gt=1)
    )
    if not twice.exists():
        return
    numbers = []
    for row in twice[:50]:
        numbers.append(" and ".join(
            Certificate.objects.filter(status="valid", person_id=row["person_id"], level=row["level"])
            .order_by("issued_on", "number").values_list("number", flat=True)
        ))
    raise RuntimeError(
        "These certificates are valid certificates of the same level for the same person: "
        f"{'; '.join(numbers)}. Revoke one of each group (Certificates → revoke, with the reason), then migrate "
        "again."
    )


class Migration(migrations.Migration):

    dependencies = [
        ("certification", "0004_issue_job_background_job"),
    ]

    operations = [
        migrations.RunPython(give_shared_theory_codes_a_new_code, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="assessmentsession",
            constraint=models.UniqueConstraint(
                condition=models.Q(("theory_code", ""), _negated=True), fields=("theory_code",),
                name="theory_code_unique",
            ),
        ),
        migrations.RunPython(refuse_two_valid_certificates_of_one_level, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="certificate",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "valid")), fields=("person", "level"),
                name="certificate_one_valid_per_person_level",
            ),
        ),
    ]
