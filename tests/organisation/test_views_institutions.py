"""The institution pages: each administrator manages the institutions its level runs in its region."""
import pytest
from django.urls import reverse

from academy.organisation.models import Institution, InstitutionKind, PostKind, Region, RunLevel
from tests.factories import InstitutionFactory, PostFactory, make_scope_world, user_with_role

pytestmark = pytest.mark.django_db

ADMIN_ROLES = ["county_admin", "city_admin", "province_admin", "system_admin"]
VISIBLE = {
    "county_admin": {"county_home"},
    "city_admin": {"county_home", "city_home"},
    "province_admin": {"county_home", "city_home", "province_home"},
    "system_admin": {"county_home", "city_home", "province_home"},
}


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def world():
    return make_scope_world()


def signed_in(client, role):
    client.force_login(user_with_role(role))


def institution_pages(institution):
    return [
        reverse("organisation:institution_list"),
        reverse("organisation:institution_add"),
        reverse("organisation:institution_detail", args=[institution.pk]),
        reverse("organisation:institution_edit", args=[institution.pk]),
    ]


def listed_names(response) -> set[str]:
    return {institution.name for institution, _label in response.context["rows"]}


def form_data(**changes):
    data = {
        "name": "西湖区未成年人救助保护中心", "code": "MP330106", "kind": InstitutionKind.MINOR_PROTECTION,
        "run_level": RunLevel.COUNTY, "region": "330102",
    }
    return {**data, **changes}


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    for url in institution_pages(world.county_home):
        response = client.get(url)
        assert response.status_code == 302 and reverse("account_login") in response["Location"]


@pytest.mark.parametrize("role", ["trainee", "assessor", "editor"])
def test_users_who_are_not_administrators_are_refused(client, world, role):
    signed_in(client, role)
    for url in institution_pages(world.county_home):
        assert client.get(url).status_code == 403
    assert client.post(reverse("organisation:institution_add"), form_data()).status_code == 403
    assert not Institution.objects.filter(code="MP330106").exists()


@pytest.mark.parametrize("role", ADMIN_ROLES)
def test_administrators_open_every_page(client, world, role):
    signed_in(client, role)
    for url in institution_pages(world.county_home):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("role", ADMIN_ROLES)
def test_the_list_shows_the_institutions_run_at_the_levels_managed(client, world, role):
    signed_in(client, role)
    response = client.get(reverse("organisation:institution_list"))
    assert listed_names(response) == {getattr(world, key).name for key in VISIBLE[role]}


@pytest.mark.parametrize("role", ["county_admin", "city_admin"])
def test_institutions_out_of_scope_are_not_found(client, world, role):
    signed_in(client, role)
    for key in {"county_home", "city_home", "province_home"} - VISIBLE[role]:
        institution = getattr(world, key)
        for url in institution_pages(institution)[2:]:
            assert client.get(url).status_code == 404
        response = client.post(reverse("organisation:institution_edit", args=[institution.pk]), form_data())
        assert response.status_code == 404
        institution.refresh_from_db()
        assert institution.code != "MP330106"


def test_a_county_administrator_does_not_see_another_countys_institution(client, world):
    other = InstitutionFactory(name="拱墅区儿童福利院", region=Region.objects.get(code="330105"))
    signed_in(client, "county_admin")
    assert other.name not in listed_names(client.get(reverse("organisation:institution_list")))
    assert client.get(reverse("organisation:institution_detail", args=[other.pk])).status_code == 404


def test_filter_by_kind_and_region(client, world):
    centre = InstitutionFactory(
        name="拱墅区未保中心", kind=InstitutionKind.MINOR_PROTECTION, region=Region.objects.get(code="330105")
    )
    signed_in(client, "city_admin")
    by_kind = client.get(reverse("organisation:institution_list"), {"kind": InstitutionKind.MINOR_PROTECTION})
    assert listed_names(by_kind) == {centre.name}
    by_region = client.get(reverse("organisation:institution_list"), {"region": "330102"})
    assert listed_names(by_region) == {world.county_home.name, world.city_home.name}


def test_a_region_outside_the_scope_cannot_be_a_filter(client, world):
    signed_in(client, "county_admin")
    response = client.get(reverse("organisation:institution_list"), {"region": "3301"})
    assert listed_names(response) == set() and response.context["form"].errors["region"]


def test_the_page_lists_current_staff_by_post(client, world):
    PostFactory(kind=PostKind.INSTITUTION_HEAD, institution=world.county_home, person__name="院长甲")
    PostFactory(
        kind=PostKind.CARER, institution=world.county_home, person__name="离职护理员",
        end_date="2024-06-30",
    )
    signed_in(client, "county_admin")
    response = client.get(reverse("organisation:institution_detail", args=[world.county_home.pk]))
    staff = {label: [post.person.name for post in posts] for label, posts in response.context["staff"]}
    assert staff == {"Institution head": ["院长甲"], "Carer of orphaned and disabled children": ["上城护理员"]}
    assert [label for label, _posts in response.context["staff"]][0] == "Institution head"


def test_run_levels_and_regions_offered_are_those_managed(client, world):
    signed_in(client, "county_admin")
    form = client.get(reverse("organisation:institution_add")).context["form"]
    assert [value for value, _label in form.fields["run_level"].choices] == [RunLevel.COUNTY]
    assert {region.code for region in form.fields["region"].queryset} == {"330102"}
    signed_in(client, "city_admin")
    form = client.get(reverse("organisation:institution_add")).context["form"]
    assert [value for value, _label in form.fields["run_level"].choices] == [RunLevel.CITY, RunLevel.COUNTY]
    assert "330105" in {region.code for region in form.fields["region"].queryset}


def test_an_administrator_adds_an_institution_in_scope(client, world):
    signed_in(client, "county_admin")
    response = client.post(reverse("organisation:institution_add"), form_data())
    institution = Institution.objects.get(code="MP330106")
    assert response.status_code == 302 and response["Location"] == institution.get_absolute_url()
    assert (institution.run_level, institution.region_id) == (RunLevel.COUNTY, "330102")


@pytest.mark.parametrize("changes, field", [
    ({"run_level": RunLevel.CITY}, "run_level"),
    ({"region": "330105"}, "region"),
    ({"region": "3301"}, "region"),
    ({"code": "DUPLICATE"}, "code"),
])
def test_an_institution_outside_the_scope_is_refused(client, world, changes, field):
    InstitutionFactory(code="DUPLICATE", region=Region.objects.get(code="330203"))
    signed_in(client, "county_admin")
    response = client.post(reverse("organisation:institution_add"), form_data(**changes))
    assert response.status_code == 200 and response.context["form"].errors[field]
    assert not Institution.objects.filter(name=form_data()["name"]).exists()


def test_moving_an_institution_moves_its_posts(client, world):
    signed_in(client, "city_admin")
    data = form_data(
        name=world.county_home.name, code=world.county_home.code, kind=world.county_home.kind, region="330105"
    )
    response = client.post(reverse("organisation:institution_edit", args=[world.county_home.pk]), data)
    assert response.status_code == 302
    post = world.county_carer.posts.get()
    assert post.region_id == "330105"
