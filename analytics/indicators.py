"""The plan's indicator table (domain.md §4): each indicator's 2020 baseline, its 2022 and 2025 targets and
its value in each year of the plan.

Two kinds of indicator (Indicator.source):
- recorded: entered once a year by the province administrator (indicator_values_save); province-wide, so every
  viewer sees the same values;
- platform: computed from this platform's data for the viewer's scope: the three tiers' training rates (from
  the coverage counts, as the coverage pages read them) and the professional staff share (as the workforce
  dashboard counts it, for the year shown: categories are not kept by year).

Percentages are kept and shown in per cent (30 for 30%), in the unit the plan writes them. The table costs a
handful of queries: the indicators, the year's recorded values, one grouped query of coverage counts, and the
workforce dashboard's two.
"""
import datetime
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd
from django.db import transaction
from django.db.models import F, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from academy.organisation.models import PostKind, RegionLevel
from academy.organisation.scope import Scope
from courses.models import CoverageCount

from . import workforce
from .dashboards import Column, Dashboard, Figure, Table, Unit, scope_label, share
from .models import Indicator, IndicatorValue
from .selectors import TIERS, organised_over, scope_root

# The plan runs from 2021; its table starts from the 2020 baseline.
FIRST_YEAR = 2021
LAST_PLAN_YEAR = 2025

TRAINING_KEYS = {
    "head_training_rate": PostKind.INSTITUTION_HEAD,
    "supervisor_training_rate": PostKind.CHILD_SUPERVISOR,
    "director_training_rate": PostKind.CHILD_DIRECTOR,
}
PROFESSIONAL_KEY = "professional_share"


@dataclass(frozen=True)
class IndicatorSpec:
    key: str
    label: str
    unit: str
    baseline_2020: Decimal | None
    target_2022: Decimal | None
    target_2025: Decimal | None
    source: str


def _as_decimal(value) -> Decimal | None:
    return None if value is None else Decimal(value)


def _spec(key, label, unit, baseline, target_2022, target_2025, source=Indicator.Source.RECORDED):
    return IndicatorSpec(
        key, label, unit, _as_decimal(baseline), _as_decimal(target_2022), _as_decimal(target_2025), source
    )


_U, _PLATFORM = Indicator.Unit, Indicator.Source.PLATFORM

# The plan's table (domain.md §4), then the training targets of box 专栏6, in the order the table shows them.
# The names live here, translated, keyed by ``key``; the database keeps the figures (indicators_seed).
INDICATORS = (
    _spec("care_standard", gettext_lazy("Minimum care standard for orphans in institutions"),
          _U.YUAN_PER_YEAR, 18000, 21000, 25000),
    _spec("regional_welfare_institutions", gettext_lazy("Regional children's welfare institutions"),
          _U.COUNT, 6, 9, 11),
    _spec("protection_centres_operating",
          gettext_lazy("City and county minor-protection centres operating as real entities"),
          _U.PERCENT, 30, 70, 100),
    _spec("township_workstations", gettext_lazy("Townships covered by a minor-protection work station"),
          _U.PERCENT, 0, 30, 80),
    _spec("model_childrens_homes", gettext_lazy("Townships with a model children's home"), _U.PERCENT, 60, 80, 100),
    _spec("social_organisations_per_county",
          gettext_lazy("Child-service social organisations per county (at least)"), _U.COUNT, 1, 3, 5),
    _spec("head_training_rate", gettext_lazy("Training rate of institution heads"),
          _U.PERCENT, None, 100, 100, _PLATFORM),
    _spec("supervisor_training_rate", gettext_lazy("Training rate of child supervisors"),
          _U.PERCENT, None, 100, 100, _PLATFORM),
    _spec("director_training_rate", gettext_lazy("Training rate of child directors"),
          _U.PERCENT, None, 100, 100, _PLATFORM),
    _spec(PROFESSIONAL_KEY, gettext_lazy("Share of professional staff in institutions"),
          _U.PERCENT, None, 50, 50, _PLATFORM),
)
LABELS = {spec.key: spec.label for spec in INDICATORS}


def indicator_label(key: str) -> str:
    return str(LABELS.get(key, key))


def indicators_seed(*, model=None) -> int:
    """Create the plan's indicators that are missing; those already there are left as they are. Called by
    the migration with its historical model. Returns how many were created."""
    model = model or Indicator
    created = 0
    for order, spec in enumerate(INDICATORS, 1):
        _indicator, was_created = model.objects.get_or_create(
            key=spec.key,
            defaults={
                "unit": spec.unit, "baseline_2020": spec.baseline_2020, "target_2022": spec.target_2022,
                "target_2025": spec.target_2025, "order": order * 10, "source": spec.source,
            },
        )
        created += was_created
    return created


# --- Who may record values -----------------------------------------------------------------------------


def can_edit_indicators(user) -> bool:
    """The recorded indicators are the province's: its administrators and system administrators enter them."""
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    return user.admin_region_id is not None and user.admin_region.level == RegionLevel.PROVINCE


def editable_years(*, today: datetime.date) -> list[int]:
    """The years values may be recorded for: the plan's years, and every year since up to the current one."""
    return list(range(FIRST_YEAR, max(LAST_PLAN_YEAR, today.year) + 1))


@transaction.atomic
def indicator_values_save(*, year: int, values: dict[str, tuple[Decimal | None, str]], user) -> None:
    """Record the year's values of recorded indicators, keyed by indicator key: (value, note). A value of
    None removes the year's value. All or nothing."""
    indicators = {
        indicator.key: indicator
        for indicator in Indicator.objects.filter(key__in=values, source=Indicator.Source.RECORDED)
    }
    unknown = set(values) - set(indicators)
    if unknown:
        raise ValueError(f"not recorded indicators: {sorted(unknown)}")
    for key, (value, note) in values.items():
        if value is None:
            IndicatorValue.objects.filter(indicator=indicators[key], year=year).delete()
            continue
        IndicatorValue.objects.update_or_create(
            indicator=indicators[key], year=year,
            defaults={"value": value, "note": note.strip(), "recorded_by": user},
        )


# --- Platform figures ----------------------------------------------------------------------------------


def training_rates(*, scope: Scope, years: list[int]) -> dict[tuple[str, int], float | None]:
    """(tier, year) -> completed ÷ required in the scope's root region, from the coverage counts of the plans
    covering it (the same counts as the coverage pages' headline). One query. A year with nobody required
    has no rate (None)."""
    root = scope_root(scope=scope)
    if root is None or not years:
        return {}
    rows = (
        CoverageCount.objects.filter(
            organised_over(root.code, "plan__"), plan__year__in=years, plan__post_kind__in=TIERS, region_id=root.code,
        )
        .values("plan__year", "plan__post_kind")
        .annotate(
            required_people=Sum(F("not_started") + F("in_progress") + F("completed")), done_people=Sum("completed"),
        )
        .order_by()
    )
    frame = pd.DataFrame.from_records(
        list(rows), columns=["plan__year", "plan__post_kind", "required_people", "done_people"]
    )
    frame = frame[frame["required_people"] > 0]
    rates = frame["done_people"] / frame["required_people"]
    return {
        (kind, int(year)): float(value)
        for kind, year, value in zip(frame["plan__post_kind"], frame["plan__year"], rates, strict=True)
    }


def professional_share(*, scope: Scope, year: int, today: datetime.date) -> float | None:
    """The professional staff share of the scope's children's welfare and minor-protection institutions, as
    the workforce dashboard counts it (on its day of the year)."""
    if year > today.year:
        return None
    frame = workforce.workforce_frame(scope=scope, day=workforce.staff_day(year=year, today=today))
    return share(int(frame["professional"].sum()), int(frame["staff"].sum()))


def _percent(rate: float | None) -> float | None:
    return None if rate is None else round(rate * 100, 1)


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


# --- The dashboard -------------------------------------------------------------------------------------


def indicators_dashboard(*, scope: Scope, year: int, today: datetime.date) -> Dashboard:
    indicators = list(Indicator.objects.all())
    years = list(range(FIRST_YEAR, year + 1))
    recorded: dict[tuple[int, int], IndicatorValue] = {
        (value.indicator_id, value.year): value
        for value in IndicatorValue.objects.filter(year__in=years, indicator__source=Indicator.Source.RECORDED)
    }
    platform_keys = {indicator.key for indicator in indicators if indicator.source == Indicator.Source.PLATFORM}
    rates = training_rates(scope=scope, years=[y for y in years if y <= today.year]) if platform_keys & set(
        TRAINING_KEYS
    ) else {}
    professional = (
        professional_share(scope=scope, year=year, today=today) if PROFESSIONAL_KEY in platform_keys else None
    )

    def platform_value(key: str, of_year: int) -> float | None:
        if key in TRAINING_KEYS:
            return _percent(rates.get((TRAINING_KEYS[key], of_year)))
        if key == PROFESSIONAL_KEY and of_year == year:
            return _percent(professional)
        return None

    unit_labels = dict(Indicator.Unit.choices)
    label = scope_label(scope=scope)
    rows, met, with_target = [], 0, 0
    for indicator in indicators:
        row = {
            "indicator": indicator_label(indicator.key),
            "unit": str(unit_labels.get(indicator.unit, indicator.unit)),
            "baseline_2020": _number(indicator.baseline_2020),
            "target_2022": _number(indicator.target_2022),
        }
        notes = []
        for of_year in years:
            if indicator.source == Indicator.Source.PLATFORM:
                row[f"value_{of_year}"] = platform_value(indicator.key, of_year)
            else:
                entry = recorded.get((indicator.pk, of_year))
                row[f"value_{of_year}"] = _number(entry.value) if entry else None
                if entry and entry.note:
                    notes.append(_("%(year)s: %(note)s") % {"year": of_year, "note": entry.note})
        row["target_2025"] = _number(indicator.target_2025)
        latest = next((row[f"value_{y}"] for y in reversed(years) if row[f"value_{y}"] is not None), None)
        meets = None if latest is None or row["target_2025"] is None else latest >= row["target_2025"]
        row["meets_target_2025"] = {True: _("Met"), False: _("Not yet"), None: ""}[meets]
        if indicator.source == Indicator.Source.PLATFORM:
            notes.insert(0, _("Computed by the platform for %(scope)s") % {"scope": label})
        row["notes"] = "; ".join(notes)
        rows.append(row)
        with_target += indicator.target_2025 is not None
        met += bool(meets)

    columns = [
        Column("indicator", _("Indicator")),
        Column("unit", _("Unit")),
        Column("baseline_2020", _("2020 baseline"), Unit.NUMBER),
        Column("target_2022", _("2022 target"), Unit.NUMBER),
        *[Column(f"value_{of_year}", str(of_year), Unit.NUMBER) for of_year in years],
        Column("target_2025", _("2025 target"), Unit.NUMBER),
        Column("meets_target_2025", _("2025 target met")),
        Column("notes", _("Remarks")),
    ]
    table = Table(
        title=_("Indicators of the children's welfare plan, 2021-2025"), columns=columns, rows=rows,
        note=_(
            "Percentages are in per cent. An empty cell has no value recorded or computed for that year. Whether "
            "the 2025 target is met is judged by the latest value."
        ),
    )
    figures = [
        Figure(
            _("Indicators meeting their 2025 target"), met, Unit.COUNT, target=with_target,
            note=_("%(met)s of %(count)s, by their latest value") % {"met": met, "count": with_target},
        ),
    ]
    notes = [
        _("Recorded indicators are province-wide: the province administrator enters their value each year."),
        _(
            "The training rates and the professional staff share are computed from this platform's data for "
            "%(scope)s: people who completed the year's training plans out of the people they required; "
            "professional staff out of the staff of children's welfare and minor-protection institutions."
        ) % {"scope": label},
        _(
            "Professional categories are not kept year by year: the professional staff share is shown for %(year)s "
            "only."
        ) % {"year": year},
    ]
    return Dashboard(
        slug="indicators", title=_("Plan indicators"), scope_label=label, year=year, figures=figures,
        tables=[table], notes=notes,
    )
