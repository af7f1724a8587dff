"""Benchmark: importing a 25,000-row roster file (issue 2, §8: under 60 s, peak memory under 500 MB).

Run from the repository root:

    .venv/bin/python bench/roster_import.py [--database postgresql|sqlite] [--rows 25000] [--keep]

It builds a database of its own (PostgreSQL: bench_roster on 127.0.0.1:5432, user postgres; SQLite: a file
in a temporary folder), migrates it, loads the Zhejiang divisions, synthesises villages under the real
townships (marked synthetic) and an institution per city and county, then writes a roster of --rows rows
across the province (a supervisor per township, directors in villages, heads and carers in institutions)
as xlsx and as csv.

Each run starts from a fresh copy of that database and calls roster.py directly, as the background tasks
do (no HTTP, no broker): check, then apply. Each runs in a child process, so the peak memory printed
(ru_maxrss, the resident set at its highest, Django and pandas included) is that run's alone. The last run
imports the csv again over the applied roster: every person is matched and nothing changes. The database
and the files are removed at the end (unless --keep).
"""
import argparse
import csv
import datetime
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import harness

REPOSITORY = harness.REPOSITORY
DATABASE = "bench_roster"
TEMPLATE_DATABASE = "bench_roster_template"
TIME_TARGET_SECONDS = 60
MEMORY_TARGET_MB = 500

SURNAMES = "陈王张李吴徐周林金朱黄沈杨钱胡方何郑叶刘蒋赵潘孙姚余汪俞章应楼毛丁许马谢邵施冯蔡罗程傅戴宋曹董袁高范"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国红梅玉志海燕晓东丹雪春花文斌佳怡子涵浩然欣梓轩"
CATEGORIES = ["无"] * 16 + ["社工", "社工", "教师", "护士", "医生", "心理咨询师", "康复师"]


def set_up_django(database_url: str, media_root: str) -> None:
    harness.django_set_up(
        harness.environment(database_url, MEDIA_ROOT=media_root, LOG_LEVEL=os.environ.get("LOG_LEVEL", "WARNING"))
    )


# Building the database and the files (parent process) ------------------------------------------------


def build_template_database(database: str, workdir: Path) -> str:
    """The divisions, synthetic villages and institutions, and a province administrator. Returns the URL."""
    if database == "postgresql":
        harness.database_create(TEMPLATE_DATABASE)
        url = harness.database_url(TEMPLATE_DATABASE)
    else:
        url = f"sqlite:///{workdir / 'template.sqlite3'}"
    set_up_django(url, str(workdir / "media"))
    from django.db import connection

    from academy.accounts.models import User
    from academy.demo import synthetic
    from academy.organisation.models import Region, RegionLevel

    harness.migrate()
    townships = list(Region.objects.filter(level=RegionLevel.TOWNSHIP).order_by("code"))
    villages = synthetic.synthesise_villages(townships=townships, seed="bench-roster")
    institutions = synthetic.synthesise_institutions(cities=list(Region.objects.filter(level=RegionLevel.CITY)))
    User.objects.create(username="bench-province-admin", admin_region=Region.objects.get(code="33"))
    connection.close()
    print(f"database: {len(townships)} townships, {len(villages)} synthetic villages, {len(institutions)} institutions")
    return url


def roster_rows(count: int) -> list[list]:
    """Valid rows across the province: a supervisor per township, heads and carers in institutions, and
    directors in villages for the rest. Every person has a unique ID number and mobile number."""
    from academy.organisation import resident_id
    from academy.organisation.models import Institution, InstitutionKind, Region, RegionLevel

    rng = random.Random(25000)
    villages = list(Region.objects.filter(level=RegionLevel.VILLAGE).values_list("code", flat=True).order_by("code"))
    townships = list(Region.objects.filter(level=RegionLevel.TOWNSHIP).values_list("code", flat=True).order_by("code"))
    institutions = list(Institution.objects.order_by("code"))
    mobiles = rng.sample(range(10**8), count)
    places = [("儿童督导员", code, "") for code in townships]
    places += [("机构负责人", "", institution.code) for institution in institutions]
    welfare_homes = [i for i in institutions if i.kind == InstitutionKind.CHILDREN_WELFARE]
    carers = max(0, min(len(welfare_homes) * 50, count - len(places) - len(villages)))
    places += [("孤残儿童护理员", "", welfare_homes[n % len(welfare_homes)].code) for n in range(carers)]
    places += [("儿童主任", code, "") for code in villages]
    places += [("其他机构工作人员", "", institutions[n % len(institutions)].code) for n in range(count - len(places))]

    rows = []
    for index, (post, region_code, institution_code) in enumerate(places[:count]):
        born = datetime.date(1965, 1, 1) + datetime.timedelta(days=index % 12000)
        county = (region_code or "330102")[:6]
        first_seventeen = f"{county}{born:%Y%m%d}{index // 12000:02d}{index % 10}"
        sex = "男" if int(first_seventeen[16]) % 2 else "女"
        start = datetime.date(2015, 1, 1) + datetime.timedelta(days=rng.randrange(3000))
        rows.append([
            rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN), sex,
            first_seventeen + resident_id.check_character(first_seventeen),
            f"1{rng.choice('3589')}{rng.randrange(10)}{mobiles[index]:08d}", rng.choice(CATEGORIES), post,
            region_code, institution_code, start, "",
        ])
    return rows


def write_files(rows: list[list], workdir: Path) -> dict[str, Path]:
    """The roster as xlsx (text ID and mobile cells, real date cells, as a filled-in template) and as csv."""
    import openpyxl

    from academy.organisation.roster import COLUMNS

    headings = [column.heading for column in COLUMNS]
    xlsx_path, csv_path = workdir / "roster-25000.xlsx", workdir / "roster-25000.csv"
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("名册(roster)")
    sheet.append(headings)
    for row in rows:
        sheet.append(row)
    book.save(xlsx_path)
    with open(csv_path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(headings)
        for row in rows:
            writer.writerow([value.isoformat() if isinstance(value, datetime.date) else value for value in row])
    return {"xlsx": xlsx_path, "csv": csv_path}


def fresh_copy(database: str, workdir: Path, template_url: str) -> str:
    if database == "postgresql":
        harness.database_create(DATABASE, template=TEMPLATE_DATABASE)
        return harness.database_url(DATABASE)
    copy = workdir / "bench.sqlite3"
    shutil.copyfile(template_url.removeprefix("sqlite:///"), copy)
    return f"sqlite:///{copy}"


def run_child(database_url: str, workdir: Path, path: Path) -> dict:
    completed = subprocess.run(
        [sys.executable, __file__, "--child", str(path), "--database-url", database_url, "--workdir", str(workdir)],
        cwd=REPOSITORY, capture_output=True, text=True, check=False,
    )
    if completed.returncode != 0:
        sys.stderr.write(completed.stdout + completed.stderr)
        raise SystemExit(f"the run on {path.name} failed")
    return json.loads(completed.stdout.strip().splitlines()[-1])


# One run (child process) ------------------------------------------------------------------------------


def child(path: Path, database_url: str, workdir: Path) -> None:
    set_up_django(database_url, str(workdir / "media"))
    from django.core.files import File

    from academy.accounts.models import User
    from academy.organisation import roster
    from academy.organisation.models import Person, Post, RosterImport

    administrator = User.objects.get(username="bench-province-admin")
    people_before = Person.objects.count()
    baseline_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with open(path, "rb") as handle:
        roster_import = RosterImport(created_by=administrator, file_name=path.name, language="zh-hans")
        roster_import.file.save(path.name, File(handle), save=True)

    started, started_cpu = time.perf_counter(), time.process_time()
    roster.roster_import_validate(roster_import=roster_import)
    validated = time.perf_counter()
    roster_import.refresh_from_db()
    assert roster_import.status == RosterImport.Status.VALID, roster_import.errors[:5]
    summary = roster_import.summary

    RosterImport.objects.filter(pk=roster_import.pk).update(status=RosterImport.Status.CONFIRMED)
    roster_import.refresh_from_db()
    roster.roster_import_apply(roster_import=roster_import)
    applied, applied_cpu = time.perf_counter(), time.process_time()
    roster_import.refresh_from_db()
    assert roster_import.status == RosterImport.Status.DONE, roster_import.errors[:5]

    print(json.dumps({
        "rows": roster_import.total,
        "people_before": people_before,
        "people_after": Person.objects.count(),
        "posts_after": Post.objects.count(),
        "accounts_after": User.objects.exclude(person=None).count(),
        "summary": summary,
        "validate_seconds": validated - started,
        "apply_seconds": applied - validated,
        "cpu_seconds": applied_cpu - started_cpu,
        "baseline_mb": baseline_mb,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


# Main -------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--rows", type=int, default=25000)
    parser.add_argument("--keep", action="store_true", help="keep the database and the files")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        child(arguments.child, arguments.database_url, arguments.workdir)
        return

    workdir = Path(tempfile.mkdtemp(prefix="bench-roster-"))
    try:
        template_url = build_template_database(arguments.database, workdir)
        started = time.perf_counter()
        files = write_files(roster_rows(arguments.rows), workdir)
        print(f"files: {arguments.rows} rows written in {time.perf_counter() - started:.1f} s: "
              + ", ".join(f"{path.name} {path.stat().st_size / 1024 / 1024:.1f} MB" for path in files.values()))
        from django.db import connections

        connections.close_all()

        results = []
        for label, path in (("xlsx, new roster", files["xlsx"]), ("csv, new roster", files["csv"])):
            url = fresh_copy(arguments.database, workdir, template_url)
            results.append((label, run_child(url, workdir, path)))
        # The same file over the roster it has just created.
        results.append(("csv again, all matched", run_child(url, workdir, files["csv"])))
        report(arguments.database, results)
    finally:
        if not arguments.keep:
            shutil.rmtree(workdir, ignore_errors=True)
            if arguments.database == "postgresql":
                from django.db import connections

                connections.close_all()
                harness.database_drop(DATABASE)
                harness.database_drop(TEMPLATE_DATABASE)
        else:
            databases = f", databases {DATABASE} and {TEMPLATE_DATABASE}" if arguments.database == "postgresql" else ""
            print(f"kept: {workdir}{databases}")


def report(database: str, results: list[tuple[str, dict]]) -> None:
    load = os.getloadavg()[0]
    print(f"\nRoster import on {database} (targets: < {TIME_TARGET_SECONDS} s, peak < {MEMORY_TARGET_MB} MB)")
    print("Elapsed seconds per phase; 'cpu s' is this process's own CPU time (the database server's is not")
    print(f"counted), a guide when the machine is busy: its load average was {load:.1f} on {os.cpu_count()} CPUs.")
    print(
        f"{'run':<26}{'rows':>7}{'check s':>9}{'apply s':>9}{'total s':>9}{'cpu s':>7}{'peak MB':>9}{'base MB':>9}"
        "  result"
    )
    for label, result in results:
        total = result["validate_seconds"] + result["apply_seconds"]
        ok = total < TIME_TARGET_SECONDS and result["peak_mb"] < MEMORY_TARGET_MB
        print(
            f"{label:<26}{result['rows']:>7}{result['validate_seconds']:>9.1f}{result['apply_seconds']:>9.1f}"
            f"{total:>9.1f}{result['cpu_seconds']:>7.1f}{result['peak_mb']:>9.0f}{result['baseline_mb']:>9.0f}"
            f"  {'ok' if ok else 'TOO SLOW OR TOO BIG'}"
        )
        summary = result["summary"]
        print(
            f"{'':<26}people +{summary['people_created']} ~{summary['people_updated']},"
            f" posts +{summary['posts_opened']}"
            f" closed {summary['posts_closed']}; now {result['people_after']} people, {result['posts_after']} posts,"
            f" {result['accounts_after']} trainee accounts"
        )


if __name__ == "__main__":
    main()
