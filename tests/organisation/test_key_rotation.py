"""Rotating PERSONAL_DATA_KEY: several keys read, the first writes, and rotate_personal_data_key rewrites
every stored number in batches, resumably, while look-ups keep finding everyone."""
import datetime
import os
import subprocess
import sys
from io import StringIO

import pytest
from cryptography.fernet import InvalidToken
from django.core.management import CommandError, call_command

from academy.audit.models import AuditAction, AuditEntry
from academy.organisation import resident_id, roster, selectors
from academy.organisation.forms import PersonForm
from academy.organisation.management.commands.rotate_personal_data_key import rotate_batch
from academy.organisation.models import Person, Region
from academy.organisation.scope import Scope
from academy.organisation.services import person_find_by_id_number
from tests.factories import PersonFactory, PostFactory, make_id_number

pytestmark = pytest.mark.django_db

OLD, NEW, LOST = "old-personal-data-key", "new-personal-data-key", "lost-personal-data-key"


def people_on(settings, keys: list[str], count: int) -> list[tuple[Person, str]]:
    settings.PERSONAL_DATA_KEYS = keys
    numbers = [make_id_number("330102", datetime.date(1980, 1, 1) + datetime.timedelta(days=day), 7) for day in
               range(count)]
    return [(PersonFactory(id_number=number), number) for number in numbers]


def key_ids() -> dict[int, str]:
    return dict(Person.objects.values_list("pk", "id_number_key"))


def test_the_first_key_writes_and_every_key_reads(settings):
    number = make_id_number()
    settings.PERSONAL_DATA_KEYS = [OLD]
    old_token, old_digest, old_id = resident_id.encrypt(number), resident_id.digest(number), resident_id.key_id()

    settings.PERSONAL_DATA_KEYS = [NEW, OLD]
    new_token = resident_id.encrypt(number)
    assert resident_id.decrypt(old_token) == resident_id.decrypt(new_token) == number
    assert resident_id.lookup_digests(number) == [resident_id.digest(number), old_digest]
    assert resident_id.digest(number) != old_digest and resident_id.key_id() != old_id

    settings.PERSONAL_DATA_KEYS = [OLD]
    with pytest.raises(InvalidToken):
        resident_id.decrypt(new_token)


def test_a_key_id_reveals_nothing_of_the_key(settings):
    settings.PERSONAL_DATA_KEYS = [NEW]
    assert len(resident_id.key_id()) == 12 and NEW not in resident_id.key_id()


def test_people_written_with_the_old_key_are_found_while_the_new_key_writes(settings):
    [(person, number)] = people_on(settings, [OLD], 1)
    PostFactory(person=person, region=Region.objects.get(code="330102001"))
    settings.PERSONAL_DATA_KEYS = [NEW, OLD]

    assert person_find_by_id_number(number) == person
    found = selectors.people_search(scope=Scope.everything(), on=datetime.date.today(), id_number=number,
                                    current_only=False)
    assert list(found) == [person]
    # Another person cannot take the number, whatever key wrote it.
    other = PersonFactory()
    form = PersonForm({"name": other.name, "sex": other.sex, "mobile": "", "professional_category": "none",
                       "id_number": number}, instance=other, can_edit_id_number=True)
    assert not form.is_valid() and "id_number" in form.errors
    # A roster row naming the person updates them rather than adding a second one.
    errors = roster.RowErrors()
    row = roster.parse_row(2, {
        "name": "新名字", "sex": "女", "id_number": number, "mobile": person.mobile, "professional_category": "无",
        "post": "儿童督导员", "region_code": "330102001", "institution_code": "", "start_date": "2024-01-01",
        "end_date": "",
    }, errors)
    plan = roster.plan_rows([row], scope=Scope.everything(), errors=errors)
    assert errors.bad_rows == set()
    assert plan.new_people == {} and list(plan.changed_people) == [person.pk]


def test_rotation_rewrites_every_number_in_batches_and_records_it(settings):
    people = people_on(settings, [OLD], 5)
    settings.PERSONAL_DATA_KEYS = [NEW, OLD]
    output = StringIO()

    call_command("rotate_personal_data_key", "--batch-size", "2", stdout=output)

    assert "5 people to rewrite" in output.getvalue() and "Done: 5 rewritten" in output.getvalue()
    settings.PERSONAL_DATA_KEYS = [NEW]  # the old key can go now
    new_id = resident_id.key_id()
    assert set(key_ids().values()) == {new_id}
    for person, number in people:
        person.refresh_from_db()
        assert person.id_number == number
        assert person.id_number_digest == resident_id.digest(number)
        assert person.id_number_masked == resident_id.mask(number)
        assert person_find_by_id_number(number) == person
    entry = AuditEntry.objects.get(action=AuditAction.KEY_ROTATED)
    assert entry.detail == {"key": new_id, "people": 5, "command": "rotate_personal_data_key"}
    assert not any(number in str(entry.detail) for _person, number in people)


def test_an_interrupted_rotation_goes_on_where_it_stopped(settings):
    people = people_on(settings, [OLD], 4)
    # One number written with a key the operator forgot to list: the run stops at its batch.
    settings.PERSONAL_DATA_KEYS = [LOST]
    lost_number = make_id_number("330102", datetime.date(1990, 6, 6), 9)
    lost = PersonFactory(id_number=lost_number)
    settings.PERSONAL_DATA_KEYS = [NEW, OLD]
    new_id = resident_id.key_id()

    with pytest.raises(CommandError, match=f"person {lost.pk} cannot be read"):
        call_command("rotate_personal_data_key", "--batch-size", "2", stdout=StringIO())

    # The batches before the failure are kept, the failing one is rolled back whole.
    on_new = [pk for pk, key in key_ids().items() if key == new_id]
    assert len(on_new) == 4 and lost.pk not in on_new
    assert not AuditEntry.objects.filter(action=AuditAction.KEY_ROTATED).exists()
    # Mid-way, everyone is still found and readable.
    for person, number in people:
        assert Person.objects.get(pk=person.pk).id_number == number
        assert person_find_by_id_number(number) == person

    settings.PERSONAL_DATA_KEYS = [NEW, OLD, LOST]
    output = StringIO()
    call_command("rotate_personal_data_key", "--batch-size", "2", stdout=output)

    assert "1 people to rewrite" in output.getvalue()  # the four done before are skipped
    assert set(key_ids().values()) == {new_id}
    settings.PERSONAL_DATA_KEYS = [NEW]
    assert Person.objects.get(pk=lost.pk).id_number == lost_number
    assert person_find_by_id_number(lost_number) == lost
    assert AuditEntry.objects.get(action=AuditAction.KEY_ROTATED).detail["people"] == 1


def test_a_run_stopped_between_batches_leaves_every_person_readable_and_found(settings):
    people = people_on(settings, [OLD], 3)
    settings.PERSONAL_DATA_KEYS = [NEW, OLD]

    assert rotate_batch(new_key=resident_id.key_id(), size=2) == 2  # then the process is killed

    assert sorted(key_ids().values()).count(resident_id.key_id()) == 2
    for person, number in people:
        assert Person.objects.get(pk=person.pk).id_number == number
        assert person_find_by_id_number(number) == person


def test_a_second_run_finds_nothing_to_do(settings):
    people_on(settings, [OLD], 2)
    settings.PERSONAL_DATA_KEYS = [NEW, OLD]
    call_command("rotate_personal_data_key", stdout=StringIO())
    output = StringIO()

    call_command("rotate_personal_data_key", stdout=output)

    assert "0 people to rewrite" in output.getvalue()
    assert AuditEntry.objects.filter(action=AuditAction.KEY_ROTATED).count() == 1


def test_a_batch_size_below_one_is_refused():
    with pytest.raises(CommandError, match="--batch-size"):
        call_command("rotate_personal_data_key", "--batch-size", "0", stdout=StringIO())


def production_settings(key_setting: str) -> subprocess.CompletedProcess:
    # A gateway and a shared cache as production has them, so that only the key list is under test.
    environment = {
        **os.environ, "DJANGO_SECRET_KEY": "x", "PERSONAL_DATA_KEY": key_setting,
        "SMS_BACKEND": "academy.accounts.sms.OutboxSMSBackend", "CACHE_URL": "redis://127.0.0.1:6379/7",
    }
    return subprocess.run(
        [sys.executable, "-c", "import academy.settings.production as s; print(s.PERSONAL_DATA_KEYS)"],
        env=environment, capture_output=True, text=True,
    )


def test_production_settings_read_a_comma_separated_key_list():
    assert production_settings(f" {NEW}, {OLD} ").stdout.strip() == str([NEW, OLD])
    assert "must be set" in production_settings(" , ").stderr
    assert "same key twice" in production_settings(f"{NEW},{NEW}").stderr
