"""Coverage figures, the status colour, the untrained list and the trainee's obligations."""
import datetime
import random
from collections import Counter

import pytest
from django.db.models import Sum

from academy.organisation.models import PostKind, Region
from academy.organisation.scope import Scope
from analytics import selectors
from courses import coverage, plans
from courses.models import CoverageCount, PlanAssignment, PlanStatus, TrainingRecord, TrainingSource
from courses.years import training_year

from .conftest import assign, make_plan, make_village

pytestmark = pytest.mark.django_db

TODAY = datetime.date(training_year(), 7, 1)


def recount(post_kind, region_code, year=None):
    """Brute force: the plan assignments of the tier and year whose region lies under ``region_code``."""
    year = year or training_year()
    statuses = Counter(
        PlanAssignment.objects.filter(
            plan__post_kind=post_kind, plan__year=year, region__code__startswith=region_code
        ).values_list("status", flat=True)
    )
    return statuses[PlanStatus.NOT_STARTED], statuses[PlanStatus.IN_PROGRESS], statuses[PlanStatus.COMPLETED]


def figures(figure):
    return figure.not_started, figure.in_progress, figure.completed


def test_a_county_figure_is_its_coverage_count_row_and_a_recount(world):
    region = Region.objects.get(code="330102")
    result = selectors.region_coverage(post_kind=PostKind.CHILD_DIRECTOR, year=training_year(), region=region, today=TODAY)
    row = CoverageCount.objects.get(plan=world.plans.home, region=region)
    assert figures(result.total) == (row.not_started, row.in_progress, row.completed) == (1, 1, 1)
    assert figures(result.total) == recount(PostKind.CHILD_DIRECTOR, "330102")
    assert result.total.required == 3
    assert result.total.percent == pytest.approx(33.3)
    by_code = {figure.region.code: figures(figure) for figure in result.children}
    assert by_code["330102001"] == (0, 1, 1)
    assert by_code["330102003"] == (1, 0, 0)
    # Every township of the county is listed, those without anyone required at zero.
    assert len(result.children) == Region.objects.filter(parent=region).count()
    assert result.plans == [world.plans.home]


def test_the_province_sums_the_county_plans(world):
    province = Region.objects.get(code="33")
    result = selectors.region_coverage(post_kind=PostKind.CHILD_DIRECTOR, year=training_year(), region=province, today=TODAY)
    assert figures(result.total) == recount(PostKind.CHILD_DIRECTOR, "33") == (3, 1, 2)
    by_code = {figure.region.code: figures(figure) for figure in result.children}
    assert by_code["3301"] == recount(PostKind.CHILD_DIRECTOR, "3301") == (2, 1, 2)
    assert by_code["3302"] == (1, 0, 0)
    assert {plan.pk for plan in result.plans} == {world.plans.home.pk, world.plans.neighbour.pk, world.plans.far.pk}

    city = selectors.region_coverage(
        post_kind=PostKind.CHILD_DIRECTOR, year=training_year(), region=Region.objects.get(code="3301"), today=TODAY
    )
    by_code = {figure.region.code: figures(figure) for figure in city.children}
    assert by_code["330102"] == (1, 1, 1) and by_code["330105"] == (1, 0, 1)
    # The other city's plan is not counted in 杭州市.
    assert world.plans.far not in city.plans


def test_a_county_sees_the_province_plan_counted_in_its_county(world):
    county = Region.objects.get(code="330102")
    result = selectors.region_coverage(post_kind=PostKind.INSTITUTION_HEAD, year=training_year(), region=county, today=TODAY)
    assert figures(result.total) == recount(PostKind.INSTITUTION_HEAD, "330102") == (1, 0, 1)
    assert result.plans == [world.plans.heads]


def test_another_year_is_history_apart(world):
    last_year = make_plan(PostKind.CHILD_DIRECTOR, "330102", year=training_year() - 1)
    assign(last_year, world.villages.home_a, PlanStatus.COMPLETED)
    coverage.rebuild(plan=last_year)
    county = Region.objects.get(code="330102")
    this_year = selectors.region_coverage(post_kind=PostKind.CHILD_DIRECTOR, year=training_year(), region=county, today=TODAY)
    before = selectors.region_coverage(post_kind=PostKind.CHILD_DIRECTOR, year=training_year() - 1, region=county, today=TODAY)
    assert figures(this_year.total) == (1, 1, 1)
    assert figures(before.total) == (0, 0, 1)


def test_the_page_reads_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    province = Region.objects.get(code="33")
    with django_assert_max_num_queries(3):
        selectors.region_coverage(post_kind=PostKind.CHILD_DIRECTOR, year=training_year(), region=province, today=TODAY)


@pytest.mark.parametrize("seed", range(5))
def test_figures_equal_a_recount_at_every_level_on_random_data(db, seed):
    """Random villages, people and statuses over two counties' plans; every region's figure is a recount."""
    rng = random.Random(seed)
    plans = [make_plan(PostKind.CHILD_DIRECTOR, "330102"), make_plan(PostKind.CHILD_DIRECTOR, "330105")]
    townships = {"330102": ["330102001", "330102003", "330102004"], "330105": ["330105001", "330105002"]}
    for plan in plans:
        villages = [make_village(code, number) for code in townships[plan.organiser_region_id] for number in (1, 2)]
        for _ in range(rng.randint(5, 25)):
            assign(plan, rng.choice(villages), rng.choice(PlanStatus.values))
        coverage.rebuild(plan=plan)
    for code in ["33", "3301", "330102", "330105", "330102001", "330105002"]:
        result = selectors.region_coverage(
            post_kind=PostKind.CHILD_DIRECTOR, year=training_year(), region=Region.objects.get(code=code), today=TODAY
        )
        assert figures(result.total) == recount(PostKind.CHILD_DIRECTOR, code)
        for child in result.children:
            assert figures(child) == recount(PostKind.CHILD_DIRECTOR, child.region.code)
    # And the rows themselves add up to the people.
    total = CoverageCount.objects.filter(region_id="33").aggregate(done=Sum("completed"))["done"]
    assert total == PlanAssignment.objects.filter(status=PlanStatus.COMPLETED).count()


def test_the_headline_gives_each_tier_for_the_scope(world):
    city = Scope.of_region(Region.objects.get(code="3301"))
    headline = dict(selectors.headline_rates(scope=city, year=training_year(), today=TODAY))
    assert list(headline) == list(selectors.TIERS)
    assert figures(headline[PostKind.CHILD_DIRECTOR]) == (2, 1, 2)
    assert figures(headline[PostKind.CHILD_SUPERVISOR]) == (1, 0, 0)
    assert figures(headline[PostKind.INSTITUTION_HEAD]) == (1, 0, 1)
    county = Scope.of_region(Region.objects.get(code="330203"))
    headline = dict(selectors.headline_rates(scope=county, year=training_year(), today=TODAY))
    assert figures(headline[PostKind.CHILD_DIRECTOR]) == (1, 0, 0)
    assert headline[PostKind.CHILD_SUPERVISOR].required == 0


@pytest.mark.parametrize(
    ("rate", "share", "status"),
    [(0.5, 0.5, "ok"), (0.9, 0.5, "ok"), (0.35, 0.5, "warn"), (0.30, 0.5, "warn"), (0.29, 0.5, "bad"), (0.0, 0.0, "ok"),
     (0.95, 1.0, "warn"), (0.5, 1.0, "bad")],
)
def test_the_status_colour_weighs_the_rate_against_the_window_gone(rate, share, status):
    assert selectors.coverage_status(rate=rate, share_elapsed=share) == status


def test_the_share_of_the_window_gone():
    opens, deadline = datetime.date(2026, 1, 1), datetime.date(2026, 12, 31)
    assert selectors.window_share_elapsed(opens_on=opens, deadline=deadline, today=datetime.date(2025, 12, 1)) == 0
    assert selectors.window_share_elapsed(opens_on=opens, deadline=deadline, today=datetime.date(2027, 1, 5)) == 1
    middle = selectors.window_share_elapsed(opens_on=opens, deadline=deadline, today=datetime.date(2026, 7, 2))
    assert 0.49 < middle < 0.51


def test_a_region_nobody_is_required_in_has_no_colour(world):
    far_township = Region.objects.get(code="330102004")
    result = selectors.region_coverage(post_kind=PostKind.CHILD_DIRECTOR, year=training_year(), region=far_township, today=TODAY)
    assert result.total.required == 0 and result.total.status == "none"


def names(assignments):
    return {assignment.person.name for assignment in assignments}


def test_the_untrained_list_keeps_to_the_scope_and_leaves_out_the_trained(world):
    county = Scope.of_region(Region.objects.get(code="330102"))
    assert names(selectors.assignments_list(scope=county, year=training_year())) == {
        "上城在训", "上城未训", "上城督导未训", "省院长未训",
    }
    assert names(selectors.assignments_list(scope=county, year=training_year(), region_code="330105")) == set()
    assert names(selectors.assignments_list(
        scope=county, year=training_year(), post_kind=PostKind.CHILD_DIRECTOR, status=selectors.ANY_STATUS
    )) == {"上城已训", "上城在训", "上城未训"}
    assert names(selectors.assignments_list(
        scope=county, year=training_year(), status=PlanStatus.IN_PROGRESS
    )) == {"上城在训"}
    assert names(selectors.assignments_list(
        scope=county, year=training_year(), region_code=world.villages.home_b.code
    )) == {"上城未训"}


def test_the_untrained_list_sorts(world):
    city = Scope.of_region(Region.objects.get(code="3301"))
    by_hours = list(selectors.assignments_list(
        scope=city, year=training_year(), post_kind=PostKind.CHILD_DIRECTOR, status=selectors.ANY_STATUS, sort="-hours"
    ))
    assert by_hours[0].person.name == "上城已训"
    by_region = [a.region_id for a in selectors.assignments_list(scope=city, year=training_year(), sort="region")]
    assert by_region == sorted(by_region)


def test_mobile_numbers_follow_the_scope_rule(world):
    """A city administrator sees the province-run home's head counted in the city, but not their mobile:
    province-run institutions are outside a city's scope (permissions.can_see_mobile)."""
    city = Scope.of_region(Region.objects.get(code="3301"))
    visible = {
        a.person.name: a.mobile_visible
        for a in selectors.assignments_list(scope=city, year=training_year(), status=selectors.ANY_STATUS)
    }
    assert visible["省院长未训"] is False
    assert visible["区院长已训"] is True
    assert visible["上城未训"] is True
    province = Scope.of_region(Region.objects.get(code="33"))
    assert all(a.mobile_visible for a in selectors.assignments_list(scope=province, year=training_year()))


def test_a_trainee_sees_their_obligations_and_progress(world, django_assert_max_num_queries):
    plan = world.plans.home
    plan.min_credit_hours = 10
    plan.requires_face_to_face = True
    plan.save()
    person = world.people.home_going.person
    year = training_year()
    TrainingRecord.objects.create(
        person=person, year=year, source=TrainingSource.FACE_TO_FACE, title="培训班", completed_on=datetime.date(year, 5, 1),
        credit_hours=4,
    )
    TrainingRecord.objects.create(  # before the window: not counted
        person=person, year=year - 1, source=TrainingSource.FACE_TO_FACE, title="去年", completed_on=datetime.date(year - 1, 5, 1),
        credit_hours=6,
    )
    with django_assert_max_num_queries(3):
        obligations = plans.plan_obligations(person=person, today=datetime.date(year, 6, 1), year=year)
    [obligation] = obligations
    assert obligation.plan == plan
    assert obligation.credit_hours == 4
    assert obligation.min_credit_hours == 10
    assert obligation.face_to_face_done is True
    assert obligation.overdue is False
    late = plans.plan_obligations(person=person, today=datetime.date(year + 1, 1, 2), year=year)
    assert late[0].overdue is True
    assert plans.plan_obligations(person=world.people.far_missing.person, today=TODAY, year=year - 1) == []


def test_the_joiner_and_leaver_rule_is_in_words(world):
    rule = plans.plan_rule_text(world.plans.home)
    year = training_year()
    assert f"{year}-10-31" in rule and f"{year}-03-31" in rule


# --- Keyset pages of the list ---------------------------------------------------------------------------


def walk(filters, sort, size):
    """Every page from the first by the "next" links, then back from the last by the "previous" links."""
    forward, page = [], selectors.assignments_page(sort=sort, size=size, **filters)
    forward.append([row.pk for row in page.rows])
    while page.after is not None:
        page = selectors.assignments_page(sort=sort, size=size, after=page.after, **filters)
        forward.append([row.pk for row in page.rows])
    backward = [forward[-1]]
    while page.before is not None:
        page = selectors.assignments_page(sort=sort, size=size, before=page.before, **filters)
        backward.insert(0, [row.pk for row in page.rows])
    return forward, backward


@pytest.mark.parametrize("sort", sorted(selectors.ASSIGNMENT_ORDERINGS))
def test_keyset_pages_follow_the_sort_without_gaps_or_repeats(world, sort):
    """Names repeat (ties on the first key are broken by the id), hours and statuses vary."""
    statuses = [PlanStatus.NOT_STARTED, PlanStatus.IN_PROGRESS, PlanStatus.COMPLETED]
    for number in range(17):
        assign(world.plans.home, world.villages.home_b if number % 2 else world.villages.home_a,
               statuses[number % 3], name=f"张{number % 4}", hours=number % 5)
    filters = {"scope": Scope.of_region(Region.objects.get(code="3301")), "year": training_year(),
               "status": selectors.ANY_STATUS}
    whole = [assignment.pk for assignment in selectors.assignments_list(sort=sort, **filters)]
    forward, backward = walk(filters, sort, size=4)
    assert [pk for page in forward for pk in page] == whole
    assert all(len(page) == 4 for page in forward[:-1])
    assert backward == forward


def test_a_keyset_page_keeps_to_the_scope_and_the_mobile_rule(world):
    filters = {"scope": Scope.of_region(Region.objects.get(code="330102")), "year": training_year(),
               "status": selectors.ANY_STATUS}
    forward, _backward = walk(filters, "name", size=2)
    names = {PlanAssignment.objects.get(pk=pk).person.name for page in forward for pk in page}
    assert names == {"上城已训", "上城在训", "上城未训", "上城督导未训", "省院长未训", "区院长已训"}
    # A page asked to start from a row outside the list (another county's, guessed) starts at the top.
    foreign = world.people.neighbour_missing.pk
    assert [row.pk for row in selectors.assignments_page(sort="name", size=2, after=foreign, **filters).rows] == forward[0]
    rows = selectors.assignments_page(sort="name", size=10, **filters).rows
    listed = {row.person.name: row.mobile_visible for row in selectors.assignments_list(**filters)}
    assert {row.person.name: row.mobile_visible for row in rows} == listed
    assert listed["省院长未训"] is False and listed["上城未训"] is True


def test_rows_added_between_pages_are_neither_repeated_nor_skipped_before_the_key(world):
    filters = {"scope": Scope.of_region(Region.objects.get(code="330102")), "year": training_year(),
               "status": selectors.ANY_STATUS}
    first = selectors.assignments_page(size=3, **filters)
    assign(world.plans.home, world.villages.home_a, name="一")  # sorts before every name on page 1
    assign(world.plans.home, world.villages.home_a, name="龘")  # sorts after every name
    second = selectors.assignments_page(size=3, after=first.after, **filters)
    seen = [row.pk for row in first.rows] + [row.pk for row in second.rows]
    assert len(set(seen)) == len(seen)
    last_seen = PlanAssignment.objects.get(pk=first.after).person.name
    assert all(row.person.name >= last_seen for row in second.rows)


@pytest.mark.parametrize("status", [selectors.NOT_COMPLETED, selectors.ANY_STATUS, *PlanStatus.values])
@pytest.mark.parametrize("code,post_kind,region", [
    ("330102", "", ""), ("330102", PostKind.CHILD_DIRECTOR, "330102001"), ("3301", "", "330105"),
    ("3301", PostKind.INSTITUTION_HEAD, ""), ("33", "", ""), (None, "", ""), (None, PostKind.CHILD_DIRECTOR, "3302"),
])
def test_the_list_count_is_the_coverage_figure_and_the_rows(world, status, code, post_kind, region):
    scope = Scope.of_region(Region.objects.get(code=code)) if code else Scope.everything()
    arguments = {"scope": scope, "year": training_year(), "post_kind": post_kind, "region_code": region, "status": status}
    assert selectors.assignments_count(**arguments) == selectors.assignments_list(**arguments).count()


def test_the_list_count_of_a_region_outside_the_scope_is_nothing(world):
    county = Scope.of_region(Region.objects.get(code="330102"))
    assert selectors.assignments_count(scope=county, year=training_year(), region_code="330105") == 0
    assert selectors.assignments_count(scope=Scope.nothing(), year=training_year()) == 0
