"""What every dashboard is made of, so that one page template, one xlsx/csv writer and one PDF report serve
them all: headline figures against their targets, charts (drawn as SVG on the server: no remote script or
font) and tables. Each dashboard is built by one function of its own module, always for one scope:

- training       analytics/training.py       the three tier coverage rates, the trend, regions one level down
- workforce      analytics/workforce.py      professional staff share of institutions against 50%
- certification  analytics/certification_stats.py   carers by skill level, applications, pass rates, certificates
- indicators     analytics/indicators.py     the plan's indicator table (domain.md §4)

The figures are computed with pandas from a few aggregate queries; builders never loop over people in Python.
"""
import datetime
from dataclasses import dataclass, field
from importlib import import_module

import pandas as pd
from django.utils.translation import gettext_lazy as _

from academy.organisation.scope import Scope

from .selectors import scope_root


class Unit:
    RATE = "rate"  # a share from 0 to 1, shown as a percentage
    COUNT = "count"  # a whole number
    NUMBER = "number"  # a decimal value (yuan, hours…)
    TEXT = "text"


@dataclass(frozen=True)
class Figure:
    """A headline figure: ``value`` against ``target`` (both in ``unit``; None when there is none)."""

    label: str
    value: float | None
    unit: str = Unit.RATE
    target: float | None = None
    note: str = ""

    @property
    def meets_target(self) -> bool | None:
        if self.target is None or self.value is None:
            return None
        return self.value >= self.target


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    unit: str = Unit.TEXT


@dataclass
class Table:
    """Rows are dicts keyed by column key; rates are floats from 0 to 1, missing values None. The page lets the
    reader sort by any column; ``rows`` is the order the builder chose (e.g. below target first)."""

    title: str
    columns: list[Column]
    rows: list[dict]
    note: str = ""


@dataclass(frozen=True)
class Series:
    label: str
    values: list[float | None]


@dataclass
class Chart:
    """A bar chart (one bar per category and series) or a line chart (one line per series across the
    categories, e.g. years). ``target`` draws a horizontal target line in the chart's unit."""

    kind: str  # "bar" or "line"
    title: str
    categories: list[str]
    series: list[Series]
    unit: str = Unit.RATE
    target: float | None = None


@dataclass
class Dashboard:
    slug: str
    title: str
    scope_label: str
    year: int
    figures: list[Figure] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def scope_label(*, scope: Scope) -> str:
    """The region a scope's dashboards are about: 浙江省 for the province administrator and for system
    administrators, 杭州市 for that city's, and so on."""
    root = scope_root(scope=scope)
    return root.name if root is not None else ""


def share(part, whole) -> float | None:
    return part / whole if whole else None


def rate(value) -> float | None:
    """A pandas value as the dashboards want it: a float, or None for a missing one."""
    return None if pd.isna(value) else float(value)


# slug -> (title, "module:function"). A builder is called as builder(scope=..., year=..., today=...).
DASHBOARDS = {
    "training": (_("Training coverage"), "analytics.training:training_dashboard"),
    "workforce": (_("Professional staff"), "analytics.workforce:workforce_dashboard"),
    "certification": (_("Skill certification"), "analytics.certification_stats:certification_dashboard"),
    "indicators": (_("Plan indicators"), "analytics.indicators:indicators_dashboard"),
}


def dashboard_build(slug: str, *, scope: Scope, year: int, today: datetime.date) -> Dashboard:
    _title, path = DASHBOARDS[slug]
    module_name, function_name = path.split(":")
    builder = getattr(import_module(module_name), function_name)
    return builder(scope=scope, year=year, today=today)


def dashboards_build(*, scope: Scope, year: int, today: datetime.date) -> list[Dashboard]:
    """Every dashboard, in menu order (the monthly report holds them all)."""
    return [dashboard_build(slug, scope=scope, year=year, today=today) for slug in DASHBOARDS]
