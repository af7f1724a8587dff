"""The coverage pages and the untrained list: figures, drill-down, and what each administrator may see."""
import pytest
from django.urls import reverse

from academy.organisation.models import PostKind
from academy.organisation.services import person_update
from courses.years import training_year
from tests.factories import user_with_role

from .conftest import assign

pytestmark = pytest.mark.django_db

DIRECTORS = PostKind.CHILD_DIRECTOR.value


def signed_in(client, role, code=None):
    user = user_with_role(role, admin_region_code=code)
    client.force_login(user)
    return user


def coverage_url(code=None, tier=DIRECTORS):
    if code is None:
        return reverse("analytics:coverage", args=[tier])
    return reverse("analytics:coverage_region", args=[tier, code])


@pytest.mark.parametrize("role", ["trainee", "assessor", "editor"])
def test_only_administrators_open_the_coverage_pages(client, world, role):
    signed_in(client, role)
    for url in [reverse("analytics:home"), coverage_url(), reverse("analytics:people_list")]:
        assert client.get(url).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    response = client.get(coverage_url())
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_county_administrator_sees_their_county_and_its_townships(client, world):
    signed_in(client, "county_admin", "330102")
    response = client.get(coverage_url())
    assert response.status_code == 200
    page = response.content.decode()
    assert response.context["region"].code == "330102"
    total = response.context["coverage"].total
    assert (total.required, total.completed, total.in_progress, total.not_started) == (3, 1, 1, 1)
    assert "33.3% / 100%" in page
    # Each township links one level down.
    assert coverage_url("330102001") in page and coverage_url("330102003") in page
    # The joiner and leaver rule is shown.
    assert f"{training_year()}-10-31" in page and f"{training_year()}-03-31" in page
    assert "What the colours mean" in page


def test_drilling_down_to_a_village_names_its_people(client, world):
    signed_in(client, "county_admin", "330102")
    township = client.get(coverage_url("330102001")).content.decode()
    assert coverage_url(world.villages.home_a.code) in township
    village = client.get(coverage_url(world.villages.home_a.code)).content.decode()
    assert "上城已训" in village and "上城在训" in village
    assert "上城未训" not in village  # another village


def test_the_province_page_sums_the_county_plans_by_city(client, world):
    signed_in(client, "province_admin")
    response = client.get(coverage_url())
    figures = {figure.region.code: figure for figure in response.context["coverage"].children}
    assert (figures["3301"].required, figures["3301"].completed) == (5, 2)
    assert (figures["3302"].required, figures["3302"].completed) == (1, 0)
    assert response.context["coverage"].total.required == 6


@pytest.mark.parametrize(
    ("role", "code", "foreign"),
    [
        ("county_admin", "330102", "330105"),  # the neighbouring county
        ("county_admin", "330102", "3301"),  # their own city, above them
        ("county_admin", "330102", "33"),
        ("city_admin", "3301", "3302"),  # another city
        ("city_admin", "3301", "330203"),
        ("city_admin", "3301", "330203001"),
    ],
)
def test_guessed_addresses_of_other_regions_are_not_found(client, world, role, code, foreign):
    signed_in(client, role, code)
    for tier in [DIRECTORS, PostKind.CHILD_SUPERVISOR, PostKind.INSTITUTION_HEAD]:
        assert client.get(coverage_url(foreign, tier)).status_code == 404


def test_an_unknown_tier_is_not_found(client, world):
    signed_in(client, "province_admin")
    assert client.get(coverage_url(tier="carer")).status_code == 404


def test_no_figure_of_another_county_reaches_a_county_administrator(client, world):
    signed_in(client, "county_admin", "330102")
    page = client.get(coverage_url()).content.decode()
    assert "330105" not in page and "拱墅" not in page
    home = client.get(reverse("analytics:home"))
    figures = {item["tier"]: item["figure"] for item in home.context["headline"]}
    assert (figures[PostKind.CHILD_DIRECTOR].required, figures[PostKind.CHILD_DIRECTOR].completed) == (3, 1)


def test_the_home_page_shows_the_three_headline_rates(client, world):
    signed_in(client, "city_admin", "3301")
    response = client.get(reverse("analytics:home"))
    page = response.content.decode()
    assert [item["tier"] for item in response.context["headline"]] == [
        PostKind.INSTITUTION_HEAD, PostKind.CHILD_SUPERVISOR, PostKind.CHILD_DIRECTOR,
    ]
    assert 'data-tier="institution_head">50% / 100%' in page  # 1 of 2 in 杭州市
    assert 'data-tier="child_supervisor">0% / 100%' in page
    assert 'data-tier="child_director">40% / 100%' in page  # 2 of 5


def test_the_menu_offers_coverage_to_administrators_only(client, world):
    signed_in(client, "county_admin", "330102")
    assert reverse("analytics:home") in client.get(reverse("accounts:home")).content.decode()
    signed_in(client, "trainee")
    assert reverse("analytics:home") not in client.get(reverse("accounts:home")).content.decode()


def test_the_top_coverage_page_takes_few_queries(client, world, django_assert_max_num_queries):
    signed_in(client, "province_admin")
    with django_assert_max_num_queries(10):
        assert client.get(coverage_url()).status_code == 200


def list_names(response):
    return {row.person.name for row in response.context["rows"]}


def test_the_untrained_list_shows_the_county_people_not_yet_trained(client, world):
    signed_in(client, "county_admin", "330102")
    response = client.get(reverse("analytics:people_list"))
    assert list_names(response) == {"上城在训", "上城未训", "上城督导未训", "省院长未训"}
    response = client.get(reverse("analytics:people_list"), {"tier": DIRECTORS, "status": "all"})
    assert list_names(response) == {"上城已训", "上城在训", "上城未训"}


def test_a_guessed_region_filter_of_another_county_shows_nothing(client, world):
    signed_in(client, "county_admin", "330102")
    for code in ["330105", "3301", world.villages.home_a.code.replace("330102", "330105")]:
        response = client.get(reverse("analytics:people_list"), {"region": code, "status": "all"})
        assert response.status_code == 200
        assert list_names(response) == set()
        assert "拱墅" not in response.content.decode()


def test_a_city_administrator_sees_no_other_city(client, world):
    signed_in(client, "city_admin", "3301")
    response = client.get(reverse("analytics:people_list"), {"status": "all"})
    assert "海曙未训" not in list_names(response)
    assert "拱墅未训" in list_names(response)
    response = client.get(reverse("analytics:people_list"), {"region": "330203", "status": "all"})
    assert list_names(response) == set()


def test_mobile_numbers_are_masked_outside_the_scope_rule(client, world):
    signed_in(client, "city_admin", "3301")
    page = client.get(reverse("analytics:people_list"), {"tier": PostKind.INSTITUTION_HEAD}).content.decode()
    assert "省院长未训" in page
    assert "139****2222" in page and "13911112222" not in page
    page = client.get(reverse("analytics:people_list"), {"tier": DIRECTORS}).content.decode()
    assert "13912345678" in page


def test_the_list_sorts_by_a_column_and_back(client, world):
    signed_in(client, "city_admin", "3301")
    response = client.get(reverse("analytics:people_list"), {"tier": DIRECTORS, "status": "all", "sort": "-hours"})
    names = [row.person.name for row in response.context["rows"]]
    assert names[0] == "上城已训"
    assert "sort=hours" in response.context["sort_queries"]["hours"]


def test_the_list_takes_few_queries_however_many_people(client, world, django_assert_max_num_queries):
    for _ in range(60):
        assign(world.plans.home, world.villages.home_b)
    signed_in(client, "province_admin")
    with django_assert_max_num_queries(14):
        response = client.get(reverse("analytics:people_list"), {"status": "all"})
    assert len(response.context["rows"]) == 50


def test_my_learning_shows_the_trainees_obligations(client, world):
    from tests.factories import UserFactory

    person = world.people.home_missing.person
    client.force_login(UserFactory(person=person))
    page = client.get(reverse("courses:my_learning")).content.decode()
    assert "Required training this year" in page
    assert world.plans.home.title in page
    assert f"Deadline {training_year()}-12-31" in page


def region_options(response) -> list[str]:
    return [code for code, _label in response.context["form"].fields["region"].choices if code]


def test_the_region_filter_offers_the_next_level_down_from_the_region_chosen(client, world):
    """A nation has thousands of counties: the select lists the chosen region's way up and the level below it."""
    signed_in(client, "province_admin")
    top = region_options(client.get(reverse("analytics:people_list")))
    assert "3301" in top and "3302" in top and "330102" not in top
    city = region_options(client.get(reverse("analytics:people_list"), {"region": "3301"}))
    assert "3301" in city and "330102" in city and "330105" in city and "330203" not in city
    township = region_options(client.get(reverse("analytics:people_list"), {"region": "330102001"}))
    assert {"3301", "330102", "330102001", world.villages.home_a.code} <= set(township)
    assert "330105" not in township


def test_the_region_filter_never_offers_a_region_outside_the_scope(client, world):
    signed_in(client, "county_admin", "330102")
    assert not {"33", "3301"} & set(region_options(client.get(reverse("analytics:people_list"))))
    assert "330102001" in region_options(client.get(reverse("analytics:people_list")))


def test_the_list_follows_a_rename_in_its_name_order(client, world):
    signed_in(client, "county_admin", "330102")
    person_update(person=world.people.home_missing.person, actor=None, name="一上城")
    names = [row.person.name for row in client.get(reverse("analytics:people_list"), {"tier": DIRECTORS}).context["rows"]]
    assert names[0] == "一上城"
