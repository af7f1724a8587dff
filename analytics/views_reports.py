"""Recording the plan's indicators (the province's administrators) and the archive of monthly reports
(every administrator, within their scope: a report of another region is not found)."""
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from academy.organisation.permissions import administrator_required
from academy.storage import private_file_response
from academy.organisation.scope import scope_for

from . import indicators, monthly
from .forms_indicators import IndicatorValuesForm
from .models import Indicator, MonthlyReport, MonthlyReportJob

REPORTS_PER_PAGE = 24


@never_cache
@administrator_required
def indicator_values_edit(request):
    """A year's values of the recorded indicators, all saved together or none."""
    if not indicators.can_edit_indicators(request.user):
        raise PermissionDenied
    years = indicators.editable_years(today=timezone.localdate())
    year = _chosen_year(request.GET.get("year"), years)
    recorded = list(Indicator.objects.filter(source=Indicator.Source.RECORDED))
    form = IndicatorValuesForm(request.POST or None, indicators=recorded, year=year)
    if request.method == "POST" and form.is_valid():
        indicators.indicator_values_save(year=year, values=form.values(), user=request.user)
        messages.success(request, _("The indicators of %(year)s are saved.") % {"year": year})
        return redirect(f"{reverse('analytics:indicator_edit')}?year={year}")
    if request.method == "POST":
        messages.error(request, _("Nothing was saved: correct the values marked below."))
    return render(request, "analytics/indicator_form.html", {
        "form": form, "year": year, "years": years, "rows": form.rows(),
    })


def _chosen_year(value, years: list[int]) -> int:
    try:
        year = int(value)
    except (TypeError, ValueError):
        year = min(timezone.localdate().year, years[-1])
    if year not in years:
        raise Http404
    return year


def _in_scope(user, model):
    """The monthly reports (or their jobs) of the user's region and every region under it; all of them for a
    system administrator."""
    scope = scope_for(user)
    if scope.is_empty:
        return model.objects.none()
    if not scope.region_code:
        return model.objects.all()
    return model.objects.filter(region__code__startswith=scope.region_code)


def _reports_in_scope(user):
    return _in_scope(user, MonthlyReport)


@never_cache
@administrator_required
def report_list(request):
    reports = _reports_in_scope(request.user).select_related("region__parent").order_by("-month", "region_id")
    page = Paginator(reports, REPORTS_PER_PAGE).get_page(request.GET.get("page"))
    # Reports still being made, or whose making failed (with a retry): the newest month's first.
    unfinished = (
        _in_scope(request.user, MonthlyReportJob).exclude(status=MonthlyReportJob.Status.DONE)
        .select_related("region__parent").order_by("-month", "region_id")[:REPORTS_PER_PAGE]
    )
    return render(request, "analytics/report_list.html", {
        "page_obj": page, "reports": page.object_list, "unfinished_jobs": unfinished,
    })


@administrator_required
@require_POST
def report_job_retry(request, pk):
    job = get_object_or_404(_in_scope(request.user, MonthlyReportJob), pk=pk)
    if monthly.monthly_report_retry(job=job):
        messages.success(request, _("The report is being made again."))
    else:
        messages.info(request, _("Only a report whose making failed can be retried."))
    return redirect("analytics:report_list")


@never_cache
@administrator_required
def report_download(request, pk):
    report = get_object_or_404(_reports_in_scope(request.user), pk=pk)
    try:
        return private_file_response(
            request, report.pdf, content_type="application/pdf",
            filename=f"monthly-report-{report.region_id}-{report.month:%Y-%m}.pdf",
        )
    except (ValueError, FileNotFoundError):  # no file, or lost from the storage
        raise Http404 from None
