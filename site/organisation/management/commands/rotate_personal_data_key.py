"""Rewrite every stored resident ID number with the first PERSONAL_DATA_KEY.

The procedure (README, "Key rotation"): put the new key first and keep the old one after it
(PERSONAL_DATA_KEY=new,old), restart every web and Celery process, run this command, and remove the old key
once it reports that no number is left on it. Each batch is its own transaction and only rows written with
another key are read, so the command can be stopped at any moment and run again: it goes on where it stopped.
"""
from cryptography.fernet import InvalidToken
from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, transaction

from academy.audit.models import AuditAction
from academy.audit.services import audit_record
from academy.organisation import resident_id
from academy.organisation.models import Person

# The masked form does not depend on the key.
REWRITTEN_FIELDS = ["id_number_encrypted", "id_number_digest", "id_number_key"]


class Command(BaseCommand):
    help = "Re-encrypt every resident ID number and recompute its look-up digest with the first PERSONAL_DATA_KEY."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500, help="people rewritten per transaction")

    def handle(self, *args, batch_size: int, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be 1 or more.")
        new_key = resident_id.key_id()
        left = Person.objects.exclude(id_number_key=new_key)
        self.stdout.write(f"{left.count()} people to rewrite with key {new_key}.")
        rewritten = 0
        while batch := rotate_batch(new_key=new_key, size=batch_size):
            rewritten += batch
            self.stdout.write(f"{rewritten} rewritten.")
        if rewritten:
            audit_record(
                action=AuditAction.KEY_ROTATED, target_label="PERSONAL_DATA_KEY",
                detail={"key": new_key, "people": rewritten, "command": "rotate_personal_data_key"},
            )
        self.stdout.write(self.style.SUCCESS(
            f"Done: {rewritten} rewritten; every resident ID number is now on key {new_key}."
        ))


@transaction.atomic
def rotate_batch(*, new_key: str, size: int) -> int:
    """Rewrite up to ``size`` people not yet on ``new_key``; returns how many (0 when none is left)."""
    people = list(
        Person.objects.exclude(id_number_key=new_key).select_for_update().order_by("pk")
        .only("pk", "id_number_encrypted")[:size]
    )
    for person in people:
        try:
            number = person.id_number
        except InvalidToken:
            raise CommandError(
                f"The resident ID number of person {person.pk} cannot be read with any key of PERSONAL_DATA_KEY: "
                "add the key it was written with after the new one and run the command again."
            ) from None
        person.set_id_number(number)
    try:
        Person.objects.bulk_update(people, REWRITTEN_FIELDS)
    except IntegrityError:
        raise CommandError(
            "Two people have the same resident ID number (one of "
            f"{', '.join(str(person.pk) for person in people)}); merge them and run the command again."
        ) from None
    return len(people)
