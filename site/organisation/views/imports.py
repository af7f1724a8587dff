"""The roster import pages: upload a file, follow its check, see every bad row or a preview of the
changes, confirm, and see the result. The work is done by roster.py in background tasks; these pages
read the import's state from the database, so an administrator can leave and come back."""
from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from academy.jobs import job_status_response

from .. import roster
from ..models import RosterImport
from ..permissions import administrator_required

IMPORTS_PER_PAGE = 25
ERRORS_PER_PAGE = 100
STATUS_BADGES = {
    RosterImport.Status.INVALID: "badge-bad",
    RosterImport.Status.FAILED: "badge-bad",
    RosterImport.Status.VALID: "badge-warn",
    RosterImport.Status.DONE: "badge-ok",
}
TEMPLATE_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Roster file"),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(roster.FILE_TYPES)}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "An Excel workbook (.xlsx) or a CSV file (UTF-8 or GBK), at most %(size)s MB."
        ) % {"size": roster.MAX_FILE_BYTES // (1024 * 1024)}

    def clean_file(self):
        upload = self.cleaned_data["file"]
        error = roster.upload_error(name=upload.name, size=upload.size)
        if error:
            raise forms.ValidationError(error)
        return upload


def _visible_import(request, pk) -> RosterImport:
    return get_object_or_404(roster.roster_imports_for(user=request.user), pk=pk)


@administrator_required
def import_list(request):
    page = Paginator(roster.roster_imports_for(user=request.user), IMPORTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "organisation/import_list.html", {
        "page_obj": page,
        "rows": [(roster_import, STATUS_BADGES.get(roster_import.status, "")) for roster_import in page],
    })


@administrator_required
def import_new(request):
    if request.method == "POST":
        form = RosterUploadForm(request.POST, request.FILES)
        if form.is_valid():
            roster_import = roster.roster_import_create(
                created_by=request.user, upload=form.cleaned_data["file"], language=get_language()
            )
            return redirect(roster_import)
    else:
        form = RosterUploadForm()
    return render(request, "organisation/import_new.html", {
        "form": form,
        "columns": roster.COLUMNS,
        "required_fields": roster.REQUIRED_FIELDS,
    })


@administrator_required
def import_template(request, file_format):
    if file_format not in TEMPLATE_TYPES:
        raise Http404
    content = roster.template_xlsx() if file_format == "xlsx" else roster.template_csv()
    response = HttpResponse(content, content_type=TEMPLATE_TYPES[file_format])
    response["Content-Disposition"] = f'attachment; filename="import_template.{file_format}"'
    return response


@administrator_required
def import_detail(request, pk):
    roster_import = _visible_import(request, pk)
    errors = Paginator(roster_import.errors, ERRORS_PER_PAGE).get_page(request.GET.get("page"))
    summary = roster_import.summary or {}
    return render(request, "organisation/import_detail.html", {
        "roster_import": roster_import,
        "badge": STATUS_BADGES.get(roster_import.status, ""),
        "page_obj": errors,
        "changes": [
            (_("People added"), summary.get("people_created", 0)),
            (_("People updated"), summary.get("people_updated", 0)),
            (_("Posts opened"), summary.get("posts_opened", 0)),
            (_("Posts closed"), summary.get("posts_closed", 0)),
            (_("Posts with a changed end date"), summary.get("posts_updated", 0)),
        ],
    })


@administrator_required
def import_status(request, pk):
    """Polled every second by job_progress.js while the import runs."""
    return job_status_response(_visible_import(request, pk))


@administrator_required
@require_POST
def import_confirm(request, pk):
    roster_import = _visible_import(request, pk)
    if roster.roster_import_confirm(roster_import=roster_import):
        messages.success(request, _("The roster is being applied."))
    elif roster_import.status != RosterImport.Status.DONE:
        messages.error(request, _("Only a checked file without errors can be applied."))
    return redirect(roster_import)
