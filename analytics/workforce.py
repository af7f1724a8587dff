"""The workforce dashboard: the professional staff share of every children's welfare institution and
minor-protection institution in scope against the plan's 50% target (domain.md §1, box 专栏6 item 3).

Staff are the people holding any post in the institution on the day counted (today in the current year, 31
December for a past year), each once per institution; professional staff are those whose professional
category is not "none". Two queries do the counting (the institutions, then their posts grouped by institution
and category); at most two more fetch names (the scope, the chart's regions); pandas does the rest.
"""
import datetime

import pandas as pd
from django.db.models import Count
from django.utils.translation import gettext as _

from academy.organisation.models import (
    CODE_LENGTHS, INSTITUTION_POSTS, Institution, InstitutionKind, Post, ProfessionalCategory, Region, RegionLevel,
)
from academy.organisation.scope import Scope

from .dashboards import Chart, Column, Dashboard, Figure, Series, Table, Unit, rate, scope_label, share

# Box 专栏6 item 3: professional staff at 50% or more of the staff.
PROFESSIONAL_TARGET = 0.5
KINDS = (InstitutionKind.CHILDREN_WELFARE, InstitutionKind.MINOR_PROTECTION)
PROFESSIONAL_CATEGORIES = [category for category in ProfessionalCategory if category != ProfessionalCategory.NONE]
# More bars than this and a chart is unreadable on a phone or a printed page.
MAX_BARS = 30


def staff_day(*, year: int, today: datetime.date) -> datetime.date:
    """The day staff are counted on: today in the current year, the year's last day otherwise."""
    return today if year == today.year else datetime.date(year, 12, 31)


def workforce_frame(*, scope: Scope, day: datetime.date) -> pd.DataFrame:
    """One row per institution in scope: its details, staff, professional staff, share and a count per
    professional category."""
    institutions = scope.institutions(Institution.objects.filter(kind__in=KINDS))
    frame = pd.DataFrame.from_records(
        list(institutions.values("pk", "name", "kind", "region_id", "region__name", "region__level",
                                 "region__parent__name")),
        columns=["pk", "name", "kind", "region_id", "region__name", "region__level", "region__parent__name"],
    ).set_index("pk")
    # A person has one category, so the distinct count per (institution, category) adds up to the
    # institution's staff with each person once.
    counts = pd.DataFrame.from_records(
        list(
            Post.objects.current(day)
            # The institutions' ids rather than a subquery, and the post kinds (implied by an institution): so
            # PostgreSQL reads the institution posts through the kind index and hashes them, instead of
            # walking the institution index over every village director's post.
            .filter(kind__in=sorted(INSTITUTION_POSTS), institution_id__in=frame.index.tolist())
            .values("institution_id", "person__professional_category")
            .annotate(people=Count("person", distinct=True))
            .order_by()
        ),
        columns=["institution_id", "person__professional_category", "people"],
    )
    categories = [category.value for category in ProfessionalCategory]
    if counts.empty:
        pivot = pd.DataFrame(0, index=frame.index, columns=categories)
    else:
        pivot = counts.pivot_table(
            index="institution_id", columns="person__professional_category", values="people", aggfunc="sum",
            fill_value=0,
        ).reindex(index=frame.index, columns=categories, fill_value=0)
    frame = frame.join(pivot.astype(int))
    frame["staff"] = frame[categories].sum(axis=1).astype(int)
    frame["professional"] = frame[[category.value for category in PROFESSIONAL_CATEGORIES]].sum(axis=1).astype(int)
    # NaN where there is no staff: no share, not 0%.
    frame["share"] = frame["professional"] / frame["staff"].where(frame["staff"] > 0)
    return frame


def _region_label(row) -> str:
    # A county-level institution is shown with its city (杭州市 上城区); a city-run one with its city.
    if row["region__level"] in (RegionLevel.COUNTY, RegionLevel.TOWNSHIP) and row["region__parent__name"]:
        return f"{row['region__parent__name']} {row['region__name']}"
    return row["region__name"]


def _ordered(frame: pd.DataFrame) -> pd.DataFrame:
    """Below target first, then by share (lowest first), then by name; institutions without staff last."""
    staffed = frame[frame["staff"] > 0].copy()
    staffed["below"] = staffed["share"] < PROFESSIONAL_TARGET
    staffed = staffed.sort_values(["below", "share", "name"], ascending=[False, True, True], kind="stable")
    unstaffed = frame[frame["staff"] == 0].sort_values("name", kind="stable")
    return pd.concat([staffed.drop(columns="below"), unstaffed])


def _institution_table(frame: pd.DataFrame, *, day: datetime.date) -> Table:
    kind_labels = dict(InstitutionKind.choices)
    columns = [
        Column("name", _("Institution")),
        Column("region", _("Region")),
        Column("kind", _("Type")),
        Column("staff", _("Staff"), Unit.COUNT),
        Column("professional", _("Professional staff"), Unit.COUNT),
        Column("share", _("Professional share"), Unit.RATE),
    ] + [Column(category.value, str(category.label), Unit.COUNT) for category in PROFESSIONAL_CATEGORIES]
    # Plain records rather than iterrows(): a few hundred institutions nationally, each a dict.
    rows = [
        {
            "name": row["name"], "region": _region_label(row), "kind": str(kind_labels.get(row["kind"], row["kind"])),
            "staff": int(row["staff"]), "professional": int(row["professional"]), "share": rate(row["share"]),
            **{category.value: int(row[category.value]) for category in PROFESSIONAL_CATEGORIES},
        }
        for row in _ordered(frame).to_dict("records")
    ]
    note = _(
        "Staff are the people holding a post in the institution on %(day)s, each counted once. Institutions "
        "below the %(target)s%% target come first; institutions with no staff on that day have no share and "
        "come last."
    ) % {"day": day.isoformat(), "target": round(PROFESSIONAL_TARGET * 100)}
    return Table(title=_("Institutions"), columns=columns, rows=rows, note=note)


def _category_table(frame: pd.DataFrame) -> Table:
    total = int(frame["staff"].sum())
    rows = [
        {"category": str(category.label), "people": int(frame[category.value].sum()),
         "share": share(int(frame[category.value].sum()), total)}
        for category in PROFESSIONAL_CATEGORIES
    ]
    none = int(frame[ProfessionalCategory.NONE.value].sum())
    rows.append({"category": _("Not professional staff"), "people": none, "share": share(none, total)})
    return Table(
        title=_("Staff by professional category"),
        columns=[
            Column("category", _("Professional category")), Column("people", _("People"), Unit.COUNT),
            Column("share", _("Share of all staff"), Unit.RATE),
        ],
        rows=rows,
    )


def _share_chart(frame: pd.DataFrame, *, scope: Scope) -> Chart:
    """Bars of the share per institution; with more than MAX_BARS institutions, per region one level below
    the scope's own (cities of the province), keeping the lowest MAX_BARS."""
    staffed = frame[frame["staff"] > 0]
    if len(staffed) <= MAX_BARS:
        ordered = _ordered(staffed)
        return Chart(
            kind="bar", title=_("Professional staff share by institution"),
            categories=list(ordered["name"]),
            series=[Series(_("Professional share"), [rate(value) for value in ordered["share"]])],
            unit=Unit.RATE, target=PROFESSIONAL_TARGET,
        )
    length = _child_code_length(scope.region_code or "")
    grouped = (
        staffed.assign(group=staffed["region_id"].str[:length])
        .groupby("group")[["professional", "staff"]].sum()
    )
    if len(grouped) > 1:
        grouped["share"] = grouped["professional"] / grouped["staff"]
        title = _("Professional staff share by region") if len(grouped) <= MAX_BARS else _(
            "Professional staff share: the %(count)s regions with the lowest share"
        ) % {"count": MAX_BARS}
        grouped = grouped.sort_values(["share"], kind="stable").head(MAX_BARS)
        names = dict(Region.objects.filter(code__in=list(grouped.index)).values_list("code", "name"))
        return Chart(
            kind="bar", title=title, categories=[names.get(code, code) for code in grouped.index],
            series=[Series(_("Professional share"), [rate(value) for value in grouped["share"]])], unit=Unit.RATE,
            target=PROFESSIONAL_TARGET,
        )
    lowest = _ordered(staffed).head(MAX_BARS)
    return Chart(
        kind="bar",
        title=_("Professional staff share: the %(count)s institutions with the lowest share") % {"count": MAX_BARS},
        categories=list(lowest["name"]),
        series=[Series(_("Professional share"), [rate(value) for value in lowest["share"]])],
        unit=Unit.RATE, target=PROFESSIONAL_TARGET,
    )


def _child_code_length(code: str) -> int:
    """The code length of the regions one level below ``code`` ("" for everything: provinces)."""
    longer = sorted(length for length in CODE_LENGTHS.values() if length > len(code))
    return longer[0] if longer else len(code)


def workforce_dashboard(*, scope: Scope, year: int, today: datetime.date) -> Dashboard:
    day = staff_day(year=year, today=today)
    frame = workforce_frame(scope=scope, day=day)
    staff, professional = int(frame["staff"].sum()), int(frame["professional"].sum())
    kind_labels = dict(InstitutionKind.choices)

    figures = [
        Figure(_("Professional staff share"), share(professional, staff), Unit.RATE, PROFESSIONAL_TARGET,
               note=_("%(professional)s of %(staff)s staff") % {"professional": professional, "staff": staff}),
    ]
    for kind in KINDS:
        of_kind = frame[frame["kind"] == kind.value]
        kind_staff, kind_professional = int(of_kind["staff"].sum()), int(of_kind["professional"].sum())
        figures.append(Figure(
            str(kind_labels[kind.value]), share(kind_professional, kind_staff), Unit.RATE, PROFESSIONAL_TARGET,
            note=_("%(professional)s of %(staff)s staff") % {"professional": kind_professional, "staff": kind_staff},
        ))
    staffed = frame[frame["staff"] > 0]
    figures.append(Figure(
        _("Institutions below target"), int((staffed["share"] < PROFESSIONAL_TARGET).sum()), Unit.COUNT,
        note=_("of %(count)s institutions with staff") % {"count": len(staffed)},
    ))

    categories = _category_table(frame)
    category_rows = categories.rows[: len(PROFESSIONAL_CATEGORIES)]
    charts = [
        _share_chart(frame, scope=scope),
        Chart(
            kind="bar", title=_("Professional staff by category, share of all staff"),
            categories=[row["category"] for row in category_rows],
            series=[Series(_("Share of all staff"), [row["share"] for row in category_rows])], unit=Unit.RATE,
        ),
    ]
    notes = [
        _("Children's welfare institutions and minor rescue and protection centres. Staff counted on %(day)s.")
        % {"day": day.isoformat()},
    ]
    return Dashboard(
        slug="workforce", title=_("Professional staff"), scope_label=scope_label(scope=scope), year=year,
        figures=figures, charts=charts, tables=[_institution_table(frame, day=day), categories], notes=notes,
    )
