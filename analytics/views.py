"""Coverage pages, the untrained list and exports. Every figure and row goes through the viewer's scope;
a region outside it is answered 404, an export of someone else 404, an expired one 410."""
from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from academy.accounts import phone as mobile_numbers
from academy.jobs import job_status_response
from academy.organisation.models import PostKind, Region
from academy.organisation.permissions import administrator_required
from academy.organisation.scope import scope_for
from academy.organisation.selectors import region_path_label
from academy.storage import private_file_response
from courses import plans
from courses.coverage import region_chain
from courses.models import PlanAssignment, PlanStatus, TrainingPlan
from courses.years import training_year

from . import exports, selectors
from .forms import YEAR_RANGE, AssignmentFilterForm, ExportForm
from .models import ExportJob

PEOPLE_PER_PAGE = 50
STATUS_BADGES = {"ok": "badge-ok", "warn": "badge-warn", "bad": "badge-bad", "none": ""}


def year_from_request(request) -> int:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return training_year()
    return year if YEAR_RANGE[0] <= year <= YEAR_RANGE[1] else training_year()


def _tier_or_404(tier: str) -> PostKind:
    if tier not in selectors.TIERS:
        raise Http404
    return PostKind(tier)


def _legend() -> list[tuple[str, str]]:
    margin = round(selectors.AMBER_MARGIN * 100)
    return [
        ("badge-ok", _("On track: the rate is at least the share of the training window already gone.")),
        ("badge-warn", _("Behind: up to %(points)s points below that share.") % {"points": margin}),
        ("badge-bad", _("Far behind: more than %(points)s points below that share.") % {"points": margin}),
    ]


@never_cache
@administrator_required
def coverage_home(request):
    """The year's headline: one rate per tier for the administrator's area."""
    scope = scope_for(request.user)
    year = year_from_request(request)
    return render(request, "analytics/coverage_home.html", {
        "year": year,
        "root": selectors.scope_root(scope=scope),
        "headline": headline_cards(scope=scope, year=year),
        "legend": _legend(),
    })


def headline_cards(*, scope, year: int) -> list[dict]:
    """The year's three headline rates of a scope, as the coverage home and the administrator's page show them."""
    headline = selectors.headline_rates(scope=scope, year=year, today=timezone.localdate())
    return [
        {"tier": PostKind(kind), "figure": figure, "badge": STATUS_BADGES[figure.status]} for kind, figure in headline
    ]


@never_cache
@administrator_required
def coverage_region(request, tier, code=None):
    """A tier's coverage in a region and each region one level below, drilling down to the people."""
    post_kind = _tier_or_404(tier)
    scope = scope_for(request.user)
    if code is None:
        region = selectors.scope_root(scope=scope)
        if region is None:
            raise Http404
    else:
        region = get_object_or_404(scope.regions(Region.objects.all()), code=code)
    year = year_from_request(request)
    coverage = selectors.region_coverage(post_kind=post_kind, year=year, region=region, today=timezone.localdate())
    # The way back up, as far as the viewer's own region.
    trail = [
        ancestor for ancestor in Region.objects.filter(code__in=region_chain(region.code)[:-1]).order_by("code")
        if scope.contains_region_code(ancestor.code)
    ]
    return render(request, "analytics/coverage_region.html", {
        "tier": post_kind,
        "tiers": [PostKind(kind) for kind in selectors.TIERS],
        "year": year,
        "years": year_choices(year),
        "region": region,
        "trail": trail,
        "coverage": coverage,
        "total_badge": STATUS_BADGES[coverage.total.status],
        "children": [(figure, STATUS_BADGES[figure.status]) for figure in coverage.children],
        "plans": [(plan, plans.plan_rule_text(plan)) for plan in coverage.plans],
        # At the bottom of the tree the page names the people themselves.
        "people": _named_people(scope, post_kind, year, region) if not coverage.children else None,
        "export_filters": {"tier": post_kind.value, "year": year, "region": region.code},
        "legend": _legend(),
        "share_elapsed": round(coverage.total.share_elapsed * 100),
    })


def _named_people(scope, post_kind, year, region, limit=200):
    return selectors.assignments_list(
        scope=scope, year=year, post_kind=post_kind, region_code=region.code, status=selectors.ANY_STATUS
    )[:limit]


def year_choices(current: int) -> list[int]:
    """The years that have plans, and the one shown."""
    # order_by: the model's default ordering would make distinct() return every plan, not every year.
    years = set(TrainingPlan.objects.order_by("year").values_list("year", flat=True).distinct())
    years |= {current, training_year()}
    return sorted(years, reverse=True)


@never_cache
@administrator_required
def people_list(request):
    """The people of the plans in the administrator's area: by default those not yet trained. Paged by keyset
    (?after= or ?before= an assignment id), counted from the coverage counts: flat with the data."""
    scope = scope_for(request.user)
    form = AssignmentFilterForm(request.GET, scope=scope, year=training_year())
    page, count, query_string = None, 0, ""
    if form.is_valid():
        arguments = form.list_arguments()
        page = selectors.assignments_page(
            scope=scope, size=PEOPLE_PER_PAGE, after=_id_or_none(request.GET.get("after")),
            before=_id_or_none(request.GET.get("before")), **arguments,
        )
        count = selectors.assignments_count(
            scope=scope, **{name: value for name, value in arguments.items() if name != "sort"}
        )
        query_string = form.query_string()
    return render(request, "analytics/people_list.html", {
        "form": form,
        "page": page,
        "count": count,
        "rows": [_PersonRow(assignment) for assignment in page.rows] if page else [],
        "query_string": query_string,
        "sort_queries": {key: form.sort_query(key) for key in ("name", "region", "status", "hours")}
        if form.is_valid() else {},
        "sort": (form.cleaned_data.get("sort") or "name") if form.is_valid() else "name",
    })


def _id_or_none(value) -> int | None:
    return int(value) if value and value.isdigit() else None


class _PersonRow:
    """An assignment as a row: the mobile number shown in full only where the viewer may see it."""

    def __init__(self, assignment):
        self.assignment = assignment
        self.person = assignment.person
        self.place = region_path_label(assignment.region)
        self.mobile = self.person.mobile if assignment.mobile_visible else mobile_numbers.mask(self.person.mobile)
        self.mobile_visible = assignment.mobile_visible
        self.badge = {PlanStatus.COMPLETED: "badge-ok", PlanStatus.IN_PROGRESS: "badge-warn"}.get(
            assignment.status, "badge-bad"
        )


# --- Exports -----------------------------------------------------------------------------------------


@administrator_required
@require_POST
def export_new(request):
    """Queue an export of the coverage table or of the list, with the filters of the page it came from."""
    scope = scope_for(request.user)
    export_form = ExportForm(request.POST)
    filters = AssignmentFilterForm(request.POST, scope=scope, year=training_year())
    if not export_form.is_valid() or not filters.is_valid():
        return HttpResponseBadRequest(_("The filters of this export are not valid."))
    kind = export_form.cleaned_data["kind"]
    params = {name: filters.cleaned_data[name] for name in AssignmentFilterForm.FIELDS}
    if kind == ExportJob.Kind.COVERAGE:
        if not params["tier"]:
            return HttpResponseBadRequest(_("Choose a tier to export its coverage."))
        if not params["region"]:
            params["region"] = selectors.scope_root(scope=scope).code
    job = exports.export_start(
        user=request.user, kind=kind, file_format=export_form.cleaned_data["file_format"], params=params
    )
    return redirect(job)


def _own_export(request, pk) -> ExportJob:
    """The requester's own export; anyone else's is not found, whoever asks."""
    return get_object_or_404(ExportJob, pk=pk, created_by=request.user)


@never_cache
@administrator_required
def export_detail(request, pk):
    job = _own_export(request, pk)
    return render(request, "analytics/export_detail.html", {
        "job": job, "expired": job.is_expired(timezone.now()),
        "region": Region.objects.filter(code=job.params.get("region") or "").first(),
        "tier": PostKind(job.params["tier"]).label if job.params.get("tier") else "",
    })


@never_cache
@administrator_required
def export_status(request, pk):
    """Polled by job_progress.js while the export is written."""
    return job_status_response(_own_export(request, pk))


@never_cache
@administrator_required
def export_download(request, pk):
    job = _own_export(request, pk)
    if job.is_expired(timezone.now()):
        exports.export_expire(job=job)
        return HttpResponse(_("This export has expired. Ask for it again."), status=410)
    if job.status != ExportJob.Status.DONE or not job.file:
        messages.info(request, _("The export is not ready yet."))
        return redirect(job)
    content_type = {
        ExportJob.Format.CSV: "text/csv; charset=utf-8",
        ExportJob.Format.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }[job.file_format]
    return private_file_response(
        request, job.file, content_type=content_type,
        filename=f"{job.kind}-{job.params.get('year', '')}-{job.created_at:%Y%m%d%H%M}.{job.file_format}",
    )


@administrator_required
@require_POST
def export_retry(request, pk):
    job = _own_export(request, pk)
    if not exports.export_retry(job=job):
        messages.info(request, _("Only a failed export can be retried."))
    return redirect(job)
