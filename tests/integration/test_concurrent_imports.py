"""Issue 12: two administrators giving the same people the same posts at the same moment made every post twice.
Here two processes (as two web or worker processes would be), each with its own connection to PostgreSQL, confirm
two checked imports at the same instant, and each applies its file at once (no broker: tasks run in the process
that queues them). The database keeps one open post of a kind per person and place; the import it refuses checks
again and finds the posts there.

tests/organisation/test_roster.py has the same race between two threads of one process."""
import os
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models import Count

from academy.accounts.services import accounts_for_people
from academy.organisation import roster
from academy.organisation.models import Person, Post, Region, RosterImport
from tests.factories import UserFactory
from tests.factories.organisation import make_villages, people_from_rows, roster_csv, roster_rows

from .conftest import REPOSITORY, wait_for

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="two processes at once need PostgreSQL")

# Each process: Django set up and the import loaded, then "ready", then waits for "go" and confirms it.
CONFIRM_AT_ONCE = """
import pathlib, sys, time
import django
django.setup()
from academy.organisation import roster
from academy.organisation.models import RosterImport
import_id, folder = sys.argv[1], pathlib.Path(sys.argv[2])
roster_import = RosterImport.objects.get(pk=import_id)
(folder / f"ready-{import_id}").touch()
while not (folder / "go").exists():
    time.sleep(0.005)
assert roster.roster_import_confirm(roster_import=roster_import)
"""
PEOPLE = 3000
OVERLAP = 2000


def test_two_processes_importing_the_same_posts_at_once_make_each_post_once(
    transactional_db, zhejiang_regions, tmp_path,
):
    villages = make_villages(count=20)
    county = Region.objects.get(code="330106")
    # Both files name people the roster has already (as the 8,000 did), the second also 1,000 new ones.
    first_rows = roster_rows(count=PEOPLE, villages=villages)
    second_rows = roster_rows(count=PEOPLE, villages=villages, first=PEOPLE - OVERLAP)
    accounts_for_people(people=people_from_rows(first_rows))
    imports = [
        roster.roster_import_create(  # checked here and now: no broker
            created_by=UserFactory(admin_region=county), language="zh-hans",
            upload=SimpleUploadedFile("名册.csv", roster_csv(rows), content_type="text/csv"),
        )
        for rows in (first_rows, second_rows)
    ]
    for roster_import in imports:
        roster_import.refresh_from_db()
        assert roster_import.status == RosterImport.Status.VALID, roster_import.errors[:3]

    database = settings.DATABASES["default"]
    environment = {
        **{name: value for name, value in os.environ.items() if not name.startswith("CELERY")},
        "DJANGO_SETTINGS_MODULE": "academy.settings.test",
        "DATABASE_URL": f"postgresql://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "PRIVATE_MEDIA_ROOT": str(settings.PRIVATE_MEDIA_ROOT),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", CONFIRM_AT_ONCE, str(roster_import.pk), str(tmp_path)], cwd=REPOSITORY,
            env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        for roster_import in imports
    ]
    try:
        both_ready = wait_for(lambda: len(list(tmp_path.glob("ready-*"))) == 2, timeout=120)
        assert both_ready, [process.poll() for process in processes]
        (tmp_path / "go").touch()
        outputs = [process.communicate(timeout=300)[0] for process in processes]
    finally:
        for process in processes:
            process.kill()
    assert [process.returncode for process in processes] == [0, 0], outputs

    first, second = (RosterImport.objects.get(pk=roster_import.pk) for roster_import in imports)
    assert (first.status, second.status) == (RosterImport.Status.DONE, RosterImport.Status.DONE), (
        first.errors[:3], second.errors[:3], outputs,
    )
    # They did run at the same time: each started before the other ended.
    assert first.started_at < second.finished_at and second.started_at < first.finished_at
    everyone = PEOPLE * 2 - OVERLAP
    assert Person.objects.count() == everyone
    assert Post.objects.count() == everyone
    doubled = (
        Post.objects.values("person", "kind", "region", "institution")
        .annotate(times=Count("id")).filter(times__gt=1)
    )
    assert not doubled.exists()
