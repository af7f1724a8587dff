"""The dashboards: an index, one page for any dashboard, and its xlsx / csv / PDF export. Administrators only;
every figure is built for the viewer's scope (analytics/dashboards.py)."""
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from academy.organisation.permissions import administrator_required
from academy.organisation.scope import scope_for

from . import reports
from .dashboards import DASHBOARDS, dashboard_build, scope_label
from .indicators import can_edit_indicators
from .views import year_choices, year_from_request

EXPORT_FORMATS = ("xlsx", "csv", "pdf")
# What each dashboard answers, for the index cards.
DESCRIPTIONS = {
    "training": _("The three tiers' training coverage this year against 100%, over the years and by region."),
    "workforce": _("The professional staff share of each institution against the 50% target."),
    "certification": _("Carers by skill level, applications, pass rates and certificates issued."),
    "indicators": _("The plan's indicators by year next to the 2022 and 2025 targets."),
}


def _dashboard_or_404(request, slug: str):
    if slug not in DASHBOARDS:
        raise Http404
    return dashboard_build(slug, scope=scope_for(request.user), year=year_from_request(request), today=timezone.localdate())


@never_cache
@administrator_required
def dashboard_index(request):
    year = year_from_request(request)
    cards = [
        {"slug": slug, "title": title, "description": DESCRIPTIONS.get(slug, ""),
         "url": reverse("analytics:dashboard", args=[slug]) + f"?year={year}"}
        for slug, (title, _path) in DASHBOARDS.items()
    ]
    return render(request, "analytics/dashboard_index.html", {
        "cards": cards, "year": year, "scope_label": scope_label(scope=scope_for(request.user)),
    })


@never_cache
@administrator_required
def dashboard_detail(request, slug):
    dashboard = _dashboard_or_404(request, slug)
    exports = [
        (file_format, reverse("analytics:dashboard_export", args=[slug, file_format]) + f"?year={dashboard.year}")
        for file_format in EXPORT_FORMATS
    ]
    return render(request, "analytics/dashboard.html", {
        "dashboard": reports.dashboard_view(dashboard),
        "year": dashboard.year,
        "years": year_choices(dashboard.year),
        "exports": exports,
        "others": [(other, title) for other, (title, _path) in DASHBOARDS.items() if other != slug],
        # The recorded indicators are entered by the province administrator, from the dashboard that shows them.
        "edit_url": reverse("analytics:indicator_edit") + f"?year={dashboard.year}"
        if slug == "indicators" and can_edit_indicators(request.user) else "",
    })


@never_cache
@administrator_required
def dashboard_export(request, slug, fmt):
    if fmt not in EXPORT_FORMATS:
        raise Http404
    dashboard = _dashboard_or_404(request, slug)
    response = HttpResponse(reports.dashboard_file(dashboard, fmt), content_type=reports.CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{slug}-{dashboard.year}.{fmt}"'
    return response
