"""The workforce dashboard: every figure equals a plain recount over the posts, within the scope, on the right
day, with the institutions below the 50% target first."""
import dataclasses
import datetime
import itertools
import json
import random
from types import SimpleNamespace

import pytest

from academy.organisation.models import (
    Institution, InstitutionKind, Post, PostKind, ProfessionalCategory, Region, RunLevel,
)
from academy.organisation.scope import Scope
from analytics.dashboards import dashboard_build
from analytics.workforce import MAX_BARS, PROFESSIONAL_TARGET, workforce_dashboard
from tests.factories import InstitutionFactory, PersonFactory, PostFactory, make_id_number

TODAY = datetime.date(2026, 6, 15)
COUNTIES = ["330102", "330105", "330106", "330203", "330302"]  # 杭州市 ×3, 宁波市, 温州市
KINDS = (InstitutionKind.CHILDREN_WELFARE, InstitutionKind.MINOR_PROTECTION)
INSTITUTION_POST_KINDS = [PostKind.INSTITUTION_HEAD, PostKind.CARER, PostKind.INSTITUTION_STAFF]
PROFESSIONAL = [category for category in ProfessionalCategory if category != ProfessionalCategory.NONE]
_numbers = itertools.count()


def person(**fields):
    """A person with a resident ID number of their own: the factory's random numbers may repeat over the
    hundreds of people a random world holds."""
    number = next(_numbers)
    born = datetime.date(1970, 1, 1) + datetime.timedelta(days=number // 1000)
    return PersonFactory(id_number=make_id_number("330102", born, number % 1000), **fields)


def random_date(rng, start, end):
    return start + datetime.timedelta(days=rng.randint(0, (end - start).days))


def random_world(seed: int, *, institutions: int = 14, people: int = 160):
    """Institutions of every kind and run level in five counties of three cities; people of random categories
    with one to three posts each, some ended, some not yet started, some twice in one institution."""
    rng = random.Random(seed)
    homes = [
        InstitutionFactory(
            name=f"机构{seed}-{number:02d}", kind=rng.choice(list(InstitutionKind)),
            run_level=rng.choice([RunLevel.CITY, RunLevel.COUNTY, RunLevel.PROVINCE]),
            region=Region.objects.get(code=rng.choice(COUNTIES)),
        )
        for number in range(institutions)
    ]
    for _number in range(people):
        someone = person(professional_category=rng.choice(list(ProfessionalCategory)))
        home = rng.choice(homes)
        held_open = set()
        for _post in range(rng.randint(1, 3)):
            # Mostly the same institution again (a second post there counts the person once), sometimes another.
            home = home if rng.random() < 0.5 else rng.choice(homes)
            start = random_date(rng, datetime.date(2019, 1, 1), datetime.date(2026, 12, 31))
            ended = rng.random() < 0.4
            kind = rng.choice(INSTITUTION_POST_KINDS)
            if not ended and (kind, home.pk) in held_open:
                continue  # one open post of a kind per person and place (the database keeps it, issue 12)
            if not ended:
                held_open.add((kind, home.pk))
            PostFactory(
                person=someone, kind=kind, institution=home, region=home.region,
                start_date=start, end_date=random_date(rng, start, datetime.date(2027, 6, 30)) if ended else None,
            )
    return homes


def recount(scope: Scope, day: datetime.date) -> dict[str, SimpleNamespace]:
    """Per institution in scope and of a counted kind: its staff and professional staff, counted by hand."""
    counted = {}
    for institution in Institution.objects.all():
        if institution.kind not in KINDS or not scope.contains_institution(institution):
            continue
        staff = {post.person for post in Post.objects.filter(institution=institution) if post.is_held_on(day)}
        categories = {category.value: 0 for category in ProfessionalCategory}
        for person in staff:
            categories[person.professional_category] += 1
        professional = len(staff) - categories[ProfessionalCategory.NONE]
        counted[institution.name] = SimpleNamespace(
            institution=institution, staff=len(staff), professional=professional, categories=categories,
            share=professional / len(staff) if staff else None,
        )
    return counted


def figure(dashboard, label):
    return next(item for item in dashboard.figures if item.label == label)


def rows_by_name(dashboard):
    return {row["name"]: row for row in dashboard.tables[0].rows}


def assert_matches_recount(dashboard, expected):
    rows = rows_by_name(dashboard)
    assert set(rows) == set(expected)
    for name, counted in expected.items():
        row = rows[name]
        assert (row["staff"], row["professional"]) == (counted.staff, counted.professional), name
        assert row["share"] == pytest.approx(counted.share) if counted.share is not None else row["share"] is None
        for category in PROFESSIONAL:
            assert row[category.value] == counted.categories[category.value], (name, category)

    staff = sum(counted.staff for counted in expected.values())
    professional = sum(counted.professional for counted in expected.values())
    overall = figure(dashboard, "Professional staff share")
    assert overall.value == (pytest.approx(professional / staff) if staff else None)
    assert overall.target == PROFESSIONAL_TARGET
    for kind in KINDS:
        of_kind = [counted for counted in expected.values() if counted.institution.kind == kind]
        kind_staff = sum(counted.staff for counted in of_kind)
        kind_professional = sum(counted.professional for counted in of_kind)
        value = figure(dashboard, str(kind.label)).value
        assert value == (pytest.approx(kind_professional / kind_staff) if kind_staff else None)
    below = [counted for counted in expected.values() if counted.staff and counted.share < PROFESSIONAL_TARGET]
    assert figure(dashboard, "Institutions below target").value == len(below)

    categories = {row["category"]: row for row in dashboard.tables[1].rows}
    for category in PROFESSIONAL:
        people = sum(counted.categories[category.value] for counted in expected.values())
        assert categories[str(category.label)]["people"] == people
        assert categories[str(category.label)]["share"] == (pytest.approx(people / staff) if staff else None)
    assert sum(row["people"] for row in categories.values()) == staff


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_figure_equals_a_recount_on_random_data(db, seed):
    random_world(seed)
    dashboard = workforce_dashboard(scope=Scope.everything(), year=TODAY.year, today=TODAY)
    assert dashboard.slug == "workforce"
    assert_matches_recount(dashboard, recount(Scope.everything(), TODAY))
    # Plain numbers and text (no numpy types, no lazy strings), so every export can write them.
    json.dumps(dataclasses.asdict(dashboard))


@pytest.mark.parametrize("seed", [4, 5])
def test_a_city_administrator_counts_nothing_of_another_city(db, seed):
    random_world(seed)
    hangzhou = Scope.of_region(Region.objects.get(code="3301"))
    before = workforce_dashboard(scope=hangzhou, year=TODAY.year, today=TODAY)
    assert_matches_recount(before, recount(hangzhou, TODAY))
    assert before.scope_label == "杭州市"
    assert all(row["region"].startswith("杭州市") for row in before.tables[0].rows)

    # Staff added to 宁波市 and 温州市 change nothing for 杭州市.
    for code in ("330203", "330302"):
        home = InstitutionFactory(name=f"外市福利院{code}", run_level=RunLevel.CITY, region=Region.objects.get(code=code))
        for _number in range(5):
            PostFactory(
                person=person(professional_category=ProfessionalCategory.DOCTOR), kind=PostKind.CARER,
                institution=home, region=home.region, start_date=datetime.date(2020, 1, 1),
            )
    after = workforce_dashboard(scope=hangzhou, year=TODAY.year, today=TODAY)
    assert [(item.label, item.value) for item in after.figures] == [(item.label, item.value) for item in before.figures]
    assert after.tables[0].rows == before.tables[0].rows


def staff(home, *, professional: int, other: int, start=datetime.date(2020, 1, 1), end=None):
    for number in range(professional + other):
        category = ProfessionalCategory.SOCIAL_WORKER if number < professional else ProfessionalCategory.NONE
        PostFactory(
            person=person(professional_category=category), kind=PostKind.INSTITUTION_STAFF, institution=home,
            region=home.region, start_date=start, end_date=end,
        )


def test_institutions_below_target_come_first_and_those_without_staff_last(db):
    region = Region.objects.get(code="330102")

    def home(name, kind=InstitutionKind.CHILDREN_WELFARE):
        return InstitutionFactory(name=name, kind=kind, region=region)

    staff(home("甲 60%"), professional=3, other=2)
    staff(home("乙 20%"), professional=1, other=4)
    staff(home("丙 40%", InstitutionKind.MINOR_PROTECTION), professional=2, other=3)
    staff(home("丁 50%"), professional=1, other=1)
    staff(home("戊 20%"), professional=2, other=8)
    home("己 empty")
    staff(home("庚 other kind", InstitutionKind.OTHER), professional=0, other=3)

    dashboard = workforce_dashboard(scope=Scope.of_region(region), year=TODAY.year, today=TODAY)
    table = dashboard.tables[0]
    names = [row["name"] for row in table.rows]
    # Below target by share then name (乙 sorts before 戊 in code-point order); then 50% and 60%; empty last.
    assert names == ["乙 20%", "戊 20%", "丙 40%", "丁 50%", "甲 60%", "己 empty"]
    assert table.rows[-1]["share"] is None and table.rows[-1]["staff"] == 0
    assert "no staff" in table.note
    assert figure(dashboard, "Institutions below target").value == 3
    assert figure(dashboard, "Professional staff share").value == pytest.approx(9 / 27)
    assert figure(dashboard, str(InstitutionKind.MINOR_PROTECTION.label)).value == pytest.approx(2 / 5)
    assert table.rows[0]["region"] == "杭州市 上城区"
    # The chart shows the same order, against the target line.
    chart = dashboard.charts[0]
    assert chart.categories == names[:-1] and chart.target == PROFESSIONAL_TARGET
    assert chart.series[0].values == pytest.approx([0.2, 0.2, 0.4, 0.5, 0.6])


def test_ended_and_future_posts_are_not_counted(db):
    home = InstitutionFactory(name="上城区儿童福利院", region=Region.objects.get(code="330102"))
    staff(home, professional=1, other=1)  # held today
    staff(home, professional=2, other=0, end=TODAY - datetime.timedelta(days=1))  # ended yesterday
    staff(home, professional=0, other=1, end=TODAY)  # ends today: still held
    staff(home, professional=3, other=0, start=TODAY + datetime.timedelta(days=1))  # starts tomorrow
    # One person holding two posts in the institution counts once.
    nurse = person(professional_category=ProfessionalCategory.NURSE)
    for kind in (PostKind.CARER, PostKind.INSTITUTION_HEAD):
        PostFactory(person=nurse, kind=kind, institution=home, region=home.region, start_date=datetime.date(2021, 1, 1))

    row = workforce_dashboard(scope=Scope.everything(), year=TODAY.year, today=TODAY).tables[0].rows[0]
    assert (row["staff"], row["professional"], row["nurse"], row["social_worker"]) == (4, 2, 1, 1)
    assert row["share"] == pytest.approx(0.5)


def test_a_past_year_counts_the_staff_of_31_december(db):
    home = InstitutionFactory(name="上城区儿童福利院", region=Region.objects.get(code="330102"))
    staff(home, professional=1, other=0, start=datetime.date(2024, 3, 1), end=datetime.date(2025, 12, 31))
    staff(home, professional=0, other=2, start=datetime.date(2024, 3, 1), end=datetime.date(2025, 12, 30))
    staff(home, professional=0, other=4, start=datetime.date(2026, 1, 1))
    staff(home, professional=0, other=8, start=datetime.date(2025, 6, 1))

    past = workforce_dashboard(scope=Scope.everything(), year=2025, today=TODAY)
    row = past.tables[0].rows[0]
    assert (row["staff"], row["professional"]) == (9, 1)
    assert "2025-12-31" in past.tables[0].note
    current = workforce_dashboard(scope=Scope.everything(), year=2026, today=TODAY).tables[0].rows[0]
    assert (current["staff"], current["professional"]) == (12, 0)
    assert recount(Scope.everything(), datetime.date(2025, 12, 31))[home.name].staff == 9


def test_many_institutions_are_charted_by_region_with_at_most_30_bars(db):
    random_world(7, institutions=MAX_BARS + 20, people=600)
    province = Scope.of_region(Region.objects.get(code="33"))
    counted_homes = recount(province, TODAY).values()
    assert sum(1 for counted in counted_homes if counted.staff) > MAX_BARS
    dashboard = dashboard_build("workforce", scope=province, year=2026, today=TODAY)
    chart = dashboard.charts[0]
    assert len(chart.categories) <= MAX_BARS
    # Bars per city of the province, each the share of its institutions' staff, lowest first.
    expected = {}
    for counted in counted_homes:
        city = Region.objects.get(code=counted.institution.region_id[:4]).name
        totals = expected.setdefault(city, [0, 0])
        totals[0] += counted.professional
        totals[1] += counted.staff
    shares = {city: professional / total for city, (professional, total) in expected.items() if total}
    assert dict(zip(chart.categories, chart.series[0].values)) == pytest.approx(shares)
    assert chart.series[0].values == sorted(chart.series[0].values)


def test_a_scope_with_no_institution_gives_empty_figures(db):
    dashboard = workforce_dashboard(scope=Scope.of_region(Region.objects.get(code="3305")), year=2026, today=TODAY)
    assert figure(dashboard, "Professional staff share").value is None
    assert dashboard.tables[0].rows == []
    assert workforce_dashboard(scope=Scope.nothing(), year=2026, today=TODAY).tables[0].rows == []


def test_many_institutions_in_one_county_chart_the_30_lowest(db):
    rng = random.Random(8)
    county = Region.objects.get(code="330102")
    for number in range(MAX_BARS + 5):
        home = InstitutionFactory(name=f"福利院{number:02d}", region=county)
        staff(home, professional=rng.randint(0, 4), other=rng.randint(1, 4))
    dashboard = workforce_dashboard(scope=Scope.of_region(county), year=2026, today=TODAY)
    chart = dashboard.charts[0]
    assert len(chart.categories) == MAX_BARS
    # The lowest shares, in the table's order.
    assert chart.categories == [row["name"] for row in dashboard.tables[0].rows][:MAX_BARS]
    assert max(chart.series[0].values) <= min(row["share"] for row in dashboard.tables[0].rows[MAX_BARS:])
