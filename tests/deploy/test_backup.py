"""The restore drill: deploy/backup.sh, then deploy/restore.sh into a fresh database and fresh folders, and the
platform started on the copy finds the same people, training records and certificates (files included)."""
import datetime
import os
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

from academy.organisation.models import Person
from certification.certificates import certificate_issue
from certification.models import Certificate
from courses.models import TrainingRecord, TrainingSource
from tests.factories import AssessmentCentreFactory, make_application, make_session

REPOSITORY = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres") or not shutil.which("pg_dump"),
    reason="the drill needs PostgreSQL and its client tools (pg_dump, pg_restore, psql)",
)

# What the drill compares between the platform and its restored copy: printed by a process started on each.
SNAPSHOT = """
from academy.organisation.models import Person
from certification.models import Certificate
from courses.models import TrainingRecord
for person in Person.objects.order_by("pk"):
    print("person", person.pk, person.name, person.id_number)
for record in TrainingRecord.objects.order_by("pk"):
    print("record", record.pk, record.person_id, record.title, record.credit_hours, record.completed_on)
for certificate in Certificate.objects.order_by("pk"):
    with certificate.pdf.open("rb") as pdf:
        print("certificate", certificate.number, certificate.holder_name, certificate.public_id, len(pdf.read()))
"""


def _database_url(name: str) -> str:
    database = settings.DATABASES["default"]
    return f"postgresql://{database['USER']}@{database['HOST']}:{database['PORT']}/{name}"


def _environment(database_url: str, media: Path, private: Path) -> dict:
    return {
        **os.environ, "DJANGO_SETTINGS_MODULE": "academy.settings.test", "DATABASE_URL": database_url,
        "MEDIA_ROOT": str(media), "PRIVATE_MEDIA_ROOT": str(private),
    }


def _snapshot(environment: dict) -> list[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SNAPSHOT], cwd=REPOSITORY, env=environment,
        capture_output=True, text=True, check=True, timeout=300,
    ).stdout.splitlines()


@pytest.fixture
def restored_database():
    name = f"{settings.DATABASES['default']['NAME']}_restored"
    with psycopg.connect(_database_url("postgres"), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    yield _database_url(name)
    with psycopg.connect(_database_url("postgres"), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_backup_restored_into_a_fresh_database_has_the_same_people_records_and_certificates(
    zhejiang_regions, tmp_path, restored_database,
):
    session = make_session(AssessmentCentreFactory())
    for name in ("张晓明", "李秀英", "王芳"):
        application = make_application(session, name=name)
        TrainingRecord.objects.create(
            person=application.person, year=2026, source=TrainingSource.FACE_TO_FACE, title="儿童主任岗前培训",
            completed_on=datetime.date(2026, 5, 20), credit_hours=8,
        )
        certificate_issue(application=application, issued_on=datetime.date(2026, 11, 20))
    database = settings.DATABASES["default"]
    live = _environment(_database_url(database["NAME"]), settings.MEDIA_ROOT, settings.PRIVATE_MEDIA_ROOT)
    before = _snapshot(live)
    assert sum(line.startswith("certificate") for line in before) == 3 == Certificate.objects.count()
    assert Person.objects.count() >= 3

    backups = tmp_path / "backups"
    folder = subprocess.run(
        ["bash", "deploy/backup.sh", str(backups)], cwd=REPOSITORY, env=live, capture_output=True, text=True,
        check=True, timeout=300,
    ).stdout.strip()
    assert sorted(path.name for path in Path(folder).iterdir()) == [
        "SHA256SUMS", "database.dump", "media.tar.gz", "private.tar.gz",
    ]

    copy = _environment(restored_database, tmp_path / "restored-media", tmp_path / "restored-private")
    subprocess.run(["bash", "deploy/restore.sh", folder], cwd=REPOSITORY, env=copy, capture_output=True, text=True,
                   check=True, timeout=300)
    assert _snapshot(copy) == before

    # A second restore over the copy is refused: a restore never mixes with data already there.
    again = subprocess.run(["bash", "deploy/restore.sh", folder], cwd=REPOSITORY, env=copy, capture_output=True,
                           text=True, timeout=300)
    assert again.returncode == 1 and "is not empty" in again.stderr


def test_a_damaged_backup_is_refused_before_anything_is_restored(zhejiang_regions, tmp_path, restored_database):
    database = settings.DATABASES["default"]
    live = _environment(_database_url(database["NAME"]), settings.MEDIA_ROOT, settings.PRIVATE_MEDIA_ROOT)
    folder = Path(subprocess.run(["bash", "deploy/backup.sh", str(tmp_path)], cwd=REPOSITORY, env=live,
                                 capture_output=True, text=True, check=True, timeout=300).stdout.strip())
    with open(folder / "database.dump", "r+b") as dump:
        dump.seek(100)
        dump.write(b"damaged")
    copy = _environment(restored_database, tmp_path / "m", tmp_path / "p")
    refused = subprocess.run(["bash", "deploy/restore.sh", str(folder)], cwd=REPOSITORY, env=copy,
                             capture_output=True, text=True, timeout=300)
    assert refused.returncode == 1 and "damaged" in refused.stderr
    with psycopg.connect(restored_database) as connection:
        assert connection.execute("select count(*) from pg_tables where schemaname = 'public'").fetchone() == (0,)
