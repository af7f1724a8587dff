"""The training dashboard: every figure, trend point and table row equals a recount, written here straight from
the rules, over random people, posts and training records assigned by the plans' own job; each administrator
sees their own region only."""
import datetime
import random
from collections import defaultdict
from decimal import Decimal
from types import SimpleNamespace

import pytest

from academy.organisation.models import Post, PostKind, Region, RunLevel
from academy.organisation.scope import Scope
from analytics import selectors
from analytics.dashboards import Unit, dashboard_build
from analytics.training import training_dashboard
from courses import plans
from courses.models import TrainingRecord, TrainingSource
from courses.years import training_year
from tests.factories import InstitutionFactory, PersonFactory, PostFactory

from .conftest import make_plan, make_village

pytestmark = pytest.mark.django_db

YEAR = training_year()
YEARS = (YEAR - 1, YEAR)
TODAY = datetime.date(YEAR, 7, 1)
TIERS = [PostKind(kind) for kind in selectors.TIERS]
# Townships of 上城区 and 拱墅区 (杭州市) and of 海曙区 (宁波市) where the random people are placed.
TOWNSHIPS = {"330102": ["330102001", "330102003"], "330105": ["330105001", "330105002"], "330203": ["330203001"]}
MIN_HOURS = Decimal(4)


def random_world(seed: int) -> SimpleNamespace:
    """Random directors in villages, supervisors in townships and heads of institutions of every run level
    in three counties of two cities, carers who never count, people who left their post years ago, and
    training records of 0 to 6 hours in each of two years; then each year's plans (county directors, city
    supervisors, the province's heads; 4 hours required) assigned by courses.plans.plan_assign."""
    rng = random.Random(seed)
    villages = {
        county: [make_village(township, number) for township in townships for number in (1, 2)]
        for county, townships in TOWNSHIPS.items()
    }
    institutions = [
        InstitutionFactory(region=Region.objects.get(code=county), run_level=rng.choice(RunLevel.values))
        for county in TOWNSHIPS for _ in range(2)
    ]
    people = []

    def hold(kind, **place):
        ended = rng.random() < 0.1  # left the post long before either year
        post = PostFactory(
            person=PersonFactory(), kind=kind, start_date=datetime.date(2020, 1, 1),
            end_date=datetime.date(2023, 6, 30) if ended else None, **place,
        )
        people.append(post.person)

    for county, townships in TOWNSHIPS.items():
        for _ in range(rng.randint(3, 9)):
            hold(PostKind.CHILD_DIRECTOR, region=rng.choice(villages[county]))
        for _ in range(rng.randint(1, 4)):
            hold(PostKind.CHILD_SUPERVISOR, region=Region.objects.get(code=rng.choice(townships)))
    for institution in institutions:
        hold(PostKind.INSTITUTION_HEAD, institution=institution)
        if rng.random() < 0.5:
            hold(PostKind.CARER, institution=institution)
    for person in people:
        for year in YEARS:
            for hours in rng.sample([0, 2, 2, 4], k=rng.randint(0, 2)):
                if hours:
                    TrainingRecord.objects.create(
                        person=person, year=year, source=TrainingSource.FACE_TO_FACE, title="培训班",
                        completed_on=datetime.date(year, rng.randint(1, 12), rng.randint(1, 28)), credit_hours=hours,
                    )
    for year in YEARS:
        organisers = [(PostKind.CHILD_DIRECTOR, county) for county in TOWNSHIPS] + [
            (PostKind.CHILD_SUPERVISOR, "3301"), (PostKind.CHILD_SUPERVISOR, "3302"), (PostKind.INSTITUTION_HEAD, "33"),
        ]
        for kind, organiser in organisers:
            plans.plan_assign(plan=make_plan(kind, organiser, year=year, min_credit_hours=MIN_HOURS))
    return SimpleNamespace(people=people, institutions=institutions)


def recount(kind: str, year: int, prefix: str) -> tuple[int, int]:
    """(required, trained) straight from the rules: everyone holding the tier's post under ``prefix`` during
    the year (taken up by 31 October, not left before 31 March), trained when the year's records add up to
    four hours."""
    hours = defaultdict(Decimal)
    for record in TrainingRecord.objects.filter(completed_on__year=year):
        hours[record.person_id] += record.credit_hours
    required = {
        post.person_id for post in Post.objects.filter(kind=kind)
        if post.region_id.startswith(prefix) and post.start_date <= datetime.date(year, 10, 31)
        and (post.end_date is None or post.end_date >= datetime.date(year, 3, 31))
    }
    return len(required), sum(1 for person_id in required if hours[person_id] >= MIN_HOURS)


def rate(required: int, trained: int) -> float | None:
    return trained / required if required else None


def expected_table(prefix_children: list[str], year=YEAR) -> dict[str, dict]:
    rows = {}
    for code in prefix_children:
        row = {}
        for tier in TIERS:
            required, trained = recount(tier, year, code)
            row.update({
                f"{tier.value}_required": required, f"{tier.value}_completed": trained,
                f"{tier.value}_rate": rate(required, trained),
            })
        rows[code] = row
    return rows


def table_by_code(dashboard) -> dict[str, dict]:
    table = dashboard.tables[0]
    keys = [column.key for column in table.columns if column.key != "region"]
    return {row["code"]: {key: row[key] for key in keys} for row in table.rows}


def approx(values):
    return [None if value is None else pytest.approx(value) for value in values]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("root", ["33", "3301", "330102"])
def test_every_figure_equals_a_recount_on_random_data(seed, root):
    random_world(seed)
    region = Region.objects.get(code=root)
    dashboard = training_dashboard(scope=Scope.of_region(region), year=YEAR, today=TODAY)

    assert dashboard.slug == "training" and dashboard.scope_label == region.name
    assert [figure.label for figure in dashboard.figures] == [str(tier.label) for tier in TIERS]
    for figure, tier in zip(dashboard.figures, TIERS):
        required, trained = recount(tier, YEAR, root)
        assert figure.value == (pytest.approx(trained / required) if required else None), tier
        assert figure.target == 1.0 and figure.unit == Unit.RATE
        assert figure.meets_target == (None if not required else trained == required)
        if required:
            assert f"{trained} of {required} trained" in figure.note

    line, bar = dashboard.charts
    assert (line.kind, bar.kind) == ("line", "bar") and line.target == bar.target == 1.0
    assert line.categories == [str(year) for year in YEARS]
    for series, tier in zip(line.series, TIERS):
        assert series.label == str(tier.label)
        assert series.values == approx([rate(*recount(tier, year, root)) for year in YEARS])

    children = list(Region.objects.filter(parent=region).order_by("code").values_list("code", "name"))
    assert bar.categories == [name for _code, name in children]
    expected = expected_table([code for code, _name in children])
    assert table_by_code(dashboard) == {
        code: {key: (pytest.approx(value) if isinstance(value, float) else value) for key, value in row.items()}
        for code, row in expected.items()
    }
    for series, tier in zip(bar.series, TIERS):
        assert series.values == approx([expected[code][f"{tier.value}_rate"] for code, _name in children])

    by_year = {row["year"]: row for row in dashboard.tables[1].rows}
    assert list(by_year) == [str(year) for year in YEARS]
    for year in YEARS:
        for tier in TIERS:
            required, trained = recount(tier, year, root)
            row = by_year[str(year)]
            assert (row[f"{tier.value}_required"], row[f"{tier.value}_completed"]) == (required, trained)


def test_the_figures_are_those_of_the_coverage_pages():
    random_world(7)
    scope = Scope.of_region(Region.objects.get(code="3301"))
    dashboard = training_dashboard(scope=scope, year=YEAR, today=TODAY)
    headline = selectors.headline_rates(scope=scope, year=YEAR, today=TODAY)
    assert [figure.value for figure in dashboard.figures] == [
        pytest.approx(coverage.rate) if coverage.required else None for _kind, coverage in headline
    ]


def test_a_city_administrator_never_counts_another_city():
    world = random_world(11)
    hangzhou = Scope.of_region(Region.objects.get(code="3301"))
    before = training_dashboard(scope=hangzhou, year=YEAR, today=TODAY)
    assert set(table_by_code(before)) == set(Region.objects.filter(parent_id="3301").values_list("code", flat=True))
    assert "3302" not in table_by_code(before) and "330203" not in table_by_code(before)

    # Everyone in 宁波市 is trained and more directors join there: 杭州市's dashboard does not move.
    ningbo_people = [person for person in world.people if person.posts.filter(region__code__startswith="3302").exists()]
    for person in ningbo_people:
        TrainingRecord.objects.create(
            person=person, year=YEAR, source=TrainingSource.FACE_TO_FACE, title="补训", completed_on=TODAY, credit_hours=8,
        )
    PostFactory(kind=PostKind.CHILD_DIRECTOR, region=make_village("330203001", 9), start_date=datetime.date(2020, 1, 1))
    for plan in plans.TrainingPlan.objects.filter(year=YEAR):
        plans.plan_assign(plan=plan)
    after = training_dashboard(scope=hangzhou, year=YEAR, today=TODAY)
    assert [figure.value for figure in after.figures] == [figure.value for figure in before.figures]
    assert after.tables[0].rows == before.tables[0].rows

    province = training_dashboard(scope=Scope.of_region(Region.objects.get(code="33")), year=YEAR, today=TODAY)
    directors = recount(PostKind.CHILD_DIRECTOR, YEAR, "33")
    assert province.figures[2].value == pytest.approx(directors[1] / directors[0])
    assert table_by_code(province)["3302"]["child_director_required"] == recount(PostKind.CHILD_DIRECTOR, YEAR, "3302")[0]


def test_a_system_administrator_sees_the_province():
    random_world(3)
    everything = training_dashboard(scope=Scope.everything(), year=YEAR, today=TODAY)
    province = training_dashboard(scope=Scope.of_region(Region.objects.get(code="33")), year=YEAR, today=TODAY)
    assert everything.scope_label == "浙江省"
    assert everything.figures == province.figures
    assert len(everything.tables[0].rows) == 11  # the cities


def test_the_trend_runs_over_every_year_with_plans_up_to_the_year_shown():
    random_world(5)
    make_plan(PostKind.CHILD_DIRECTOR, "330102", year=YEAR - 4)  # nobody assigned: a gap in the lines
    make_plan(PostKind.CHILD_DIRECTOR, "330102", year=YEAR + 1)  # after the year shown
    dashboard = training_dashboard(scope=Scope.of_region(Region.objects.get(code="330102")), year=YEAR, today=TODAY)
    line = dashboard.charts[0]
    assert line.categories == [str(YEAR - 4), str(YEAR - 1), str(YEAR)]
    assert all(series.values[0] is None for series in line.series)

    last_year = training_dashboard(scope=Scope.of_region(Region.objects.get(code="330102")), year=YEAR - 1, today=TODAY)
    assert last_year.charts[0].categories == [str(YEAR - 4), str(YEAR - 1)]
    directors = recount(PostKind.CHILD_DIRECTOR, YEAR - 1, "330102")
    assert last_year.figures[2].value == pytest.approx(directors[1] / directors[0])


def test_a_year_without_plans_has_no_rates():
    dashboard = training_dashboard(scope=Scope.of_region(Region.objects.get(code="3301")), year=YEAR, today=TODAY)
    assert [figure.value for figure in dashboard.figures] == [None, None, None]
    assert all(figure.meets_target is None for figure in dashboard.figures)
    assert "No plan requires anyone here this year." in dashboard.figures[0].note
    assert all(row["child_director_required"] == 0 and row["child_director_rate"] is None for row in dashboard.tables[0].rows)


def test_the_dashboard_is_a_handful_of_queries(django_assert_max_num_queries):
    random_world(1)
    scope = Scope.of_region(Region.objects.get(code="33"))
    with django_assert_max_num_queries(5):
        training_dashboard(scope=scope, year=YEAR, today=TODAY)


def test_the_registry_builds_it():
    dashboard = dashboard_build("training", scope=Scope.everything(), year=YEAR, today=TODAY)
    assert dashboard.slug == "training" and len(dashboard.figures) == 3
