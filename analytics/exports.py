"""Exports of the coverage table and the untrained list, written in the background to private storage.

export_start() records the request and announces it (academy.jobs; receivers.py queues the task); export_run()
writes the file. Rows are read from the database as plain values in chunks into a CSV or a write-only workbook,
so memory stays flat and no model instance is built for 100,000 rows. The scope is read again when the job runs: an administrator moved to another
region in between gets nothing of the old one.
"""
import datetime
import tempfile

from django.core.files import File
from django.db import connection
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from academy import spreadsheets
from academy.accounts import phone as mobile_numbers
from academy.audit.models import AuditAction
from academy.audit.services import audit_record
from academy.jobs import job_announce, job_fail, job_progress, job_retry, job_start
from academy.organisation.models import PostKind, Region, RegionLevel
from academy.organisation.scope import scope_for
from academy.organisation.selectors import region_path_labeller
from courses.models import PlanStatus

from . import selectors
from .models import ExportJob

# A download link works this long after the job is asked for.
EXPORT_LIFETIME = datetime.timedelta(hours=24)
# Rows read from the database at a time, and how often the progress is saved.
EXPORT_CHUNK = 2000


class ExportRefused(Exception):
    """The requester's scope changed since the export was asked for: nothing is written."""


def export_start(*, user, kind: str, file_format: str, params: dict) -> ExportJob:
    """Record an export of ``kind`` with the list's filters and announce it; the page then follows it."""
    job = ExportJob.objects.create(
        created_by=user, kind=kind, file_format=file_format,
        params={**params, "language": translation.get_language()},
        expires_at=timezone.now() + EXPORT_LIFETIME,
    )
    job_announce(job)
    return job


def export_run(*, job: ExportJob) -> None:
    """Write the file. Runs once: a job that is no longer waiting (done, failed, or taken by another
    worker after a redelivered message) is left alone. An export the requester may no longer see is failed,
    and nothing is written."""
    if not job_start(ExportJob, job.pk, from_statuses=[ExportJob.Status.PENDING]):
        return
    job.refresh_from_db()
    with translation.override(job.params.get("language") or None):
        try:
            header, rows, total = _content(job)
        except ExportRefused as refusal:
            job_fail(ExportJob, job.pk, message=str(refusal))
            return
        job_progress(ExportJob, job.pk, total=total)
        with tempfile.TemporaryFile() as output:
            written = _write(job, header, rows, output)
            output.seek(0)
            _store(job, output)
    job.status, job.finished_at = ExportJob.Status.DONE, timezone.now()
    job.save(update_fields=["status", "finished_at"])
    if job.kind == ExportJob.Kind.UNTRAINED:
        # The list names people and their mobiles; the coverage table holds counts only.
        audit_record(
            action=AuditAction.PERSONAL_DATA_EXPORTED, actor=job.created_by, target=job,
            target_label=_file_name(job), region_code=_region_code(job),
            detail={"export": job.kind, "rows": written, "format": job.file_format},
        )


def export_retry(*, job: ExportJob) -> bool:
    """Write a failed export again (its file, if any was left, is rewritten); the link lasts EXPORT_LIFETIME
    from now. False if the job is not failed."""
    return job_retry(job, expires_at=timezone.now() + EXPORT_LIFETIME)


def export_expire(*, job: ExportJob) -> None:
    """Delete an expired export's file; the job stays, so its link answers "gone" rather than "not found"."""
    if job.file:
        job.file.delete(save=False)
    ExportJob.objects.filter(pk=job.pk).update(file="")


def exports_delete_expired(*, now: datetime.datetime | None = None) -> int:
    """Delete the files of every expired export (for a periodic task); returns how many."""
    expired = ExportJob.objects.filter(expires_at__lte=now or timezone.now()).exclude(file="")
    count = 0
    for job in expired.iterator():
        export_expire(job=job)
        count += 1
    return count


# --- Content -----------------------------------------------------------------------------------------


def _content(job: ExportJob):
    """(header, rows, number of rows) of the job, within the requester's scope as it is now."""
    scope = scope_for(job.created_by)
    params = job.params
    region_code = params.get("region") or ""
    if scope.is_empty or (region_code and not scope.contains_region_code(region_code)):
        raise ExportRefused("the export's region is outside the requester's scope")
    year = int(params["year"])
    if job.kind == ExportJob.Kind.COVERAGE:
        region = Region.objects.get(code=region_code) if region_code else selectors.scope_root(scope=scope)
        return _coverage_content(post_kind=params["tier"], year=year, region=region)
    filters = {
        "year": year, "post_kind": params.get("tier", ""), "region_code": region_code,
        "status": params.get("status", selectors.NOT_COMPLETED),
    }
    assignments = selectors.with_mobile_visible(
        selectors.assignments_matching(scope=scope, sort=params.get("sort", "name"), **filters), scope=scope
    )
    labels = region_path_labeller(under=region_code or scope.region_code)
    return _untrained_header(), _untrained_rows(assignments, labels), selectors.assignments_count(scope=scope, **filters)


def _region_code(job: ExportJob) -> str:
    """The region the export covers: the one chosen on the page, or the requester's whole scope."""
    return job.params.get("region") or scope_for(job.created_by).region_code or ""


def _coverage_content(*, post_kind: str, year: int, region: Region):
    header = [
        _("Division code"), _("Level"), _("Region"), _("Required"), _("Completed"), _("In progress"),
        _("Not started"), _("Rate (%)"),
    ]
    levels = {value: str(label) for value, label in RegionLevel.choices}
    table = list(selectors.coverage_table_rows(post_kind=post_kind, year=year, region=region))

    def rows():
        for code, level, path, not_started, in_progress, completed in table:
            required = not_started + in_progress + completed
            rate = round(100 * completed / required, 1) if required else 100.0
            yield [code, levels.get(level, level), path, required, completed, in_progress, not_started, rate]

    # Regions number tens of thousands at most (one row each), so the table is read before writing.
    return header, rows(), len(table)


def _untrained_header():
    return [
        _("Name"), _("Region"), _("Division code"), _("Post"), _("Plan"), _("Status"), _("Credit hours"),
        _("Completed on"), _("Mobile number"),
    ]


# The columns of the untrained list, read as plain values: 100,000 rows build no model instance.
UNTRAINED_COLUMNS = (
    "person__name", "region_id", "region__name", "plan__post_kind", "plan__title", "status", "credit_hours",
    "completed_on", "person__mobile", "mobile_visible",
)


def _untrained_rows(assignments, labels):
    posts = {value: str(label) for value, label in PostKind.choices}
    statuses = {value: str(label) for value, label in PlanStatus.choices}
    mask = mobile_numbers.mask
    sql, params = assignments.values_list(*UNTRAINED_COLUMNS).query.sql_with_params()
    # A plain cursor read in chunks, not iterator()'s server-side cursor: PostgreSQL plans a cursor for its first
    # rows (walking the people by name one at a time), several times slower for reading them all than the
    # hash joins and one sort it chooses here. The driver holds the result compactly until it is fetched.
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(EXPORT_CHUNK):
            for name, code, region_name, post_kind, title, status, hours, completed_on, mobile, visible in rows:
                yield [
                    name, labels(code, region_name), code, posts[post_kind], title, statuses[status], float(hours),
                    _day(completed_on), mobile if visible else mask(mobile),
                ]


def _day(value) -> str:
    """A date column as YYYY-MM-DD (SQLite's driver returns it as that text already)."""
    return value.isoformat() if hasattr(value, "isoformat") else (value or "")


# --- Files -------------------------------------------------------------------------------------------


def _file_name(job: ExportJob) -> str:
    return f"{job.kind}-{job.params.get('year', '')}-{job.pk}.{job.file_format}"


def _store(job: ExportJob, output) -> None:
    """Keep the written file under the job's name. The name is recorded before the file is stored, so a worker
    that dies while storing it leaves a name the sweep finds and deletes with the failed job (academy.jobs),
    never a file nobody knows of; a retry replaces what an earlier attempt left."""
    storage = job.file.storage
    name = ExportJob._meta.get_field("file").generate_filename(job, _file_name(job))
    ExportJob.objects.filter(pk=job.pk).update(file=name)
    storage.delete(name)
    stored = storage.save(name, File(output))
    if stored != name:  # the storage chose another name (another worker wrote the same one meanwhile)
        ExportJob.objects.filter(pk=job.pk).update(file=stored)
    job.file.name = stored


def _write(job: ExportJob, header, rows, output) -> int:
    """Write ``rows`` to the open binary file ``output``, saving the progress every EXPORT_CHUNK rows; returns
    the number of rows written."""
    written = 0

    def counted(rows):
        nonlocal written
        for written, row in enumerate(rows, start=1):
            yield row
            if written % EXPORT_CHUNK == 0:
                job_progress(ExportJob, job.pk, done=written)
        job_progress(ExportJob, job.pk, done=written)

    sheets = [spreadsheets.Sheet(title=str(ExportJob.Kind(job.kind).label), header=header, rows=counted(rows))]
    if job.file_format == ExportJob.Format.CSV:
        spreadsheets.write_csv(output, sheets)
    else:
        spreadsheets.write_xlsx(output, sheets)
    return written
