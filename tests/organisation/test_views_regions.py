"""The region pages: the division tree as far as the scope reaches, with post holders counted."""
import pytest
from django.urls import reverse

from academy.organisation.models import PostKind, Region, RegionLevel
from tests.factories import PersonFactory, PostFactory, make_scope_world, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def world():
    return make_scope_world()


def signed_in(client, role):
    client.force_login(user_with_role(role))


def region_pages(world):
    return [
        ("get", reverse("organisation:region_list")),
        ("get", reverse("organisation:region_detail", args=["330102"])),
        ("get", reverse("organisation:region_edit", args=["330102001"])),
        ("get", reverse("organisation:village_add", args=["330102001"])),
        ("post", reverse("organisation:region_edit", args=["330102001"])),
        ("post", reverse("organisation:village_add", args=["330102001"])),
    ]


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    for method, url in region_pages(world):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and reverse("account_login") in response["Location"]


@pytest.mark.parametrize("role", ["trainee", "assessor", "editor"])
def test_users_who_are_not_administrators_are_refused(client, world, role):
    signed_in(client, role)
    for method, url in region_pages(world):
        assert getattr(client, method)(url, {"name": "改名", "code_suffix": "002"}).status_code == 403
    assert Region.objects.get(code="330102001").name == "清波街道"
    assert not Region.objects.filter(code="330102001002").exists()


@pytest.mark.parametrize("role, root", [
    ("county_admin", "330102"), ("city_admin", "3301"), ("province_admin", "33"), ("system_admin", "33"),
])
def test_the_region_list_opens_the_root_of_the_scope(client, world, role, root):
    signed_in(client, role)
    response = client.get(reverse("organisation:region_list"))
    assert response.status_code == 302 and response["Location"] == reverse("organisation:region_detail", args=[root])


@pytest.mark.parametrize("role, inside, outside", [
    ("county_admin", ["330102", "330102001", "330102001901"], ["33", "3301", "330105", "330105001", "330105001901"]),
    ("city_admin", ["3301", "330102", "330105001901"], ["33", "3302", "330203", "330203001901"]),
    ("province_admin", ["33", "3302", "330203001901"], []),
    ("system_admin", ["33", "3302", "330203001901"], []),
])
def test_regions_out_of_scope_are_not_found(client, world, role, inside, outside):
    signed_in(client, role)
    for code in inside:
        assert client.get(reverse("organisation:region_detail", args=[code])).status_code == 200, code
    for code in outside:
        assert client.get(reverse("organisation:region_detail", args=[code])).status_code == 404, code
        assert client.get(reverse("organisation:region_edit", args=[code])).status_code == 404, code
        assert client.get(reverse("organisation:village_add", args=[code])).status_code == 404, code


def test_breadcrumbs_link_only_within_the_scope(client, world):
    signed_in(client, "county_admin")
    response = client.get(reverse("organisation:region_detail", args=["330102001901"]))
    crumbs = [(crumb.region.code, crumb.linked) for crumb in response.context["breadcrumbs"]]
    assert crumbs == [("33", False), ("3301", False), ("330102", True), ("330102001", True)]
    html = response.content.decode()
    assert 'href="/manage/regions/3301/"' not in html and 'href="/manage/regions/330102/"' in html


def test_child_regions_count_current_supervisors_and_directors(client, world):
    # A second director in the same village.
    PostFactory(kind=PostKind.CHILD_DIRECTOR, region=world.home_village)
    signed_in(client, "city_admin")
    response = client.get(reverse("organisation:region_detail", args=["3301"]))
    counts = {child.region.code: (child.supervisors, child.directors) for child in response.context["children"]}
    assert counts["330102"] == (1, 2)  # the former director no longer counts
    assert counts["330105"] == (0, 1)
    assert counts["330106"] == (0, 0)
    assert (response.context["total_supervisors"], response.context["total_directors"]) == (1, 3)


def test_a_person_holding_two_posts_in_one_region_is_counted_once(client, world):
    person = PersonFactory()
    PostFactory(person=person, kind=PostKind.CHILD_DIRECTOR, region=world.home_village)
    # Overlapping, with an end date: the database keeps one open post of a kind per person and place (issue 12).
    PostFactory(person=person, kind=PostKind.CHILD_DIRECTOR, region=world.home_village, start_date="2024-02-01",
                end_date="2099-12-31")
    signed_in(client, "county_admin")
    response = client.get(reverse("organisation:region_detail", args=["330102"]))
    counts = {child.region.code: (child.supervisors, child.directors) for child in response.context["children"]}
    assert counts["330102001"] == (1, 2)


def test_the_counts_take_few_queries(client, world, django_assert_max_num_queries):
    signed_in(client, "province_admin")
    with django_assert_max_num_queries(12):
        response = client.get(reverse("organisation:region_detail", args=["33"]))
    assert len(response.context["children"]) == 11


def test_a_township_page_names_its_post_holders(client, world):
    signed_in(client, "county_admin")
    response = client.get(reverse("organisation:region_detail", args=["330102001"]))
    assert world.home_supervisor.name in response.content.decode()
    response = client.get(reverse("organisation:region_detail", args=["330102001901"]))
    html = response.content.decode()
    assert world.home_director.name in html and world.former_director.name not in html


def test_institutions_run_here_follow_the_run_levels_managed(client, world):
    def listed():
        response = client.get(reverse("organisation:region_detail", args=["330102"]))
        return {institution.name for institution in response.context["institutions"]}

    signed_in(client, "county_admin")
    assert listed() == {world.county_home.name}
    signed_in(client, "city_admin")
    assert listed() == {world.county_home.name, world.city_home.name}


def test_an_administrator_renames_a_township(client, world):
    signed_in(client, "county_admin")
    response = client.post(reverse("organisation:region_edit", args=["330102001"]), {"name": "清波新街道"})
    assert response.status_code == 302
    assert Region.objects.get(code="330102001").name == "清波新街道"


@pytest.mark.parametrize("code", ["33", "3301", "330102"])
def test_only_townships_and_villages_are_renamed(client, world, code):
    signed_in(client, "system_admin")
    assert client.post(reverse("organisation:region_edit", args=[code]), {"name": "改名"}).status_code == 404
    assert Region.objects.get(code=code).name != "改名"


def test_an_administrator_adds_a_village(client, world):
    signed_in(client, "county_admin")
    url = reverse("organisation:village_add", args=["330102001"])
    response = client.post(url, {"code_suffix": "002", "name": "清波二村"})
    assert response.status_code == 302
    village = Region.objects.get(code="330102001002")
    assert (village.name, village.level, village.parent_id, village.is_synthetic) == (
        "清波二村", RegionLevel.VILLAGE, "330102001", False
    )


@pytest.mark.parametrize("suffix", ["901", "000", "12", "12a", ""])
def test_a_village_code_taken_or_malformed_is_refused(client, world, suffix):
    signed_in(client, "county_admin")
    url = reverse("organisation:village_add", args=["330102001"])
    response = client.post(url, {"code_suffix": suffix, "name": "新村"})
    assert response.status_code == 200 and response.context["form"].errors["code_suffix"]
    assert not Region.objects.filter(name="新村").exists()


def test_villages_are_added_only_under_townships(client, world):
    signed_in(client, "system_admin")
    assert client.get(reverse("organisation:village_add", args=["330102"])).status_code == 404
    assert client.get(reverse("organisation:village_add", args=["330102001901"])).status_code == 404
