"""The plan's indicator table: the recorded values shown per year, the platform's training rates and
professional staff share equal to a plain recount on random data within the viewer's scope, and the
meets-the-2025-target flag."""
import datetime
import random
from decimal import Decimal

import pytest
from django.db import connection

from academy.organisation.models import (
    Institution, InstitutionKind, Post, PostKind, ProfessionalCategory, Region, RunLevel,
)
from academy.organisation.scope import Scope
from analytics.dashboards import dashboard_build
from analytics.indicators import (
    INDICATORS, TRAINING_KEYS, indicator_label, indicator_values_save, indicators_dashboard, indicators_seed,
)
from analytics.models import Indicator, IndicatorValue
from courses import coverage
from courses.models import PlanAssignment, PlanStatus
from tests.factories import InstitutionFactory, PersonFactory, PostFactory, user_with_role
from tests.races import race

from .conftest import assign, make_plan, make_village

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 6, 15)
YEARS = [2023, 2024, 2025, 2026]
# Counties of 杭州市 (3301) and one of 宁波市 (3302), each with a township of the real divisions.
COUNTY_TOWNSHIPS = {"330102": "330102001", "330105": "330105001", "330203": "330203001"}
CITIES = {"3301": ["330102", "330105"], "3302": ["330203"]}
RECORDED_KEYS = [spec.key for spec in INDICATORS if spec.source == Indicator.Source.RECORDED]


def row_of(dashboard, key):
    return next(row for row in dashboard.tables[0].rows if row["indicator"] == indicator_label(key))


def percent(done, required):
    return round(done / required * 100, 1) if required else None


# --- The indicators themselves ---------------------------------------------------------------------------


def test_the_migration_seeds_the_plans_indicators_with_their_targets():
    indicators = {indicator.key: indicator for indicator in Indicator.objects.all()}
    assert set(indicators) == {spec.key for spec in INDICATORS}
    care = indicators["care_standard"]
    assert (care.baseline_2020, care.target_2022, care.target_2025) == (18000, 21000, 25000)
    assert indicators["township_workstations"].unit == Indicator.Unit.PERCENT
    for key in TRAINING_KEYS:
        assert indicators[key].source == Indicator.Source.PLATFORM
        assert (indicators[key].target_2022, indicators[key].target_2025) == (100, 100)
    assert indicators["professional_share"].target_2025 == 50
    # Seeding again adds nothing and keeps what is there.
    Indicator.objects.filter(key="care_standard").update(target_2025=26000)
    assert indicators_seed() == 0
    assert Indicator.objects.get(key="care_standard").target_2025 == 26000


def test_the_table_lists_every_indicator_with_baseline_targets_and_one_column_per_year():
    dashboard = dashboard_build("indicators", scope=Scope.everything(), year=2024, today=TODAY)
    assert dashboard.slug == "indicators"
    table = dashboard.tables[0]
    keys = [column.key for column in table.columns]
    assert keys[:4] == ["indicator", "unit", "baseline_2020", "target_2022"]
    assert keys[4:8] == ["value_2021", "value_2022", "value_2023", "value_2024"]
    assert keys[8:10] == ["target_2025", "meets_target_2025"]
    assert [row["indicator"] for row in table.rows] == [str(spec.label) for spec in INDICATORS]
    care = row_of(dashboard, "care_standard")
    assert (care["unit"], care["baseline_2020"], care["target_2022"], care["target_2025"]) == (
        "yuan a year", 18000.0, 21000.0, 25000.0
    )


# --- Recorded values -------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2])
def test_recorded_values_are_shown_in_their_year_with_the_target_flag(seed):
    rng = random.Random(seed)
    recorded = {}
    for key in RECORDED_KEYS:
        for year in range(2021, 2027):
            if rng.random() < 0.6:
                value = Decimal(rng.randint(0, 100 if key in {"protection_centres_operating",
                                                          "township_workstations", "model_childrens_homes"} else 30000))
                recorded[key, year] = value
                IndicatorValue.objects.create(
                    indicator=Indicator.objects.get(key=key), year=year, value=value, note=f"n{year}",
                )
    targets = {indicator.key: indicator.target_2025 for indicator in Indicator.objects.all()}

    dashboard = indicators_dashboard(scope=Scope.of_region(Region.objects.get(code="3301")), year=2025, today=TODAY)
    met = 0
    for key in RECORDED_KEYS:
        row = row_of(dashboard, key)
        values = [recorded.get((key, year)) for year in range(2021, 2026)]
        assert [row[f"value_{year}"] for year in range(2021, 2026)] == [
            None if value is None else float(value) for value in values
        ]
        assert "value_2026" not in row  # a year after the one shown is not in its table
        latest = next((value for value in reversed(values) if value is not None), None)
        if latest is None:
            assert row["meets_target_2025"] == ""
        else:
            assert row["meets_target_2025"] == ("Met" if latest >= targets[key] else "Not yet")
            met += latest >= targets[key]
    # Nothing of the platform is counted here (no plans, no staff): only recorded indicators can be met.
    headline = dashboard.figures[0]
    assert headline.value == met and headline.target == len(INDICATORS)


def test_recorded_values_are_the_same_for_every_viewer():
    indicator_values_save(year=2024, values={"care_standard": (Decimal("22000"), "省民政厅")}, user=None)
    seen = {
        indicators_dashboard(scope=scope, year=2024, today=TODAY).tables[0].rows[0]["value_2024"]
        for scope in [Scope.everything(), Scope.of_region(Region.objects.get(code="3301")),
                      Scope.of_region(Region.objects.get(code="330203"))]
    }
    assert seen == {22000.0}


def test_saving_records_updates_and_removes_values_all_together():
    admin = user_with_role("province_admin")
    indicator_values_save(year=2024, values={
        "care_standard": (Decimal("22000"), " first "), "township_workstations": (Decimal("35.5"), ""),
    }, user=admin)
    indicator_values_save(year=2024, values={
        "care_standard": (Decimal("23000"), "revised"), "township_workstations": (None, ""),
    }, user=admin)
    values = {value.indicator.key: value for value in IndicatorValue.objects.select_related("indicator")}
    assert set(values) == {"care_standard"}
    assert (values["care_standard"].value, values["care_standard"].note) == (Decimal("23000"), "revised")
    assert values["care_standard"].recorded_by == admin
    # A platform indicator cannot be recorded: nothing of the call is saved.
    with pytest.raises(ValueError):
        indicator_values_save(year=2025, values={
            "care_standard": (Decimal("24000"), ""), "head_training_rate": (Decimal("90"), ""),
        }, user=admin)
    assert not IndicatorValue.objects.filter(year=2025).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="two connections at once need PostgreSQL")
def test_two_administrators_recording_one_year_at_once_leave_one_value(zhejiang_regions):
    # One value an indicator a year (indicator_value_once_a_year): the later save is the value, as when one
    # saves after the other.
    indicators_seed()
    first_admin, second_admin = user_with_role("province_admin"), user_with_role("province_admin")
    race(
        lambda: indicator_values_save(year=2024, values={"care_standard": (Decimal("22000"), "")}, user=first_admin),
        lambda: indicator_values_save(year=2024, values={"care_standard": (Decimal("23000"), "")}, user=second_admin),
    )
    [value] = IndicatorValue.objects.all()
    assert (value.value, value.recorded_by) == (Decimal("23000"), second_admin)


# --- Platform values: training rates ---------------------------------------------------------------------


def training_world(seed: int):
    """Plans of every tier in several years, organised as box 专栏6 says (heads by the province, supervisors by
    each city, directors by each county), with people in random places and random statuses. Some tier-years
    have no plan at all."""
    rng = random.Random(seed)
    villages = {county: make_village(township, 1) for county, township in COUNTY_TOWNSHIPS.items()}
    homes = [
        InstitutionFactory(region=Region.objects.get(code=county), run_level=rng.choice(list(RunLevel)))
        for county in COUNTY_TOWNSHIPS
    ]
    statuses = list(PlanStatus)
    for year in YEARS:
        plans = []
        if rng.random() < 0.8:
            plan = make_plan(PostKind.INSTITUTION_HEAD, "33", year)
            for _n in range(rng.randint(0, 6)):
                assign(plan, None, rng.choice(statuses), institution=rng.choice(homes))
            plans.append(plan)
        for city, counties in CITIES.items():
            if rng.random() < 0.8:
                plan = make_plan(PostKind.CHILD_SUPERVISOR, city, year)
                for _n in range(rng.randint(0, 5)):
                    township = Region.objects.get(code=COUNTY_TOWNSHIPS[rng.choice(counties)])
                    assign(plan, township, rng.choice(statuses))
                plans.append(plan)
            for county in counties:
                if rng.random() < 0.8:
                    plan = make_plan(PostKind.CHILD_DIRECTOR, county, year)
                    for _n in range(rng.randint(0, 5)):
                        assign(plan, villages[county], rng.choice(statuses))
                    plans.append(plan)
        for plan in plans:
            coverage.rebuild(plan=plan)


def recount_training(root_code: str) -> dict[tuple[str, int], float | None]:
    """(tier, year) -> percent completed, over the assignments held in the root region, by hand."""
    counted = {}
    assignments = list(PlanAssignment.objects.select_related("plan"))
    for kind in TRAINING_KEYS.values():
        for year in YEARS:
            held = [
                assignment for assignment in assignments
                if assignment.plan.post_kind == kind and assignment.plan.year == year
                and assignment.region_id.startswith(root_code)
            ]
            done = sum(assignment.status == PlanStatus.COMPLETED for assignment in held)
            counted[kind, year] = percent(done, len(held))
    return counted


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("root_code", ["33", "3301", "3302", "330102"])
def test_training_rates_equal_a_recount_in_the_viewers_scope(seed, root_code):
    training_world(seed)
    scope = Scope.everything() if root_code == "33" else Scope.of_region(Region.objects.get(code=root_code))
    dashboard = indicators_dashboard(scope=scope, year=2026, today=TODAY)
    expected = recount_training(root_code)
    assert any(rate not in (None, 0.0, 100.0) for rate in expected.values())  # the data says something
    for key, kind in TRAINING_KEYS.items():
        row = row_of(dashboard, key)
        for year in YEARS:
            assert row[f"value_{year}"] == expected[kind, year], (key, year)
        assert row["value_2021"] is None and row["value_2022"] is None
        latest = expected[kind, 2026] if expected[kind, 2026] is not None else next(
            (expected[kind, year] for year in reversed(YEARS) if expected[kind, year] is not None), None
        )
        assert row["meets_target_2025"] == {None: "", True: "Met", False: "Not yet"}[
            None if latest is None else latest >= 100
        ]


def test_a_city_administrators_rates_never_count_another_city():
    training_world(4)
    city = Scope.of_region(Region.objects.get(code="3301"))
    before = indicators_dashboard(scope=city, year=2026, today=TODAY)
    # Everyone of 宁波市 completes: 杭州市's figures do not move.
    PlanAssignment.objects.filter(region__code__startswith="3302").update(status=PlanStatus.COMPLETED)
    for plan in {assignment.plan for assignment in PlanAssignment.objects.select_related("plan")}:
        coverage.rebuild(plan=plan)
    after = indicators_dashboard(scope=city, year=2026, today=TODAY)
    for key in TRAINING_KEYS:
        assert row_of(after, key) == row_of(before, key)
    expected = recount_training("3301")
    for key, kind in TRAINING_KEYS.items():
        assert [row_of(after, key)[f"value_{year}"] for year in YEARS] == [expected[kind, year] for year in YEARS]


# --- Platform values: professional staff share -----------------------------------------------------------


def staff_world(seed: int):
    rng = random.Random(seed)
    homes = [
        InstitutionFactory(
            kind=rng.choice(list(InstitutionKind)), run_level=rng.choice(list(RunLevel)),
            region=Region.objects.get(code=rng.choice(list(COUNTY_TOWNSHIPS))),
        )
        for _n in range(8)
    ]
    for _n in range(70):
        person = PersonFactory(professional_category=rng.choice(list(ProfessionalCategory)))
        home = rng.choice(homes)
        held_open = set()
        for _post in range(rng.randint(1, 2)):
            start = datetime.date(2020, 1, 1) + datetime.timedelta(days=rng.randint(0, 2700))
            end = start + datetime.timedelta(days=rng.randint(0, 900)) if rng.random() < 0.4 else None
            kind = rng.choice([PostKind.INSTITUTION_HEAD, PostKind.CARER, PostKind.INSTITUTION_STAFF])
            if end is None and kind in held_open:
                continue  # one open post of a kind per person and place (the database keeps it, issue 12)
            if end is None:
                held_open.add(kind)
            PostFactory(
                person=person, institution=home, region=home.region, start_date=start, end_date=end, kind=kind,
            )


def recount_share(scope: Scope, day: datetime.date) -> float | None:
    """Professional staff ÷ staff of the scope's welfare and protection institutions on ``day``, by hand:
    each person once per institution."""
    staff = professional = 0
    for institution in Institution.objects.all():
        if institution.kind == InstitutionKind.OTHER or not scope.contains_institution(institution):
            continue
        people = {post.person for post in Post.objects.filter(institution=institution) if post.is_held_on(day)}
        staff += len(people)
        professional += sum(person.professional_category != ProfessionalCategory.NONE for person in people)
    return percent(professional, staff)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("root_code", ["33", "3301", "3302"])
def test_the_professional_share_equals_a_recount_in_the_viewers_scope(seed, root_code):
    staff_world(seed)
    scope = Scope.everything() if root_code == "33" else Scope.of_region(Region.objects.get(code=root_code))
    this_year = indicators_dashboard(scope=scope, year=2026, today=TODAY)
    row = row_of(this_year, "professional_share")
    assert row["value_2026"] == recount_share(scope, TODAY)
    # Categories are not kept by year: earlier columns stay empty.
    assert all(row[f"value_{year}"] is None for year in range(2021, 2026))
    # A past year counts the staff of its 31 December.
    past = row_of(indicators_dashboard(scope=scope, year=2024, today=TODAY), "professional_share")
    assert past["value_2024"] == recount_share(scope, datetime.date(2024, 12, 31))
    expected = recount_share(scope, TODAY)
    assert row["meets_target_2025"] == ("" if expected is None else ("Met" if expected >= 50 else "Not yet"))


def test_the_headline_counts_the_indicators_meeting_their_2025_target():
    indicator_values_save(year=2025, values={
        "care_standard": (Decimal("25000"), ""), "regional_welfare_institutions": (Decimal("10"), ""),
        "township_workstations": (Decimal("80"), ""),
    }, user=None)
    # Everyone required in 2026 completed: the three training rates are 100%.
    home = InstitutionFactory(kind=InstitutionKind.CHILDREN_WELFARE)
    village = make_village("330102001", 1)
    for kind, organiser, where in [
        (PostKind.INSTITUTION_HEAD, "33", {"institution": home}),
        (PostKind.CHILD_SUPERVISOR, "3301", {"region": Region.objects.get(code="330102001")}),
        (PostKind.CHILD_DIRECTOR, "330102", {"region": village}),
    ]:
        plan = make_plan(kind, organiser, 2026)
        assign(plan, where.get("region"), PlanStatus.COMPLETED, institution=where.get("institution"))
        coverage.rebuild(plan=plan)
    dashboard = indicators_dashboard(scope=Scope.everything(), year=2026, today=TODAY)
    headline = dashboard.figures[0]
    # care standard, work stations and the three training rates; the head's share: no professional category.
    assert headline.value == 5
    assert row_of(dashboard, "regional_welfare_institutions")["meets_target_2025"] == "Not yet"
    assert row_of(dashboard, "professional_share")["value_2026"] == 0.0
