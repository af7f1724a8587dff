"""scope.py: what each user may see, asked of the Scope directly."""
import datetime

import pytest
from django.contrib.auth.models import AnonymousUser

from academy.organisation.models import Institution, Person, Post, Region, RunLevel
from academy.organisation.scope import PersonChangeRefused, Scope, person_check_manageable, scope_for
from tests.factories import InstitutionFactory, PersonFactory, make_scope_world, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_scope_world()


def scope_of(role) -> Scope:
    return scope_for(user_with_role(role))


@pytest.mark.parametrize("role", ["trainee", "assessor", "editor"])
def test_users_who_are_not_administrators_see_nothing(world, role):
    scope = scope_of(role)
    assert scope.is_empty
    assert not scope.people(Person.objects.all()).exists()
    assert not scope.institutions(Institution.objects.all()).exists()
    assert not scope.regions(Region.objects.all()).exists()
    assert not scope.contains_region_code("330102")


def test_anonymous_and_inactive_users_see_nothing(world):
    assert scope_for(AnonymousUser()).is_empty
    admin = user_with_role("province_admin")
    admin.is_active = False
    assert scope_for(admin).is_empty


@pytest.mark.parametrize("role, region_code, run_levels", [
    ("county_admin", "330102", {RunLevel.COUNTY}),
    ("city_admin", "3301", {RunLevel.CITY, RunLevel.COUNTY}),
    ("province_admin", "33", {RunLevel.PROVINCE, RunLevel.CITY, RunLevel.COUNTY}),
    ("system_admin", "", {RunLevel.PROVINCE, RunLevel.CITY, RunLevel.COUNTY}),
])
def test_each_administrator_has_the_region_and_run_levels_of_the_level(role, region_code, run_levels):
    scope = scope_of(role)
    assert (scope.region_code, set(scope.run_levels)) == (region_code, run_levels)


def test_region_codes_are_in_scope_by_prefix():
    scope = scope_of("county_admin")
    assert scope.contains_region_code("330102") and scope.contains_region_code("330102001901")
    assert not scope.contains_region_code("330105001") and not scope.contains_region_code("3301")
    assert not scope.contains_region_code("33")


@pytest.mark.parametrize("role, visible", [
    ("county_admin", {"county_home"}),
    ("city_admin", {"county_home", "city_home"}),
    ("province_admin", {"county_home", "city_home", "province_home"}),
])
def test_institutions_follow_the_run_levels_managed(world, role, visible):
    """A county sees county-run institutions only, a city its own and its counties', never the province's,
    even when they all sit in the same district."""
    scope = scope_of(role)
    expected = {getattr(world, key) for key in visible}
    assert set(scope.institutions(Institution.objects.all())) == expected
    for key in ("county_home", "city_home", "province_home"):
        assert scope.contains_institution(getattr(world, key)) == (key in visible)


def test_institutions_of_another_county_or_city_are_outside(world):
    neighbour = InstitutionFactory(region=Region.objects.get(code="330105"), run_level=RunLevel.COUNTY)
    other_city = InstitutionFactory(region=Region.objects.get(code="3302"), run_level=RunLevel.CITY)
    assert not scope_of("county_admin").contains_institution(neighbour)
    assert scope_of("city_admin").contains_institution(neighbour)
    assert not scope_of("city_admin").contains_institution(other_city)
    assert scope_of("province_admin").contains_institution(other_city)


def test_posts_in_an_institution_follow_the_institution(world):
    county_scope = scope_of("county_admin")
    posts = set(county_scope.posts(Post.objects.all()))
    assert world.county_carer.posts.get() in posts
    assert world.city_head.posts.get() not in posts and world.province_head.posts.get() not in posts
    assert world.home_director.posts.get() in posts and world.neighbour_director.posts.get() not in posts


def test_people_who_held_a_post_in_scope_stay_in_scope(world):
    """An administrator still sees who was a director last year: coverage of past years depends on it."""
    people = set(scope_of("county_admin").people(Person.objects.all()))
    assert world.former_director in people


def test_the_system_administrator_sees_everyone(world):
    everyone = set(Person.objects.all())
    assert set(scope_of("system_admin").people(Person.objects.all())) == everyone
    assert set(scope_of("province_admin").people(Person.objects.all())) == everyone


def test_the_empty_scope_is_empty(world):
    nothing = Scope.nothing()
    assert not nothing.posts(Post.objects.all()).exists()
    assert not nothing.contains_institution(world.county_home)


# Who may change a person (issue 10): every post they still hold must be in the scope.

TODAY = datetime.date(2025, 6, 30)


def post_of(person):
    return list(person.posts.select_related("institution"))


@pytest.mark.parametrize("role, key, managing", [
    ("county_admin", "home_director", []),
    ("county_admin", "county_carer", []),
    ("county_admin", "neighbour_director", ["330105"]),  # 拱墅区
    ("county_admin", "city_head", ["3301"]),  # a city-run home in the county's own district
    ("county_admin", "province_head", ["33"]),
    ("city_admin", "city_head", []),
    ("city_admin", "far_director", ["330203"]),  # 海曙区, 宁波市
    ("province_admin", "far_director", []),
    ("system_admin", "province_head", []),
])
def test_the_regions_managing_a_person_outside_the_scope_are_named(world, role, key, managing):
    assert scope_of(role).regions_managing_elsewhere(post_of(getattr(world, key)), on=TODAY) == managing


def test_ended_posts_do_not_hold_a_person_and_a_post_ending_today_is_ended(world):
    scope = scope_of("county_admin")
    post = world.far_director.posts.get()
    for end_date, managing in ((None, ["330203"]), (TODAY + datetime.timedelta(days=1), ["330203"]),
                               (TODAY, []), (TODAY - datetime.timedelta(days=1), [])):
        post.end_date = end_date
        assert scope.regions_managing_elsewhere([post], on=TODAY) == managing, end_date


def test_a_post_starting_later_already_holds_the_person(world):
    post = world.far_director.posts.get()
    post.start_date = TODAY + datetime.timedelta(days=30)
    assert scope_of("county_admin").regions_managing_elsewhere([post], on=TODAY) == ["330203"]


def test_the_refusal_names_the_managing_regions_from_the_city_down(world, settings):
    settings.LANGUAGE_CODE = "en"
    refusal = PersonChangeRefused.managed_by(["3301", "330203", "33"])
    assert "浙江省、杭州市、宁波市海曙区" in str(refusal)


def test_a_person_is_checked_against_their_posts_in_the_database(world):
    person_check_manageable(scope=scope_of("county_admin"), person=world.home_director)
    with pytest.raises(PersonChangeRefused, match="宁波市海曙区"):
        person_check_manageable(scope=scope_of("county_admin"), person=world.far_director)
    with pytest.raises(PersonChangeRefused):
        person_check_manageable(scope=Scope.nothing(), person=PersonFactory())
