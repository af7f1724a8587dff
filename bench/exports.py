"""Benchmark: the untrained-list export (analytics.exports.export_run), csv and xlsx, at national scale.

    .venv/bin/python bench/exports.py --reuse --database academy_bench_national   # a kept data set
    .venv/bin/python bench/exports.py --scale 0.1                                 # generate a tenth

Exports the untrained directors of the whole nation (about 100,000 rows at scale 1) as a system
administrator, each format in a fresh interpreter as a worker would: wall time and peak resident memory
(VmHWM) of the child. The floor, in the same run and also in a child: the same rows (the same SELECT, read
with a raw cursor) written by the csv module, and by XlsxWriter in constant-memory mode for xlsx (the engine the
platform writes with since issue 15; openpyxl's write-only workbook took 1.4 times as long), without the
platform's cell guard, labels or progress saving. Targets (issue 15): csv < 10 s, xlsx < 20 s, < 300 MB.
"""
import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time

import harness

TARGETS_S = {"csv": 10, "xlsx": 20}
MEMORY_TARGET_MB = 300


def memory_mb(field: str) -> float:
    """VmRSS (now) or VmHWM (peak) of this process in MB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def child(options) -> None:
    """In the child: run the export job (or the floor) and print what it measured as JSON."""
    harness.django_set_up(harness.environment(
        harness.database_url(options.database), PRIVATE_MEDIA_ROOT=options.private_root
    ))
    from analytics.exports import export_run
    from analytics.models import ExportJob

    job = ExportJob.objects.get(pk=options.child)
    started = time.perf_counter()
    if options.floor:
        rows = floor_write(job, options.floor)
    else:
        export_run(job=job)
        job.refresh_from_db()
        rows = job.done
    print(json.dumps({"seconds": time.perf_counter() - started, "peak_mb": memory_mb("VmHWM"), "rows": rows}))


def floor_write(job, file_format: str) -> int:
    """The same rows as the export's query, from a raw cursor, written plainly."""
    import xlsxwriter
    from django.db import connection

    from academy.organisation.scope import scope_for
    from analytics import exports, selectors

    params = job.params
    scope = scope_for(job.created_by)
    queryset = selectors.with_mobile_visible(selectors.assignments_matching(
        scope=scope, year=int(params["year"]), post_kind=params["tier"], region_code="", status=params["status"],
        sort=params["sort"],
    ), scope=scope).values_list(*exports.UNTRAINED_COLUMNS)
    sql, sql_params = queryset.query.sql_with_params()
    written = 0
    with tempfile.TemporaryFile("w+b") as output, connection.cursor() as cursor:
        cursor.execute(sql, sql_params)
        if file_format == "csv":
            text = open(output.fileno(), "w", encoding="utf-8", newline="", closefd=False)
            writer = csv.writer(text)
            while chunk := cursor.fetchmany(2000):
                writer.writerows(chunk)
                written += len(chunk)
            text.flush()
        else:
            workbook = xlsxwriter.Workbook(output, {"constant_memory": True, "strings_to_urls": False})
            sheet = workbook.add_worksheet()
            while chunk := cursor.fetchmany(2000):
                for row in chunk:
                    sheet.write_row(written, 0, row)
                    written += 1
            workbook.close()
    return written


def in_child(options, job_id: str, private_root: str, floor: str = "") -> dict:
    command = [sys.executable, __file__, "--child", job_id, "--database", options.database, "--private-root", private_root]
    if floor:
        command += ["--floor", floor]
    output = subprocess.run(command, check=True, capture_output=True, text=True, cwd=harness.REPOSITORY)
    return json.loads(output.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    harness.national_arguments(parser, "academy_bench_national")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--floor", default="", help=argparse.SUPPRESS)
    parser.add_argument("--private-root", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        child(options)
        return 0

    private_root = tempfile.mkdtemp(prefix="bench-exports-")
    try:
        nation = harness.national_django_set_up(
            options.database, scale=options.scale, reuse=options.reuse, PRIVATE_MEDIA_ROOT=private_root
        )
        import national_data
        if not options.reuse:  # generate() leaves the current year to the assignment job: assign it as the job would
            national_data.assign_by_sql(nation, nation.years[-1:])
        from django.db import connections
        from django.utils import timezone

        from academy.accounts.models import User
        from academy.organisation.models import PostKind
        from analytics.exports import EXPORT_LIFETIME
        from analytics.models import ExportJob

        User.objects.filter(username="bench-exports-admin").delete()
        admin = User.objects.create(username="bench-exports-admin", is_superuser=True, is_staff=True)
        params = {"year": nation.years[-1], "tier": PostKind.CHILD_DIRECTOR, "region": "", "status": "", "sort": "name"}
        lines = []
        for file_format in ("csv", "xlsx"):
            job = ExportJob.objects.create(
                created_by=admin, kind=ExportJob.Kind.UNTRAINED, file_format=file_format, params=params,
                expires_at=timezone.now() + EXPORT_LIFETIME,
            )
            connections.close_all()
            figure = in_child(options, str(job.pk), private_root)
            floor = in_child(options, str(job.pk), private_root, floor=file_format)
            label = f"untrained directors, whole nation, {file_format}, {figure['rows']:,} rows"
            lines.append(harness.report(label, figure["seconds"], floor["seconds"], "s", target=TARGETS_S[file_format]))
            lines.append(harness.report(f"  peak memory of the {file_format} child", figure["peak_mb"], floor["peak_mb"],
                                        "MB", target=MEMORY_TARGET_MB))
        User.objects.filter(username="bench-exports-admin").delete()
        print(f"\n== Summary ({nation.people:,} people)")
        print("\n".join(lines))
        return 0
    finally:
        harness.national_tear_down(options)


if __name__ == "__main__":
    sys.exit(main())
