"""The certification dashboard: carers by skill level, the year's applications and pass rates (by level, part
and city), and certificates issued per year, within one scope.

- Carers are the people holding a carer post in scope on the day counted (today in the current year, 31
  December for a past year), each at the highest level of a certificate valid and issued by then.
- Applications belong to the year of their session's theory exam and to the scope of the institution the
  candidate applied from; pass rates count passed over passed and failed candidates (absent ones are left out).
- Certificates count by the year they were issued, whatever became of them later (valid or revoked).

Six aggregate queries, each returning a handful of rows, whatever the number of people; pandas shapes them.
"""
import datetime

import pandas as pd
from django.db.models import Count, F, Q
from django.db.models.functions import ExtractYear, Substr
from django.utils.translation import gettext as _

from academy.organisation.models import CODE_LENGTHS, Institution, Post, PostKind, Region, RegionLevel
from academy.organisation.scope import Scope
from certification.models import (
    Application, ApplicationStatus, Certificate, CertificateStatus, Level, Outcome, Part, PartResult,
)

from .dashboards import Chart, Column, Dashboard, Figure, Series, Table, Unit
from .dashboards import rate, scope_label, share
from .workforce import staff_day

CITY_CODE_LENGTH = CODE_LENGTHS[RegionLevel.CITY]
# Highest level first, as a reader ranks them.
LEVELS = sorted(Level, key=int)


def _institutions(scope: Scope):
    return scope.institutions(Institution.objects.all())


# --- Carers by skill level -----------------------------------------------------------------------------


def carer_levels(*, scope: Scope, day: datetime.date) -> dict[int | None, int]:
    """{level: carers} with None for carers holding no valid certificate on ``day``: two aggregate queries.

    A carer's highest level is the lowest level number among their valid certificates, so the carers at level
    L are those certified at L or higher less those certified at L - 1 or higher: counted with one conditional
    COUNT(DISTINCT) per level over the certificates, rather than a subquery per carer."""
    carers = scope.posts(Post.objects.current(day).filter(kind=PostKind.CARER))
    total = carers.aggregate(people=Count("person", distinct=True))["people"]
    at_or_above = Certificate.objects.filter(
        person__in=carers.values("person"), status=CertificateStatus.VALID, issued_on__lte=day
    ).aggregate(**{
        str(level.value): Count("person", distinct=True, filter=Q(level__lte=level.value)) for level in LEVELS
    })
    levels: dict[int | None, int] = {}
    above = 0
    for level in LEVELS:  # highest first
        certified = at_or_above[str(level.value)]
        levels[level.value] = certified - above
        above = certified
    levels[None] = total - above
    return levels


def _carer_parts(levels: dict[int | None, int], *, day: datetime.date):
    carers = sum(levels.values())
    certified = carers - levels.get(None, 0)
    labelled = [(str(level.label), levels.get(level.value, 0)) for level in LEVELS]
    labelled.append((_("No certificate"), levels.get(None, 0)))
    rows = [{"level": label, "people": people, "share": share(people, carers)} for label, people in labelled]
    table = Table(
        title=_("Carers by skill level"),
        columns=[
            Column("level", _("Skill level")), Column("people", _("Carers"), Unit.COUNT),
            Column("share", _("Share of carers"), Unit.RATE),
        ],
        rows=rows,
        note=_(
            "People holding a carer post on %(day)s, each counted once at the highest level of a certificate "
            "valid on that day."
        ) % {"day": day.isoformat()},
    )
    chart = Chart(
        kind="bar", title=_("Carers by skill level"), categories=[row["level"] for row in rows],
        series=[Series(_("Carers"), [row["people"] for row in rows])], unit=Unit.COUNT,
    )
    figures = [
        Figure(_("Carers"), carers, Unit.COUNT),
        Figure(
            _("Carers certified"), share(certified, carers), Unit.RATE,
            note=_("%(certified)s of %(carers)s carers hold a valid certificate") % {
                "certified": certified, "carers": carers,
            },
        ),
    ]
    return figures, table, chart


# --- Applications and pass rates -----------------------------------------------------------------------


def applications_in(*, scope: Scope, year: int):
    """The applications of ``year`` (their session's theory exam) made from an institution in scope."""
    return Application.objects.filter(session__theory_starts_at__year=year, institution__in=_institutions(scope))


def application_frame(*, scope: Scope, year: int) -> pd.DataFrame:
    """Applications counted by status, level, city and outcome: one grouped query."""
    rows = (
        applications_in(scope=scope, year=year)
        .values(
            "status", "outcome", level=F("session__level"),
            city=Substr("institution__region_id", 1, CITY_CODE_LENGTH),
        )
        .annotate(applications=Count("pk"))
        .order_by()
    )
    return pd.DataFrame.from_records(
        list(rows), columns=["status", "outcome", "level", "city", "applications"]
    )


def _outcome_counts(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    """Passed, failed and absent candidates and the pass rate, per value of ``by``."""
    outcomes = [Outcome.PASSED.value, Outcome.FAILED.value, Outcome.ABSENT.value]
    decided = frame[frame["outcome"].isin(outcomes)]
    if decided.empty:
        counts = pd.DataFrame(columns=outcomes, dtype=int)
    else:
        counts = decided.pivot_table(
            index=by, columns="outcome", values="applications", aggfunc="sum", fill_value=0
        ).reindex(columns=outcomes, fill_value=0)
    counts = counts.astype(int)
    judged = counts[Outcome.PASSED.value] + counts[Outcome.FAILED.value]
    counts["rate"] = counts[Outcome.PASSED.value] / judged.where(judged > 0)
    return counts


def _outcome_columns(first: Column) -> list[Column]:
    return [
        first,
        Column("passed", _("Passed"), Unit.COUNT),
        Column("failed", _("Failed"), Unit.COUNT),
        Column("absent", _("Absent"), Unit.COUNT),
        Column("rate", _("Pass rate"), Unit.RATE),
    ]


def _outcome_row(counts: pd.DataFrame, key, **first) -> dict:
    if key in counts.index:
        row = counts.loc[key]
        values = {
            "passed": int(row[Outcome.PASSED.value]), "failed": int(row[Outcome.FAILED.value]),
            "absent": int(row[Outcome.ABSENT.value]), "rate": rate(row["rate"]),
        }
    else:
        values = {"passed": 0, "failed": 0, "absent": 0, "rate": None}
    return {**first, **values}


def _pass_rate_note() -> str:
    return _("Pass rate: candidates who passed among those who passed or failed; absent candidates are left out.")


def _applications_parts(frame: pd.DataFrame, *, scope: Scope, year: int):
    status_labels = dict(ApplicationStatus.choices)
    by_status = frame.groupby("status")["applications"].sum() if not frame.empty else pd.Series(dtype=int)
    total = int(by_status.sum())
    status_rows = [
        {"status": str(label), "applications": int(by_status.get(value, 0)),
         "share": share(int(by_status.get(value, 0)), total)}
        for value, label in status_labels.items()
    ]
    status_table = Table(
        title=_("Applications by status"),
        columns=[
            Column("status", _("Status")), Column("applications", _("Applications"), Unit.COUNT),
            Column("share", _("Share"), Unit.RATE),
        ],
        rows=status_rows,
        note=_("Applications to sessions whose theory exam is in %(year)s, from institutions in your scope.")
        % {"year": year},
    )

    by_level = _outcome_counts(frame, "level")
    level_rows = [_outcome_row(by_level, level.value, level=str(level.label)) for level in LEVELS]
    level_table = Table(
        title=_("Pass rate by level"), columns=_outcome_columns(Column("level", _("Skill level"))), rows=level_rows,
        note=_pass_rate_note(),
    )

    by_city = _outcome_counts(frame, "city")
    city_names = dict(Region.objects.filter(code__in=list(by_city.index)).values_list("code", "name"))
    city_rows = [
        _outcome_row(by_city, code, city=city_names.get(code, code)) for code in sorted(by_city.index)
    ]
    city_table = Table(
        title=_("Pass rate by city"), columns=_outcome_columns(Column("city", _("City"))), rows=city_rows,
        note=_("%(rule)s Cities are those of the candidates' institutions.") % {"rule": _pass_rate_note()},
    )

    passed = int(by_level[Outcome.PASSED.value].sum())
    judged = passed + int(by_level[Outcome.FAILED.value].sum())
    figures = [
        Figure(_("Applications"), total, Unit.COUNT, note=_("in %(year)s") % {"year": year}),
        Figure(
            _("Pass rate"), share(passed, judged), Unit.RATE,
            note=_("%(passed)s of %(judged)s candidates passed or failed") % {"passed": passed, "judged": judged},
        ),
    ]
    chart = Chart(
        kind="bar", title=_("Pass rate by level"), categories=[row["level"] for row in level_rows],
        series=[Series(_("Pass rate"), [row["rate"] for row in level_rows])], unit=Unit.RATE,
    )
    return figures, [status_table, level_table, city_table], chart


def part_pass_rates(*, scope: Scope, year: int) -> dict[str, tuple[int, int]]:
    """{part: (results, passed)} for the parts taken in the year's sessions (not those carried from a retake)."""
    rows = (
        PartResult.objects.filter(application__in=applications_in(scope=scope, year=year), carried_from__isnull=True)
        .values("part")
        .annotate(results=Count("pk"), passed=Count("pk", filter=Q(passed=True)))
        .order_by()
    )
    return {row["part"]: (row["results"], row["passed"]) for row in rows}


def _part_table(parts: dict[str, tuple[int, int]]) -> Table:
    rows = []
    for part in Part:
        results, passed = parts.get(part.value, (0, 0))
        rows.append({
            "part": str(part.label), "results": results, "passed": passed, "failed": results - passed,
            "rate": share(passed, results),
        })
    return Table(
        title=_("Pass rate by part"),
        columns=[
            Column("part", _("Part")), Column("results", _("Results"), Unit.COUNT),
            Column("passed", _("Passed"), Unit.COUNT), Column("failed", _("Failed"), Unit.COUNT),
            Column("rate", _("Pass rate"), Unit.RATE),
        ],
        rows=rows,
        note=_("Parts taken in the year's sessions; parts carried from an earlier session are left out."),
    )


# --- Certificates per year -----------------------------------------------------------------------------


def certificates_per_year(*, scope: Scope) -> dict[int, dict[str, int]]:
    """{year issued: {status: certificates}} of the certificates of applications made from an institution in
    scope, every year."""
    rows = (
        Certificate.objects.filter(application__institution__in=_institutions(scope))
        .values("status", issued_year=ExtractYear("issued_on"))
        .annotate(certificates=Count("pk"))
        .order_by()
    )
    years: dict[int, dict[str, int]] = {}
    for row in rows:
        years.setdefault(row["issued_year"], {})[row["status"]] = row["certificates"]
    return years


def _certificate_parts(years: dict[int, dict[str, int]]):
    # Every year from the first to the last, so that a year without certificates shows as a gap.
    span = range(min(years), max(years) + 1) if years else range(0)
    rows = []
    for year in span:
        valid = years.get(year, {}).get(CertificateStatus.VALID.value, 0)
        revoked = years.get(year, {}).get(CertificateStatus.REVOKED.value, 0)
        rows.append({"year": str(year), "valid": valid, "revoked": revoked, "issued": valid + revoked})
    table = Table(
        title=_("Certificates issued per year"),
        columns=[
            Column("year", _("Year")), Column("issued", _("Issued"), Unit.COUNT),
            Column("valid", _("Still valid"), Unit.COUNT), Column("revoked", _("Revoked since"), Unit.COUNT),
        ],
        rows=rows,
        note=_("Certificates of candidates from institutions in your scope, by the year they were issued."),
    )
    chart = Chart(
        kind="bar", title=_("Certificates issued per year"), categories=[row["year"] for row in rows],
        series=[
            Series(_("Still valid"), [row["valid"] for row in rows]),
            Series(_("Revoked since"), [row["revoked"] for row in rows]),
        ],
        unit=Unit.COUNT,
    )
    return table, chart


def certification_dashboard(*, scope: Scope, year: int, today: datetime.date) -> Dashboard:
    day = staff_day(year=year, today=today)
    carer_figures, carer_table, carer_chart = _carer_parts(carer_levels(scope=scope, day=day), day=day)
    frame = application_frame(scope=scope, year=year)
    application_figures, application_tables, level_chart = _applications_parts(frame, scope=scope, year=year)
    part_table = _part_table(part_pass_rates(scope=scope, year=year))
    certificate_table, certificate_chart = _certificate_parts(certificates_per_year(scope=scope))
    return Dashboard(
        slug="certification", title=_("Skill certification"), scope_label=scope_label(scope=scope), year=year,
        figures=carer_figures + application_figures,
        charts=[carer_chart, level_chart, certificate_chart],
        tables=[carer_table, *application_tables[:2], part_table, application_tables[2], certificate_table],
        notes=[_("Carers counted on %(day)s; applications and pass rates of %(year)s.") % {
            "day": day.isoformat(), "year": year,
        }],
    )
