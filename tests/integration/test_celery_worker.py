"""A roster import through the real path: queued on commit, carried by Redis, checked and applied by a
Celery worker process against PostgreSQL, then seen by the web process."""
import datetime

from django.core.files.uploadedfile import SimpleUploadedFile

from academy.accounts.models import User
from academy.organisation import services
from academy.organisation.models import Person, Post, Region, RosterImport
from academy.organisation.roster import COLUMNS, roster_import_confirm, roster_import_create
from academy.organisation.tasks import apply_roster_import
from tests.factories import UserFactory, make_id_number

from .conftest import wait_for


def roster_csv(rows):
    lines = [",".join(column.heading for column in COLUMNS)]
    lines += [",".join(row.get(column.field, "") for column in COLUMNS) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")


def status_of(roster_import):
    return RosterImport.objects.values_list("status", flat=True).get(pk=roster_import.pk)


def explain(roster_import):
    roster_import.refresh_from_db()
    return f"{roster_import.status}: {roster_import.failure_message} {roster_import.errors}"


def test_a_roster_import_round_trips_through_the_worker(celery_worker_process):
    county_admin = UserFactory(admin_region=Region.objects.get(code="330106"))
    village = services.village_create(township=Region.objects.get(code="330106002"), code="330106002201", name="测试村")
    rows = [
        {"name": "王丽", "sex": "女", "id_number": make_id_number("330106", datetime.date(1985, 3, 2), 2),
         "mobile": "13912340001", "professional_category": "无", "post": "儿童主任", "region_code": village.code, "start_date": "2024-01-01"},
        {"name": "陈刚", "sex": "男", "id_number": make_id_number("330106", datetime.date(1979, 8, 9), 1),
         "mobile": "13912340002", "professional_category": "社工", "post": "儿童督导员", "region_code": "330106002", "start_date": "2023-05-01"},
    ]
    upload = SimpleUploadedFile("roster.csv", roster_csv(rows), content_type="text/csv")

    roster_import = roster_import_create(created_by=county_admin, upload=upload, language="zh-hans")

    assert wait_for(lambda: status_of(roster_import) == RosterImport.Status.VALID), explain(roster_import)
    assert roster_import_confirm(roster_import=roster_import)
    assert wait_for(lambda: status_of(roster_import) == RosterImport.Status.DONE), explain(roster_import)
    assert set(Person.objects.values_list("name", flat=True)) == {"王丽", "陈刚"}
    assert Post.objects.filter(region=village, kind="child_director").count() == 1
    assert User.objects.filter(person__isnull=False, phone__in=["13912340001", "13912340002"]).count() == 2

    # A message delivered twice (tasks are acknowledged late) changes nothing.
    apply_roster_import.delay(str(roster_import.pk))
    apply_roster_import.delay(str(roster_import.pk))

    def applies_finished():
        log = celery_worker_process.log_path.read_text()
        return log.count("apply_roster_import[") and log.count("succeeded in") >= 4

    assert wait_for(applies_finished), celery_worker_process.log_path.read_text()[-3000:]
    assert Person.objects.count() == 2 and Post.objects.count() == 2
