"""Exports of the coverage table and the untrained list, written in the background to private storage.

export_start() records the request and announces it (academy.jobs; receivers.py queues the task); export_run()
writes the file. Rows are streamed from the database (iterator) into a CSV or a write-only workbook, so memory
stays flat for 100,000 rows. The scope is read again when the job runs: an administrator moved to another
region in between gets nothing of the old one.
"""
import datetime
import tempfile

from django.core.files import File
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from academy import spreadsheets
from academy.accounts import phone as mobile_numbers
from academy.audit.models import AuditAction
from academy.audit.services import audit_record
from academy.jobs import job_announce, job_fail, job_progress, job_start
from academy.organisation.models import PostKind, Region, RegionLevel
from academy.organisation.scope import scope_for
from academy.organisation.selectors import region_path_label
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
            _write(job, header, rows, output)
            output.seek(0)
            job.file.save(_file_name(job), File(output), save=False)
    job.status, job.finished_at = ExportJob.Status.DONE, timezone.now()
    job.save(update_fields=["file", "status", "finished_at"])
    if job.kind == ExportJob.Kind.UNTRAINED:
        # The list names people and their mobiles; the coverage table holds counts only.
        audit_record(
            action=AuditAction.PERSONAL_DATA_EXPORTED, actor=job.created_by, target=job,
            target_label=_file_name(job), region_code=_region_code(job),
            detail={"export": job.kind, "rows": total, "format": job.file_format},
        )


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
    assignments = selectors.assignments_list(
        scope=scope, year=year, post_kind=params.get("tier", ""), region_code=region_code,
        status=params.get("status", selectors.NOT_COMPLETED), sort=params.get("sort", "name"),
    )
    return _untrained_header(), _untrained_rows(assignments), assignments.count()


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


def _untrained_rows(assignments):
    posts = {value: str(label) for value, label in PostKind.choices}
    statuses = {value: str(label) for value, label in PlanStatus.choices}
    for assignment in assignments.iterator(chunk_size=EXPORT_CHUNK):
        person = assignment.person
        mobile = person.mobile if assignment.mobile_visible else mobile_numbers.mask(person.mobile)
        yield [
            person.name, region_path_label(assignment.region), assignment.region_id, posts[assignment.plan.post_kind],
            assignment.plan.title, statuses[assignment.status], float(assignment.credit_hours),
            assignment.completed_on.isoformat() if assignment.completed_on else "", mobile,
        ]


# --- Files -------------------------------------------------------------------------------------------


def _file_name(job: ExportJob) -> str:
    return f"{job.kind}-{job.params.get('year', '')}-{job.pk}.{job.file_format}"


def _write(job: ExportJob, header, rows, output) -> None:
    """Write ``rows`` to the open binary file ``output``, saving the progress every EXPORT_CHUNK rows."""

    def counted(rows):
        written = 0
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
