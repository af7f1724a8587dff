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
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_POST

from academy.jobs import job_status_response

from .. import roster
from ..models import PostKind, RosterImport
from ..permissions import administrator_required

IMPORTS_PER_PAGE = 25
ERRORS_PER_PAGE = 100  # bad rows, or the rows of the preview's changes to look at
STATUS_BADGES = {
    RosterImport.Status.INVALID: "badge-bad",
    RosterImport.Status.FAILED: "badge-bad",
    RosterImport.Status.EXPIRED: "badge-bad",
    RosterImport.Status.VALID: "badge-warn",
    RosterImport.Status.CONFIRMED: "badge-warn",
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


class RosterConfirmForm(forms.Form):
    """The confirmation: the preview it was made on, and, when the file would reopen closed posts, the
    administrator's choice about them, which must be made (nothing is preselected)."""

    preview = forms.CharField(widget=forms.HiddenInput, required=False)
    reopen_closed_posts = forms.ChoiceField(
        label=gettext_lazy("Closed posts this file would reopen"),
        choices=[
            ("keep", gettext_lazy("Keep them closed: their end dates stay as they are")),
            ("reopen", gettext_lazy("Reopen them: their end dates are removed")),
        ],
        widget=forms.RadioSelect, required=False,
    )

    def __init__(self, *args, roster_import: RosterImport, **kwargs):
        super().__init__(*args, initial={"preview": roster_import.changes_digest}, **kwargs)
        self.needs_choice = roster_import.status == RosterImport.Status.VALID and bool(roster_import.reopenings)
        if self.needs_choice:
            self.fields["reopen_closed_posts"].required = True
            self.fields["reopen_closed_posts"].error_messages["required"] = _(
                "Choose whether to reopen the closed posts listed or keep them closed."
            )


def _post_at(post: str, place: str, start: str) -> str:
    return pgettext("roster change", "%(post)s at %(place)s from %(start)s") % {
        "post": PostKind(post).label, "place": place, "start": start,
    }


def _change_row(change: dict, roster_import: RosterImport) -> dict:
    """One row of the preview's list as the administrator reads it: what changes, from what, to what."""
    row = {
        "row": change["row"],
        "person": pgettext("roster change", "%(name)s (%(id_number)s)") % {
            "name": change["name"], "id_number": change["id_number"],
        },
    }
    if change["change"] == "name":
        return {**row, "change": _("Name change"), "before": change["from_name"], "after": change["to_name"]}
    if change["change"] == "move":
        return {
            **row, "change": pgettext("roster change", "Move"),
            "before": _post_at(change["post"], change["from_place"], change["from_start"]),
            "after": _(
                "%(place)s from %(start)s; the post at %(old_place)s ends the day before, on %(end)s"
            ) % {
                "place": change["to_place"], "start": change["to_start"], "old_place": change["from_place"],
                "end": change["from_end"],
            },
        }
    before = _("%(post)s; end date %(end)s") % {
        "post": _post_at(change["post"], change["place"], change["start"]), "end": change["end"],
    }
    if change["blocked_by_place"]:
        after = _(
            "Stays closed: this person's post of this kind at %(place)s (from %(start)s) goes on past its end date"
        ) % {"place": change["blocked_by_place"], "start": change["blocked_by_start"]}
    elif roster_import.status != RosterImport.Status.DONE:
        after = _("No end date, if you choose below to reopen it")
    elif roster_import.reopen_closed_posts:
        after = _("Reopened: no end date")
    else:
        after = _("Kept closed: end date %(end)s") % {"end": change["end"]}
    return {**row, "change": _("Reopen a closed post"), "before": before, "after": after}


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
    # An import with errors lists its bad rows; a checked or applied one its changes to look at.
    listed = roster_import.errors if roster_import.status == RosterImport.Status.INVALID else roster_import.changes
    page = Paginator(listed, ERRORS_PER_PAGE).get_page(request.GET.get("page"))
    summary = roster_import.summary or {}
    counts = [
        (_("People added"), summary.get("people_created", 0)),
        (_("People updated"), summary.get("people_updated", 0)),
        (_("People moved"), summary.get("people_moved", 0)),
        (_("Posts opened"), summary.get("posts_opened", 0)),
        (_("Posts closed"), summary.get("posts_closed", 0)),
        (_("Posts with a changed end date"), summary.get("posts_updated", 0)),
    ]
    if roster_import.status == RosterImport.Status.DONE:
        counts.append((_("Posts reopened"), summary.get("posts_reopened", 0)))
    return render(request, "organisation/import_detail.html", {
        "roster_import": roster_import,
        "retry_form": RosterUploadForm(),
        "badge": STATUS_BADGES.get(roster_import.status, ""),
        "page_obj": page,
        "changes": counts,
        "change_rows": (
            [] if roster_import.status == RosterImport.Status.INVALID
            else [_change_row(change, roster_import) for change in page]
        ),
        "confirm_form": RosterConfirmForm(roster_import=roster_import),
    })


@administrator_required
def import_status(request, pk):
    """Polled every second by job_progress.js while the import runs."""
    return job_status_response(_visible_import(request, pk))


@administrator_required
@require_POST
def import_confirm(request, pk):
    roster_import = _visible_import(request, pk)
    form = RosterConfirmForm(request.POST, roster_import=roster_import)
    if not form.is_valid():
        for error in form.errors.get("reopen_closed_posts", []):
            messages.error(request, error)
        return redirect(roster_import)
    confirmed = roster.roster_import_confirm(
        roster_import=roster_import, reopen_closed_posts=form.cleaned_data["reopen_closed_posts"] == "reopen",
        preview_digest=form.cleaned_data["preview"] or None,
    )
    if confirmed:
        messages.success(request, _("The roster is being applied."))
    elif roster_import.status == RosterImport.Status.VALID:
        messages.error(
            request, _("The preview has changed since you opened this page; look at it again before you confirm.")
        )
    elif roster_import.status == RosterImport.Status.EXPIRED:
        messages.error(request, _("This import was not confirmed in time and has expired; upload the file again."))
    elif roster_import.status != RosterImport.Status.DONE:
        messages.error(request, _("Only a checked file without errors can be applied."))
    return redirect(roster_import)


@administrator_required
@require_POST
def import_retry(request, pk):
    """A failed import started again with its file uploaded anew (the first upload was deleted)."""
    roster_import = _visible_import(request, pk)
    form = RosterUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        for error in form.errors.get("file", []):
            messages.error(request, error)
    elif roster.roster_import_retry(roster_import=roster_import, upload=form.cleaned_data["file"]):
        messages.success(request, _("The file is being checked again."))
    else:
        messages.info(request, _("Only a failed import can be retried."))
    return redirect(roster_import)
