"""The training dashboard: the three tiers' coverage rates against the 100% target of box 专栏6 item 1, for
the viewer's region, over the years and for each region one level down.

Like the coverage pages, it reads only CoverageCount rows (courses/coverage.py keeps them current) and counts
the same plans (selectors: those organised by the region, above it or under it), so its figures are the ones
the coverage pages show. Five queries whatever the number of people: the region, its child regions, the plan
years, the region's counts per year and tier, the child regions' counts per tier; pandas shapes them.
"""
import datetime

import pandas as pd
from django.db.models import Sum
from django.utils import formats
from django.utils.translation import gettext as _

from academy.organisation.models import PostKind, Region
from academy.organisation.scope import Scope
from courses.models import CoverageCount, TrainingPlan

from .dashboards import DASHBOARDS, Chart, Column, Dashboard, Figure, Series, Table, Unit
from .selectors import TIERS, organised_over, scope_root

TARGET = 1.0  # every person of every tier trained every year
COUNT_FIELDS = ["not_started", "in_progress", "completed"]


def training_dashboard(*, scope: Scope, year: int, today: datetime.date) -> Dashboard:
    root = scope_root(scope=scope)
    # The scope's label (reports.scope_label) is the root's name; read once.
    dashboard = Dashboard(
        slug="training", title=str(DASHBOARDS["training"][0]), scope_label=root.name if root else "", year=year
    )
    if root is None:
        return dashboard
    tiers = [PostKind(kind) for kind in TIERS]
    children = list(Region.objects.filter(parent=root).order_by("code").values_list("code", "name"))
    years = set(
        TrainingPlan.objects.filter(organised_over(root.code), year__lte=year, post_kind__in=TIERS)
        .order_by().values_list("year", flat=True).distinct()
    ) | {year}

    trend = _counts(
        CoverageCount.objects.filter(
            organised_over(root.code, "plan__"), plan__year__lte=year, plan__post_kind__in=TIERS, region_id=root.code
        ),
        "plan__year",
    )
    by_region = _counts(
        CoverageCount.objects.filter(
            organised_over(root.code, "plan__"), plan__year=year, plan__post_kind__in=TIERS,
            region_id__in=[code for code, _name in children],
        ),
        "region_id",
    )
    trend = _by_tier(trend, "plan__year", sorted(years))
    by_region = _by_tier(by_region, "region_id", [code for code, _name in children])

    for tier in tiers:
        required, completed, rate = (trend.at[year, (field, tier.value)] for field in ("required", "completed", "rate"))
        dashboard.figures.append(Figure(
            label=str(tier.label), value=_number(rate), unit=Unit.RATE, target=TARGET,
            note=_("%(completed)s of %(required)s trained") % {"completed": completed, "required": required}
            if required else _("No plan requires anyone here this year."),
        ))

    dashboard.charts.append(Chart(
        kind="line", title=_("Coverage by year, %(region)s") % {"region": root.name},
        categories=[str(each) for each in trend.index],
        series=[Series(str(tier.label), [_number(rate) for rate in trend[("rate", tier.value)]]) for tier in tiers],
        unit=Unit.RATE, target=TARGET,
    ))
    names = dict(children)
    dashboard.charts.append(Chart(
        kind="bar", title=_("Coverage by region, %(year)s") % {"year": year},
        categories=[names[code] for code in by_region.index],
        series=[Series(str(tier.label), [_number(rate) for rate in by_region[("rate", tier.value)]]) for tier in tiers],
        unit=Unit.RATE, target=TARGET,
    ))

    dashboard.tables.append(Table(
        title=_("Coverage by region, %(year)s") % {"year": year},
        columns=[Column("region", _("Region")), *_tier_columns(tiers)],
        rows=[{"region": names[code], "code": code, **_tier_values(by_region, code, tiers)} for code in by_region.index],
        note=_("Each region one level below %(region)s; a rate is empty where no plan requires anyone.")
        % {"region": root.name},
    ))
    dashboard.tables.append(Table(
        title=_("Coverage by year, %(region)s") % {"region": root.name},
        columns=[Column("year", _("Year")), *_tier_columns(tiers)],
        rows=[{"year": str(each), **_tier_values(trend, each, tiers)} for each in trend.index],
    ))
    dashboard.notes += [
        _(
            "Coverage rate: the people a plan of the year requires who met its requirement, divided by the people "
            "it requires. Who is required follows the plan's window and its cut-offs for people who join late "
            "or leave early, as each plan states."
        ),
        _("Figures as of %(date)s.") % {"date": formats.date_format(today, "Y-m-d")},
    ]
    return dashboard


def _tier_columns(tiers) -> list[Column]:
    columns = []
    for tier in tiers:
        columns += [
            Column(f"{tier.value}_required", _("%(tier)s: required") % {"tier": tier.label}, Unit.COUNT),
            Column(f"{tier.value}_completed", _("%(tier)s: trained") % {"tier": tier.label}, Unit.COUNT),
            Column(f"{tier.value}_rate", _("%(tier)s: rate") % {"tier": tier.label}, Unit.RATE),
        ]
    return columns


def _tier_values(table: pd.DataFrame, key, tiers) -> dict:
    """One row of a _by_tier table as the cells of _tier_columns."""
    values = {}
    for tier in tiers:
        values[f"{tier.value}_required"] = int(table.at[key, ("required", tier.value)])
        values[f"{tier.value}_completed"] = int(table.at[key, ("completed", tier.value)])
        values[f"{tier.value}_rate"] = _number(table.at[key, ("rate", tier.value)])
    return values


def _counts(queryset, key: str) -> pd.DataFrame:
    """The queryset's counts summed by ``key`` and tier: one GROUP BY query."""
    rows = (
        queryset.values(key, "plan__post_kind")
        .annotate(**{field: Sum(field) for field in COUNT_FIELDS})
        .order_by()
    )
    return pd.DataFrame.from_records(list(rows), columns=[key, "plan__post_kind", *COUNT_FIELDS])


def _by_tier(counts: pd.DataFrame, key: str, index: list) -> pd.DataFrame:
    """``counts`` pivoted to one row per ``index`` entry (all of them, zero where nothing is counted) and
    columns (required | completed | rate, tier); rate is NaN where nobody is required."""
    columns = pd.MultiIndex.from_product([["required", "completed"], list(TIERS)])
    if counts.empty:
        table = pd.DataFrame(0, index=pd.Index(index, name=key), columns=columns, dtype="int64")
    else:
        counts = counts.assign(required=counts[COUNT_FIELDS].sum(axis=1))
        table = counts.pivot_table(
            index=key, columns="plan__post_kind", values=["required", "completed"], aggfunc="sum", fill_value=0
        )
        table = table.reindex(index=index, columns=columns, fill_value=0).fillna(0).astype("int64")
    for tier in TIERS:
        required = table[("required", tier)]
        table[("rate", tier)] = (table[("completed", tier)] / required.where(required > 0)).astype("float64")
    return table


def _number(value) -> float | None:
    """A pandas value as a plain float, None for NaN."""
    return None if pd.isna(value) else float(value)
