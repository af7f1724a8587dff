"""The roster import refuses a hostile workbook before parsing it: one that unpacks to hundreds of megabytes,
one of more rows than an import takes, one with a cell no column needs. Each is answered in well under a
second with a message naming the problem, and nothing is written."""
import time

import pytest

from academy.organisation.models import Person, RosterImport
from academy.organisation import roster
from tests.hostile import xlsx_with_a_huge_cell, xlsx_with_rows

from .test_roster import HEADINGS, check, county_admin, csv_bytes, director, places  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db


def refused_quickly(check, data, name="roster.xlsx") -> str:
    started = time.monotonic()
    roster_import = check(data, name=name)
    elapsed = time.monotonic() - started
    assert roster_import.status == RosterImport.Status.INVALID
    assert elapsed < 3, f"took {elapsed:.1f} s"
    assert not Person.objects.exists()
    [error] = roster_import.errors
    assert error["row"] is None
    return error["message"]


def test_a_workbook_whose_cell_holds_300_mb_is_refused_before_parsing(check):
    assert "unpacks to 300 MB" in refused_quickly(check, xlsx_with_a_huge_cell())


def test_a_workbook_of_110000_rows_is_refused_before_reading_them(check):
    data = xlsx_with_rows(110_000, header=HEADINGS)
    assert len(data) < 1024 * 1024
    assert "more than 100000 rows" in refused_quickly(check, data)


def test_a_csv_of_more_rows_than_allowed_is_refused(check, monkeypatch):
    monkeypatch.setattr(roster, "MAX_ROWS", 3)
    assert "more than 3 rows" in refused_quickly(check, csv_bytes([director()] * 4), name="roster.csv")


def test_a_cell_longer_than_any_column_needs_is_refused(check):
    message = refused_quickly(check, csv_bytes([director(name="陈" * 5000)]), name="roster.csv")
    assert "Row 2 has a cell of more than 1000 characters" in message


def test_the_platforms_own_csv_template_reads_back(check):
    """The template writes codes as ="330102001201" for Excel; the import reads them as the codes."""
    roster_import = check(roster.template_csv(), name="roster.csv")
    assert [error["field"] for error in roster_import.errors][:1] == ["id_number"]  # only the example row's number
    assert all(error["field"] != "region_code" for error in roster_import.errors)
