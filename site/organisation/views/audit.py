"""The audit trail for system administrators: filter, page through and export it (csv, xlsx)."""
import json
from dataclasses import dataclass

from django.apps import apps
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from academy import spreadsheets
from academy.audit.models import AuditAction, AuditEntry
from academy.audit.selectors import audit_entries
from academy.audit.services import audit_record

from .. import selectors
from ..forms import AuditFilterForm
from ..models import Region
from ..permissions import system_administrator_required
from ..scope import Scope

ENTRIES_PER_PAGE = 50
EXPORT_CHUNK = 2000
# An export larger than this is refused with a request to narrow the filters (a month of sign-ins of a
# province fits; the whole trail of years does not belong in one spreadsheet).
EXPORT_MAX_ROWS = 100_000


def _filter_form(data, *, allow_contact: bool) -> AuditFilterForm:
    return AuditFilterForm(
        data, region_choices=selectors.region_choices(scope=Scope.everything()), allow_contact=allow_contact
    )


@system_administrator_required
def audit_list(request):
    if request.method == "POST":
        # Posted so that a mobile number or email typed as "who" is turned into an account id, not put in the address.
        form = _filter_form(request.POST, allow_contact=True)
        if form.is_valid():
            return redirect(f"{reverse('organisation:audit_list')}?{form.query_string()}")
    else:
        form = _filter_form(request.GET, allow_contact=False)
    if form.is_valid():
        entries, query_string = audit_entries(**form.search_arguments()), form.query_string()
        actor_id = form.cleaned_data["actor"]
    else:
        entries, query_string, actor_id = AuditEntry.objects.none(), "", None
    page = Paginator(entries, ENTRIES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "audit/entry_list.html", {
        "form": form,
        "page_obj": page,
        "rows": _rows(page.object_list),
        "query_string": query_string,
        "actor": get_user_model().objects.filter(pk=actor_id).first() if actor_id else None,
        "query_without_actor": form.query_string(actor="") if actor_id else "",
    })


@system_administrator_required
def audit_export(request, file_format):
    if file_format not in ("csv", "xlsx"):
        raise Http404
    form = _filter_form(request.GET, allow_contact=False)
    if not form.is_valid():
        return HttpResponseBadRequest(_("The filters of this export are not valid."))
    entries = audit_entries(**form.search_arguments())
    count = entries.count()
    if count > EXPORT_MAX_ROWS:
        messages.error(request, _(
            "%(count)s entries match: an export holds at most %(limit)s. Narrow the filters, for example to a "
            "shorter period."
        ) % {"count": count, "limit": EXPORT_MAX_ROWS})
        return redirect(f"{reverse('organisation:audit_list')}?{form.query_string()}")
    # The audit trail names people and their actions: exporting it is itself an export of personal data.
    export_entry = audit_record(
        action=AuditAction.PERSONAL_DATA_EXPORTED, request=request, target_label=_("Audit trail"),
        detail={"export": "audit_trail", "format": file_format, "rows": count, "filters": form.filters()},
    )
    header = [_("When"), _("Who"), _("What"), _("Object"), _("Region"), _("Address"), _("Detail")]
    sheets = [spreadsheets.Sheet(
        title=_("Audit trail"), header=header, rows=_export_rows(entries.filter(pk__lt=export_entry.pk))
    )]
    filename = f"audit-{timezone.localdate():%Y%m%d}.{file_format}"
    if file_format == "csv":
        response = StreamingHttpResponse(spreadsheets.csv_lines(sheets), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            spreadsheets.spreadsheet_bytes("xlsx", sheets),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@dataclass
class _EntryRow:
    entry: AuditEntry
    who: str
    what: str
    object: str
    region: str
    detail: str


class _Labels:
    """Action labels, object types and region names, each looked up once per page or export chunk."""

    def __init__(self):
        self.actions = {value: str(label) for value, label in AuditAction.choices}
        self.object_types: dict[str, str] = {}

    def object_type(self, label: str) -> str:
        if label not in self.object_types:
            try:
                self.object_types[label] = str(apps.get_model(label)._meta.verbose_name)
            except (LookupError, ValueError):
                self.object_types[label] = label
        return self.object_types[label]

    def rows(self, entries) -> list[_EntryRow]:
        regions = dict(
            Region.objects.filter(code__in={entry.region_code for entry in entries if entry.region_code})
            .values_list("code", "name")
        )
        return [
            _EntryRow(
                entry=entry,
                who=entry.actor_label or _("The system"),
                what=self.actions.get(entry.action, entry.action),
                object=" ".join(part for part in (
                    self.object_type(entry.object_type) if entry.object_type else "", entry.object_label,
                ) if part),
                region=f"{entry.region_code} {regions.get(entry.region_code, '')}".strip(),
                detail=json.dumps(entry.detail, ensure_ascii=False, sort_keys=True) if entry.detail else "",
            )
            for entry in entries
        ]


def _rows(entries) -> list[_EntryRow]:
    return _Labels().rows(list(entries))


def _export_rows(entries):
    """One row per entry, read in chunks."""
    labels, chunk = _Labels(), []
    for entry in entries.iterator(chunk_size=EXPORT_CHUNK):
        chunk.append(entry)
        if len(chunk) == EXPORT_CHUNK:
            yield from _export_chunk(labels, chunk)
            chunk = []
    yield from _export_chunk(labels, chunk)


def _export_chunk(labels: _Labels, entries: list[AuditEntry]):
    for row in labels.rows(entries):
        yield [
            f"{timezone.localtime(row.entry.at):%Y-%m-%d %H:%M:%S}", row.who, row.what, row.object, row.region,
            row.entry.ip_address or "", row.detail,
        ]

