"""Loading administrative divisions from a CSV of the shape of data/zhejiang-divisions.csv
(code, name, level, parent_code). Loading is idempotent: a second load changes nothing."""
import csv
from pathlib import Path

from django.db import transaction

from .models import CODE_LENGTHS, Region, RegionLevel

ZHEJIANG_DIVISIONS = Path(__file__).resolve().parent / "data" / "zhejiang-divisions.csv"


class DivisionFileError(ValueError):
    pass


def read_divisions(path: Path) -> list[dict]:
    rows = []
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"code", "name", "level", "parent_code"} - set(reader.fieldnames or [])
        if missing:
            raise DivisionFileError(f"{path}: missing columns {', '.join(sorted(missing))}")
        seen = set()
        for line, row in enumerate(reader, start=2):
            code, level, parent = row["code"].strip(), row["level"].strip(), row["parent_code"].strip()
            if level not in RegionLevel.values:
                raise DivisionFileError(f"{path}, row {line}, level: unknown level {level!r}")
            if not code.isdigit() or len(code) != CODE_LENGTHS[level]:
                raise DivisionFileError(f"{path}, row {line}, code: {code!r} is not a {level} code")
            if parent and (not code.startswith(parent) or parent not in seen):
                raise DivisionFileError(f"{path}, row {line}, parent_code: {parent!r} is not an earlier ancestor")
            if code in seen:
                raise DivisionFileError(f"{path}, row {line}, code: {code} appears twice")
            seen.add(code)
            rows.append({"code": code, "name": row["name"].strip(), "level": level, "parent_id": parent or None})
    return rows


@transaction.atomic
def load_divisions(path: Path = ZHEJIANG_DIVISIONS) -> tuple[int, int]:
    """Create missing regions and rename changed ones. Returns (created, updated)."""
    rows = read_divisions(path)
    existing = Region.objects.in_bulk([row["code"] for row in rows])
    created = [Region(**row) for row in rows if row["code"] not in existing]
    changed = []
    for row in rows:
        region = existing.get(row["code"])
        if region and (region.name, region.level, region.parent_id) != (row["name"], row["level"], row["parent_id"]):
            region.name, region.level, region.parent_id = row["name"], row["level"], row["parent_id"]
            changed.append(region)
    # Parents precede children in the file, so one ordered bulk insert respects the foreign key.
    Region.objects.bulk_create(created, batch_size=1000)
    Region.objects.bulk_update(changed, ["name", "level", "parent_id"], batch_size=1000)
    return len(created), len(changed)
