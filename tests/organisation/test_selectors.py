"""selectors.py: the reads behind the management pages."""
import datetime

import pytest

from academy.organisation import selectors
from academy.organisation.models import Post, PostKind, Region, RunLevel
from academy.organisation.scope import Scope
from tests.factories import InstitutionFactory, PersonFactory, PostFactory, UserFactory, make_scope_world

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2025, 6, 1)


@pytest.fixture
def world():
    return make_scope_world()


def county_scope() -> Scope:
    return Scope.of_region(Region.objects.get(code="330102"))


def city_scope() -> Scope:
    return Scope.of_region(Region.objects.get(code="3301"))


def names(people) -> set[str]:
    return {person.name for person in people}


@pytest.mark.parametrize("code, label", [
    ("33", "浙江省"),
    ("3301", "杭州市"),
    ("330102", "杭州市 上城区"),
    ("330102001", "杭州市 上城区 清波街道"),
    ("330102001901", "杭州市 上城区 清波街道 清波一村"),
])
def test_a_region_path_runs_from_the_city_down(world, code, label):
    region = Region.objects.select_related("parent__parent__parent").get(code=code)
    assert selectors.region_path_label(region) == label


def test_a_region_path_reads_only_what_was_loaded(world, django_assert_num_queries):
    post = Post.objects.select_related(*selectors.POST_PLACE_RELATED).get(pk=world.home_director.posts.get().pk)
    with django_assert_num_queries(0):
        assert selectors.post_place_label(post) == "杭州市 上城区 清波街道 清波一村"


def test_a_post_in_an_institution_is_placed_by_its_name(world):
    assert selectors.post_place_label(world.county_carer.posts.get()) == world.county_home.name


def test_region_choices_reach_down_to_counties_within_scope(world):
    choices = selectors.region_choices(scope=city_scope())
    codes = [code for code, _label in choices]
    assert codes[0] == "3301" and "330102" in codes and "330102001" not in codes and "3302" not in codes
    assert selectors.region_choices(scope=county_scope()) == [("330102", "杭州市 上城区")]


def test_people_search_by_name_mobile_and_id_number(world):
    scope = city_scope()

    def search(**filters):
        return names(selectors.people_search(scope=scope, on=TODAY, **filters))

    assert search(name="主任") == {world.home_director.name, world.neighbour_director.name}
    assert search(mobile=world.neighbour_director.mobile) == {world.neighbour_director.name}
    assert search(id_number=world.home_director.id_number.lower()) == {world.home_director.name}
    assert search(id_number=world.far_director.id_number) == set()


def test_people_search_needs_one_post_matching_every_filter(world):
    """Kind, region and date must hold of the same post: a supervisor of 上城区 who used to direct a
    village in 拱墅区 is not a current director of 拱墅区."""
    person = world.home_supervisor
    PostFactory(
        person=person, kind=PostKind.CHILD_DIRECTOR, region=world.neighbour_village,
        start_date=datetime.date(2020, 1, 1), end_date=datetime.date(2021, 1, 1),
    )
    scope = city_scope()

    def found(**filters):
        return person.name in names(selectors.people_search(scope=scope, on=TODAY, **filters))

    assert not found(post_kind=PostKind.CHILD_DIRECTOR, region_code="330105")
    assert found(post_kind=PostKind.CHILD_DIRECTOR, region_code="330105", current_only=False)
    assert found(post_kind=PostKind.CHILD_SUPERVISOR, region_code="330102")


def test_listed_posts_are_those_in_scope_and_current_unless_all_are_asked_for(world):
    person = world.home_director
    PostFactory(person=person, kind=PostKind.INSTITUTION_HEAD, institution=world.city_home)
    PostFactory(
        person=person, kind=PostKind.CARER, institution=world.county_home,
        start_date=datetime.date(2019, 1, 1), end_date=datetime.date(2019, 12, 31),
    )
    scope = county_scope()
    found = selectors.people_search(scope=scope, on=TODAY, name=person.name)
    shown = selectors.people_with_posts(found, scope=scope, on=TODAY).get()
    assert [post.kind for post in shown.listed_posts] == [PostKind.CHILD_DIRECTOR]
    found = selectors.people_search(scope=scope, on=TODAY, name=person.name, current_only=False)
    shown = selectors.people_with_posts(found, scope=scope, on=TODAY, current_only=False).get()
    assert [post.kind for post in shown.listed_posts] == [PostKind.CHILD_DIRECTOR, PostKind.CARER]


def test_people_are_sorted_by_name_either_way(world):
    scope = county_scope()
    ascending = [p.name for p in selectors.people_search(scope=scope, on=TODAY)]
    descending = [p.name for p in selectors.people_search(scope=scope, on=TODAY, descending=True)]
    assert ascending == sorted(ascending) and descending == ascending[::-1]
    page = selectors.people_search(scope=scope, on=TODAY, descending=True)[1:3]
    shown = selectors.people_with_posts(page, scope=scope, on=TODAY, descending=True)
    assert [p.name for p in shown] == descending[1:3]


def test_a_page_of_people_costs_the_same_queries_whatever_its_size(world, django_assert_num_queries):
    for _ in range(30):
        PostFactory(kind=PostKind.CARER, institution=world.county_home)
    scope = county_scope()
    with django_assert_num_queries(2):  # the people, then their posts with places
        page = selectors.people_search(scope=scope, on=TODAY)[:50]
        people = list(selectors.people_with_posts(page, scope=scope, on=TODAY))
        labels = [selectors.post_place_label(post) for person in people for post in person.listed_posts]
    assert len(people) == 33 and len(labels) == 33


def test_account_status_tells_claimed_from_unclaimed(world):
    claimed = UserFactory(person=world.home_director)
    unclaimed = UserFactory(person=world.home_supervisor)
    unclaimed.set_unusable_password()
    unclaimed.save()
    scope = county_scope()
    found = selectors.people_search(scope=scope, on=TODAY)
    people = {p.pk: p for p in selectors.people_with_posts(found, scope=scope, on=TODAY)}
    assert people[claimed.person_id].account_claimed is True
    assert people[unclaimed.person_id].account_claimed is False
    assert people[world.county_carer.pk].account_claimed is None


def test_children_are_counted_in_one_query(world, django_assert_num_queries):
    region, scope = Region.objects.get(code="3301"), city_scope()
    with django_assert_num_queries(2):  # the children, then the counts
        children = selectors.region_children_counts(scope=scope, region=region, on=TODAY)
    counts = {child.region.code: (child.supervisors, child.directors) for child in children}
    assert counts["330102"] == (1, 1) and counts["330105"] == (0, 1)
    assert len(counts) == Region.objects.filter(parent=region).count()


def test_a_village_has_no_children(world):
    assert selectors.region_children_counts(scope=county_scope(), region=world.home_village, on=TODAY) == []


def test_breadcrumbs_are_linked_inside_the_scope(world):
    crumbs = selectors.region_breadcrumbs(scope=city_scope(), region=world.home_village)
    assert [(c.region.name, c.linked) for c in crumbs] == [
        ("浙江省", False), ("杭州市", True), ("上城区", True), ("清波街道", True),
    ]


def test_institution_staff_grouped_in_the_order_posts_are_declared(world):
    PostFactory(kind=PostKind.INSTITUTION_STAFF, institution=world.county_home, person=PersonFactory(name="社工甲"))
    PostFactory(kind=PostKind.INSTITUTION_HEAD, institution=world.county_home, person=PersonFactory(name="院长乙"))
    staff = selectors.institution_staff(scope=county_scope(), institution=world.county_home, on=TODAY)
    assert [(str(label), [post.person.name for post in posts]) for label, posts in staff] == [
        (str(PostKind.INSTITUTION_HEAD.label), ["院长乙"]),
        (str(PostKind.CARER.label), ["上城护理员"]),
        (str(PostKind.INSTITUTION_STAFF.label), ["社工甲"]),
    ]


def test_institutions_search_counts_current_staff(world):
    other = InstitutionFactory(region=Region.objects.get(code="330105"), run_level=RunLevel.COUNTY)
    found = {i.name: i.staff_count for i in selectors.institutions_search(scope=city_scope(), on=TODAY)}
    assert found == {world.county_home.name: 1, world.city_home.name: 1, other.name: 0}
    found = selectors.institutions_search(scope=city_scope(), on=TODAY, region_code="330105")
    assert [i.name for i in found] == [other.name]
