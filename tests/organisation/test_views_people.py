"""The people pages: who may open them, what each administrator sees, and the edits they make."""
import csv
import datetime
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from academy.accounts.services import account_for_person
from academy.audit.models import AuditAction, AuditEntry
from academy.organisation.models import Person, Post, PostKind, Region
from tests.factories import (
    InstitutionFactory, PersonFactory, PostFactory, UserFactory, make_id_number, make_scope_world, user_with_role,
)

pytestmark = pytest.mark.django_db

ADMIN_ROLES = ["county_admin", "city_admin", "province_admin", "system_admin"]
NON_ADMIN_ROLES = ["trainee", "assessor", "editor"]

# Who each administrator sees among make_scope_world()'s current post holders.
VISIBLE = {
    "county_admin": {"home_director", "home_supervisor", "county_carer"},
    "city_admin": {"home_director", "home_supervisor", "county_carer", "neighbour_director", "city_head"},
    "province_admin": {
        "home_director", "home_supervisor", "county_carer", "neighbour_director", "city_head", "province_head",
        "far_director",
    },
}
VISIBLE["system_admin"] = VISIBLE["province_admin"]
EVERYONE = VISIBLE["province_admin"]


@pytest.fixture(autouse=True)
def _english(settings):
    """Messages are checked in English, whatever the catalogs hold."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def world():
    return make_scope_world()


def signed_in(client, role):
    user = user_with_role(role)
    client.force_login(user)
    return user


def person_pages(world):
    """Every people page as (method, url) for the home director and their post."""
    person = world.home_director
    post = person.posts.get()
    return [
        ("get", reverse("organisation:person_list")),
        ("get", reverse("organisation:person_export", args=["csv"])),
        ("get", reverse("organisation:person_export", args=["xlsx"])),
        ("get", reverse("organisation:person_detail", args=[person.pk])),
        ("get", reverse("organisation:person_edit", args=[person.pk])),
        ("get", reverse("organisation:post_add", args=[person.pk])),
        ("post", reverse("organisation:post_close", args=[post.pk])),
    ]


def listed_names(response) -> set[str]:
    return {row.person.name for row in response.context["rows"]}


def names_of(world, keys) -> set[str]:
    return {getattr(world, key).name for key in keys}


# Who may open the pages at all.

def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    for method, url in person_pages(world):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and reverse("account_login") in response["Location"], url


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_users_who_are_not_administrators_are_refused(client, world, role):
    signed_in(client, role)
    for method, url in person_pages(world):
        assert getattr(client, method)(url).status_code == 403, url


@pytest.mark.parametrize("role", ADMIN_ROLES)
def test_administrators_open_every_page_for_a_person_in_scope(client, world, role):
    signed_in(client, role)
    for method, url in person_pages(world):
        response = getattr(client, method)(url, {"end_date": "2025-01-01"} if method == "post" else None)
        assert response.status_code in (200, 302), url


# What each administrator sees.

@pytest.mark.parametrize("role", ADMIN_ROLES)
def test_the_list_shows_exactly_the_people_in_scope(client, world, role):
    signed_in(client, role)
    response = client.get(reverse("organisation:person_list"))
    assert listed_names(response) == names_of(world, VISIBLE[role])


@pytest.mark.parametrize("role", ["county_admin", "city_admin"])
def test_people_out_of_scope_are_not_found_by_guessing_their_address(client, world, role):
    signed_in(client, role)
    for key in EVERYONE - VISIBLE[role]:
        person = getattr(world, key)
        post = person.posts.get()
        assert client.get(reverse("organisation:person_detail", args=[person.pk])).status_code == 404
        assert client.get(reverse("organisation:person_edit", args=[person.pk])).status_code == 404
        assert client.post(reverse("organisation:person_edit", args=[person.pk]), {"name": "x"}).status_code == 404
        assert client.get(reverse("organisation:post_add", args=[person.pk])).status_code == 404
        add = {"kind": PostKind.CHILD_SUPERVISOR, "region": "330102001", "start_date": "2025-01-01"}
        assert client.post(reverse("organisation:post_add", args=[person.pk]), add).status_code == 404
        assert person.posts.count() == 1
        close = client.post(reverse("organisation:post_close", args=[post.pk]), {"end_date": "2025-01-01"})
        assert close.status_code == 404
        post.refresh_from_db()
        assert post.end_date is None


def test_a_county_administrator_finds_nobody_of_another_county_by_name(client, world):
    signed_in(client, "county_admin")
    response = client.post(reverse("organisation:person_list"), {"q": "主任"}, follow=True)
    assert listed_names(response) == {world.home_director.name}
    response = client.post(reverse("organisation:person_list"), {"q": world.neighbour_director.name}, follow=True)
    assert listed_names(response) == set()


def test_a_county_administrator_finds_nobody_of_another_county_by_id_number(client, world):
    signed_in(client, "county_admin")
    response = client.post(reverse("organisation:person_list"), {"q": world.far_director.id_number})
    assert response.status_code == 200 and listed_names(response) == set()
    response = client.post(reverse("organisation:person_list"), {"q": world.home_director.id_number})
    assert listed_names(response) == {world.home_director.name}


def test_a_county_administrator_finds_nobody_of_another_county_by_mobile(client, world):
    signed_in(client, "county_admin")
    response = client.post(reverse("organisation:person_list"), {"q": world.neighbour_director.mobile}, follow=True)
    assert listed_names(response) == set()
    response = client.post(reverse("organisation:person_list"), {"q": world.home_director.mobile}, follow=True)
    assert listed_names(response) == {world.home_director.name}


def test_a_region_outside_the_scope_cannot_be_chosen_as_a_filter(client, world):
    signed_in(client, "county_admin")
    response = client.get(reverse("organisation:person_list"), {"region": "330105"})
    assert listed_names(response) == set()
    assert response.context["form"].errors["region"]
    region_codes = [code for code, _label in response.context["form"].fields["region"].choices]
    assert region_codes == ["", "330102"]


def test_a_city_administrator_chooses_among_its_counties(client, world):
    signed_in(client, "city_admin")
    response = client.get(reverse("organisation:person_list"), {"region": "330105"})
    assert listed_names(response) == {world.neighbour_director.name}
    labels = dict(response.context["form"].fields["region"].choices)
    assert labels["330102"] == "杭州市 上城区" and "330203" not in labels


# Searching and filtering.

def test_an_id_number_search_is_answered_without_the_number_in_any_address(client, world):
    signed_in(client, "province_admin")
    number = world.far_director.id_number
    response = client.post(reverse("organisation:person_list"), {"q": number})
    assert response.status_code == 200  # answered on the POST, not redirected to an address holding it
    assert listed_names(response) == {world.far_director.name}
    html = response.content.decode()
    assert f"={number}" not in html  # no link (sorting, pages, export) carries it


def test_an_id_number_in_the_address_is_refused(client, world):
    signed_in(client, "province_admin")
    response = client.get(reverse("organisation:person_list"), {"q": world.far_director.id_number})
    assert listed_names(response) == set()
    assert "search button" in str(response.context["form"].errors["q"])


def test_a_mobile_search_is_answered_without_the_number_in_any_address(client, world):
    signed_in(client, "province_admin")
    number = world.far_director.mobile
    response = client.post(
        reverse("organisation:person_list"), {"q": f"+86 {number}", "kind": PostKind.CHILD_DIRECTOR}
    )
    assert response.status_code == 200  # answered on the POST, not redirected to ?q=139…
    assert listed_names(response) == {world.far_director.name}
    html = response.content.decode()
    assert "q=" not in html and f"={number}" not in html  # no link (sorting, pages, export) carries it
    assert response.context["form"].cleaned_data["kind"] == PostKind.CHILD_DIRECTOR  # the filters still apply


def test_a_mobile_number_in_the_address_is_refused(client, world):
    signed_in(client, "province_admin")
    response = client.get(reverse("organisation:person_list"), {"q": world.far_director.mobile})
    assert listed_names(response) == set()
    assert "search button" in str(response.context["form"].errors["q"])


def test_a_name_search_is_redirected_to_a_shareable_address(client, world):
    signed_in(client, "province_admin")
    response = client.post(reverse("organisation:person_list"), {"q": "上城", "kind": PostKind.CHILD_DIRECTOR})
    assert response.status_code == 302
    response = client.get(response["Location"])
    assert listed_names(response) == {world.home_director.name}


def test_an_invalid_id_number_search_says_why(client, world):
    signed_in(client, "province_admin")
    number = world.far_director.id_number
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    response = client.post(reverse("organisation:person_list"), {"q": wrong})
    assert "check character" in str(response.context["form"].errors["q"])


def test_ended_posts_are_listed_only_when_asked_for(client, world):
    signed_in(client, "county_admin")
    current = listed_names(client.get(reverse("organisation:person_list")))
    everyone = listed_names(client.get(reverse("organisation:person_list"), {"held": "all"}))
    assert world.former_director.name not in current
    assert everyone == current | {world.former_director.name}


def test_filter_by_post_kind(client, world):
    signed_in(client, "city_admin")
    response = client.get(reverse("organisation:person_list"), {"kind": PostKind.INSTITUTION_HEAD})
    assert listed_names(response) == {world.city_head.name}


def test_rows_show_posts_with_their_place_the_masked_id_and_the_account(client, world):
    UserFactory(person=world.home_director, phone=world.home_director.mobile)  # claimed: it has a password
    signed_in(client, "county_admin")
    html = client.get(reverse("organisation:person_list")).content.decode()
    assert "杭州市 上城区 清波街道 清波一村" in html
    assert world.county_home.name in html
    assert world.home_director.id_number_masked in html and world.home_director.id_number not in html
    assert world.home_director.mobile in html  # administrators phone the people of their scope
    assert "Claimed" in html


def test_fifty_people_a_page_sorted_by_name(client):
    township = Region.objects.get(code="330102001")
    for number in range(55):
        PostFactory(person=PersonFactory(name=f"王{number:02d}"), kind=PostKind.CHILD_SUPERVISOR, region=township)
    signed_in(client, "county_admin")
    first = client.get(reverse("organisation:person_list"))
    assert len(first.context["rows"]) == 50 and first.context["rows"][0].person.name == "王00"
    second = client.get(reverse("organisation:person_list"), {"page": 2})
    assert [row.person.name for row in second.context["rows"]] == [f"王{n}" for n in range(50, 55)]
    reverse_sorted = client.get(reverse("organisation:person_list"), {"sort": "-name"})
    assert reverse_sorted.context["rows"][0].person.name == "王54"


def test_the_list_needs_few_queries_however_many_people(client, django_assert_max_num_queries):
    townships = Region.objects.filter(code__startswith="330102", level="township")[:3]
    institution = InstitutionFactory()
    for number in range(66):
        person = PersonFactory()
        PostFactory(person=person, kind=PostKind.CHILD_SUPERVISOR, region=townships[number % 3])
        if number % 2:
            PostFactory(person=person, kind=PostKind.CARER, institution=institution)
        if number % 5 == 0:
            UserFactory(person=person)
    signed_in(client, "county_admin")
    with django_assert_max_num_queries(10):
        response = client.get(reverse("organisation:person_list"), {"held": "all"})
    assert len(response.context["rows"]) == 50
    with django_assert_max_num_queries(10):
        client.get(reverse("organisation:person_list"), {"page": 2, "kind": PostKind.CARER, "region": "330102"})


# Export.

def read_csv(response, *, as_excel_shows=True) -> list[list[str]]:
    """The rows; an ID number written ="330102..." (so that Excel keeps it as text) read as Excel shows it."""
    content = b"".join(response.streaming_content).decode("utf-8")
    assert content.startswith("\ufeff")  # so that Excel reads the Chinese correctly
    rows = list(csv.reader(io.StringIO(content[1:])))
    if not as_excel_shows:
        return rows
    return [[re.sub(r'^="(\d+)"$', r"\1", cell) for cell in row] for row in rows]


def read_xlsx(response) -> list[list[str]]:
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
    return [[cell for cell in row] for row in sheet.iter_rows(values_only=True)]


@pytest.mark.parametrize("role", ADMIN_ROLES)
@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_export_holds_exactly_the_people_in_scope(client, world, role, file_format):
    signed_in(client, role)
    response = client.get(reverse("organisation:person_export", args=[file_format]))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    rows = read_csv(response) if file_format == "csv" else read_xlsx(response)
    assert {row[0] for row in rows[1:]} == names_of(world, VISIBLE[role])


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_export_masks_id_numbers_except_for_system_administrators(client, world, file_format):
    read = read_csv if file_format == "csv" else read_xlsx
    director = world.home_director
    signed_in(client, "province_admin")
    rows = read(client.get(reverse("organisation:person_export", args=[file_format])))
    row = next(row for row in rows if row[0] == director.name)
    assert row[2] == director.id_number_masked and row[3] == director.mobile
    signed_in(client, "system_admin")
    rows = read(client.get(reverse("organisation:person_export", args=[file_format])))
    row = next(row for row in rows if row[0] == director.name)
    assert row[2] == director.id_number
    assert "杭州市 上城区 清波街道 清波一村" in row[5]


def test_the_export_follows_the_filters(client, world):
    signed_in(client, "city_admin")
    response = client.get(reverse("organisation:person_export", args=["csv"]), {"region": "330105"})
    assert {row[0] for row in read_csv(response)[1:]} == {world.neighbour_director.name}


def test_the_export_refuses_a_region_outside_the_scope(client, world):
    signed_in(client, "county_admin")
    response = client.get(reverse("organisation:person_export", args=["csv"]), {"region": "330105"})
    assert response.status_code == 400


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_export_keeps_formulas_out_of_spreadsheets(client, world, file_format):
    Person.objects.filter(pk=world.home_director.pk).update(name="=HYPERLINK(1)")
    signed_in(client, "county_admin")
    response = client.get(reverse("organisation:person_export", args=[file_format]))
    rows = read_csv(response, as_excel_shows=False) if file_format == "csv" else read_xlsx(response)
    assert "'=HYPERLINK(1)" in {row[0] for row in rows}


def test_the_csv_export_keeps_id_numbers_as_text(client, world):
    director = world.home_director
    # A number of 18 digits (no check character X), which Excel would turn into 3.30102E+17.
    director.set_id_number(next(number for serial in range(20) if (number := make_id_number("330102", serial=serial)).isdigit()))
    director.save()
    signed_in(client, "system_admin")
    rows = read_csv(client.get(reverse("organisation:person_export", args=["csv"])), as_excel_shows=False)
    row = next(row for row in rows if row[0] == director.name)
    assert row[2] == f'="{director.id_number}"'  # not 3.30102E+17, its last digits lost


def test_the_xlsx_export_has_a_bold_frozen_header_and_column_widths(client, world):
    signed_in(client, "county_admin")
    response = client.get(reverse("organisation:person_export", args=["xlsx"]))
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert all(cell.font.b for cell in sheet[1]) and sheet.freeze_panes == "A2"
    assert all(sheet.column_dimensions[letter].width >= 8 for letter in "ABCDEFG")


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_every_export_is_recorded_in_the_audit_trail(client, world, file_format):
    user = signed_in(client, "city_admin")
    client.get(reverse("organisation:person_export", args=[file_format]))
    entry = AuditEntry.objects.get(action=AuditAction.PERSONAL_DATA_EXPORTED)
    assert entry.actor == user and entry.region_code == "3301"
    assert entry.detail == {"export": "people", "rows": len(VISIBLE["city_admin"]), "format": file_format}


def test_an_unknown_export_format_is_not_found(client, world):
    signed_in(client, "province_admin")
    assert client.get(reverse("organisation:person_export", args=["pdf"])).status_code == 404


# The person's page.

def test_administrators_see_the_id_number_masked(client, world):
    signed_in(client, "county_admin")
    html = client.get(reverse("organisation:person_detail", args=[world.home_director.pk])).content.decode()
    assert world.home_director.id_number_masked in html and world.home_director.id_number not in html
    assert world.home_director.mobile in html


def test_the_mobile_number_is_masked_for_whoever_may_not_see_it(client, world, monkeypatch):
    monkeypatch.setattr("academy.organisation.views.people.can_see_mobile", lambda user, person: False)
    signed_in(client, "county_admin")
    html = client.get(reverse("organisation:person_detail", args=[world.home_director.pk])).content.decode()
    assert "139****0001" in html and world.home_director.mobile not in html


def test_system_administrators_see_the_full_id_number(client, world):
    signed_in(client, "system_admin")
    html = client.get(reverse("organisation:person_detail", args=[world.home_director.pk])).content.decode()
    assert world.home_director.id_number in html


def test_the_page_lists_posts_in_scope_only(client, world):
    # The home director also heads the city-run home, which a county administrator does not manage.
    PostFactory(person=world.home_director, kind=PostKind.INSTITUTION_HEAD, institution=world.city_home)
    signed_in(client, "county_admin")
    html = client.get(reverse("organisation:person_detail", args=[world.home_director.pk])).content.decode()
    assert "清波一村" in html and world.city_home.name not in html


# Editing.

def edit_data(person, **changes):
    data = {"name": person.name, "sex": person.sex, "mobile": person.mobile, "professional_category": "none"}
    return {**data, **changes}


def test_an_administrator_edits_a_person(client, world):
    signed_in(client, "county_admin")
    person = world.home_director
    response = client.post(
        reverse("organisation:person_edit", args=[person.pk]),
        edit_data(person, name="上城新名", mobile="+86 139 0000 9999", professional_category="social_worker"),
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.name, person.mobile, person.professional_category) == ("上城新名", "13900009999", "social_worker")


def test_a_mobile_change_moves_the_sign_in_number_of_an_unclaimed_account_with_it(client, world):
    account = account_for_person(person=world.home_director)  # on the roster, never used
    signed_in(client, "county_admin")
    client.post(
        reverse("organisation:person_edit", args=[world.home_director.pk]),
        edit_data(world.home_director, mobile="13900009999"),
    )
    account.refresh_from_db()
    assert account.phone == "13900009999"


def test_a_mobile_change_of_a_claimed_account_waits_for_its_holder(client, world):
    account = UserFactory(person=world.home_director, phone=world.home_director.mobile)  # it has a password
    signed_in(client, "county_admin")
    response = client.post(
        reverse("organisation:person_edit", args=[world.home_director.pk]),
        edit_data(world.home_director, mobile="13900009999"),
        follow=True,
    )
    assert "until they confirm the new one" in response.content.decode()
    account.refresh_from_db()
    world.home_director.refresh_from_db()
    assert account.phone == world.home_director.mobile == "13900000001"
    assert account.mobile_change.phone == "13900009999"


def test_a_mobile_number_signing_in_someone_else_is_refused(client, world):
    UserFactory(phone="13900009999")
    signed_in(client, "county_admin")
    response = client.post(
        reverse("organisation:person_edit", args=[world.home_director.pk]),
        edit_data(world.home_director, mobile="13900009999"),
    )
    assert response.status_code == 200 and response.context["form"].errors["mobile"]
    world.home_director.refresh_from_db()
    assert world.home_director.mobile == "13900000001"


def test_a_malformed_mobile_number_is_refused(client, world):
    signed_in(client, "county_admin")
    response = client.post(
        reverse("organisation:person_edit", args=[world.home_director.pk]),
        edit_data(world.home_director, mobile="2390000"),
    )
    assert response.context["form"].errors["mobile"]


def test_tier_administrators_cannot_change_an_id_number(client, world):
    signed_in(client, "province_admin")
    person = world.home_director
    before = person.id_number
    response = client.get(reverse("organisation:person_edit", args=[person.pk]))
    assert "id_number" not in response.context["form"].fields and before not in response.content.decode()
    client.post(reverse("organisation:person_edit", args=[person.pk]), edit_data(person, id_number=make_id_number()))
    person.refresh_from_db()
    assert person.id_number == before


def test_system_administrators_correct_an_id_number(client, world):
    signed_in(client, "system_admin")
    person = world.home_director
    number = make_id_number("330102")
    client.post(reverse("organisation:person_edit", args=[person.pk]), edit_data(person, id_number=number))
    person.refresh_from_db()
    assert person.id_number == number and person.id_number_masked == number[:6] + "********" + number[-4:]


def test_an_id_number_with_a_wrong_check_character_or_belonging_to_another_is_refused(client, world):
    signed_in(client, "system_admin")
    person = world.home_director
    good = make_id_number()
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    url = reverse("organisation:person_edit", args=[person.pk])
    response = client.post(url, edit_data(person, id_number=wrong))
    assert "check character" in str(response.context["form"].errors["id_number"])
    response = client.post(url, edit_data(person, id_number=world.far_director.id_number))
    assert response.context["form"].errors["id_number"]


# Posts.

def test_a_post_is_added_in_a_township_of_the_scope(client, world):
    signed_in(client, "county_admin")
    person = world.home_director
    response = client.post(reverse("organisation:post_add", args=[person.pk]), {
        "kind": PostKind.CHILD_SUPERVISOR, "region": "330102003", "start_date": "2025-03-01",
    })
    assert response.status_code == 302
    assert person.posts.filter(kind=PostKind.CHILD_SUPERVISOR, region_id="330102003", end_date=None).exists()


def test_a_post_is_added_in_an_institution_of_the_scope(client, world):
    signed_in(client, "county_admin")
    person = world.home_director
    client.post(reverse("organisation:post_add", args=[person.pk]), {
        "kind": PostKind.CARER, "institution": world.county_home.pk, "start_date": "2025-03-01",
    })
    post = person.posts.get(kind=PostKind.CARER)
    assert post.institution == world.county_home and post.region_id == "330102"


def test_a_post_already_held_and_open_is_refused_on_the_form_naming_it(client, world):
    # Issue 12: the database keeps one open post of a kind per person and place; the form says which one.
    signed_in(client, "county_admin")
    person = world.home_director
    response = client.post(reverse("organisation:post_add", args=[person.pk]), {
        "kind": PostKind.CHILD_DIRECTOR, "region": world.home_village.code, "start_date": "2025-03-01",
    })
    assert response.status_code == 200
    errors = str(response.context["form"].non_field_errors())
    assert "already holds the post" in errors and "清波一村" in errors and "2024-01-01" in errors
    assert "already holds the post" in response.content.decode()
    assert person.posts.count() == 1


@pytest.mark.parametrize("data, field", [
    ({"kind": PostKind.CHILD_SUPERVISOR, "region": "330105001"}, "region"),  # another county
    ({"kind": PostKind.CHILD_SUPERVISOR, "region": "330102999"}, "region"),  # no such township
    ({"kind": PostKind.CHILD_DIRECTOR, "region": "330102001"}, "region"),  # a director serves a village
    ({"kind": PostKind.INSTITUTION_HEAD}, "institution"),  # no institution
    ({"kind": PostKind.INSTITUTION_HEAD, "institution": "CITY"}, "institution"),  # run by the city
    ({"kind": PostKind.CHILD_SUPERVISOR, "region": "330102001", "end_date": "2024-01-01"}, "end_date"),
])
def test_a_post_outside_the_scope_or_in_the_wrong_place_is_refused(client, world, data, field):
    signed_in(client, "county_admin")
    person = world.home_director
    if data.get("institution") == "CITY":
        data["institution"] = world.city_home.pk
    response = client.post(reverse("organisation:post_add", args=[person.pk]), {"start_date": "2025-03-01", **data})
    assert response.status_code == 200 and response.context["form"].errors[field]
    assert person.posts.count() == 1


def test_closing_a_post_sets_its_end_and_keeps_it(client, world):
    signed_in(client, "county_admin")
    post = world.home_director.posts.get()
    response = client.post(reverse("organisation:post_close", args=[post.pk]), {"end_date": "2025-06-30"})
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.end_date == datetime.date(2025, 6, 30)
    assert Post.objects.filter(pk=post.pk).exists()


def test_closing_is_a_post_only(client, world):
    signed_in(client, "county_admin")
    post = world.home_director.posts.get()
    assert client.get(reverse("organisation:post_close", args=[post.pk])).status_code == 405


def test_a_post_cannot_end_before_it_starts(client, world):
    signed_in(client, "county_admin")
    post = world.home_director.posts.get()
    response = client.post(reverse("organisation:post_close", args=[post.pk]), {"end_date": "2020-01-01"}, follow=True)
    post.refresh_from_db()
    assert post.end_date is None
    assert any("before it starts" in str(message) for message in response.context["messages"])


# People managed elsewhere (issue 10): only people whose posts still held are all in the administrator's
# scope can be changed; a move between regions is the old region ending the post, then the new one adding its.

@pytest.fixture
def moved_away(world):
    """上城区's former director, now a director in 海曙区 (宁波市): 上城区 still sees them, 海曙区 manages them."""
    PostFactory(person=world.former_director, kind=PostKind.CHILD_DIRECTOR, region=world.far_village,
                start_date=datetime.date(2023, 1, 1))
    return world.former_director


def messages_of(response) -> str:
    return " ".join(str(message) for message in response.context["messages"])


def test_someone_managed_in_another_city_cannot_be_renamed_or_given_a_new_mobile(client, world, moved_away):
    account = UserFactory(person=moved_away, phone=moved_away.mobile)
    signed_in(client, "county_admin")
    response = client.post(
        reverse("organisation:person_edit", args=[moved_away.pk]),
        edit_data(moved_away, name="冒名", mobile="13900009999"), follow=True,
    )
    assert "宁波市海曙区" in messages_of(response)
    moved_away.refresh_from_db(), account.refresh_from_db()
    assert (moved_away.name, moved_away.mobile, account.phone) == ("上城前主任", "13900000003", "13900000003")
    assert not AuditEntry.objects.exclude(action=AuditAction.SIGN_IN).exists()  # only the sign-in


def test_the_edit_form_is_not_offered_for_someone_managed_elsewhere(client, world, moved_away):
    signed_in(client, "county_admin")
    response = client.get(reverse("organisation:person_edit", args=[moved_away.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("organisation:person_detail", args=[moved_away.pk])
    html = client.get(reverse("organisation:person_detail", args=[moved_away.pk])).content.decode()
    assert "宁波市海曙区" in html
    assert reverse("organisation:person_edit", args=[moved_away.pk]) not in html
    assert reverse("organisation:post_add", args=[moved_away.pk]) not in html


def test_a_post_cannot_be_added_to_someone_managed_elsewhere(client, world, moved_away):
    signed_in(client, "county_admin")
    response = client.post(reverse("organisation:post_add", args=[moved_away.pk]), {
        "kind": PostKind.CHILD_SUPERVISOR, "region": "330102003", "start_date": "2025-03-01",
    }, follow=True)
    assert "宁波市海曙区" in messages_of(response)
    assert moved_away.posts.count() == 2


def test_the_county_cannot_change_someone_also_heading_a_city_run_home_but_the_city_can(client, world):
    PostFactory(person=world.home_director, kind=PostKind.INSTITUTION_HEAD, institution=world.city_home)
    url = reverse("organisation:person_edit", args=[world.home_director.pk])
    signed_in(client, "county_admin")
    response = client.post(url, edit_data(world.home_director, name="改名"), follow=True)
    assert "杭州市" in messages_of(response)
    world.home_director.refresh_from_db()
    assert world.home_director.name == "上城主任"

    signed_in(client, "city_admin")
    assert client.post(url, edit_data(world.home_director, name="改名")).status_code == 302
    world.home_director.refresh_from_db()
    assert world.home_director.name == "改名"


def test_a_move_is_the_old_region_ending_the_post_then_the_new_region_adding_its_own(client, world, moved_away):
    today = timezone.localdate()
    far_post = moved_away.posts.get(end_date=None)
    client.force_login(user_with_role("county_admin", admin_region_code="330203"))  # 海曙区
    response = client.post(reverse("organisation:post_close", args=[far_post.pk]), {"end_date": today.isoformat()})
    assert response.status_code == 302

    signed_in(client, "county_admin")
    response = client.post(reverse("organisation:post_add", args=[moved_away.pk]), {
        "kind": PostKind.CHILD_SUPERVISOR, "region": "330102003", "start_date": today.isoformat(),
    })
    assert response.status_code == 302
    response = client.post(reverse("organisation:person_edit", args=[moved_away.pk]), edit_data(moved_away, name="改名"))
    assert response.status_code == 302
    moved_away.refresh_from_db()
    assert moved_away.name == "改名"
    assert moved_away.posts.filter(region_id="330102003", end_date=None).exists()
    far_post.refresh_from_db()
    assert far_post.end_date == today


def test_an_administrator_over_both_regions_changes_them_directly(client, world, moved_away):
    signed_in(client, "province_admin")
    response = client.post(reverse("organisation:person_edit", args=[moved_away.pk]), edit_data(moved_away, name="改名"))
    assert response.status_code == 302
    response = client.post(reverse("organisation:post_add", args=[moved_away.pk]), {
        "kind": PostKind.CHILD_SUPERVISOR, "region": "330102003", "start_date": "2025-03-01",
    })
    assert response.status_code == 302
    moved_away.refresh_from_db()
    assert moved_away.name == "改名" and moved_away.posts.count() == 3


# The audit trail of changes to people and posts.

def test_a_change_to_a_person_is_audited_with_the_names_of_the_fields_only(client, world):
    admin = signed_in(client, "system_admin")
    person = world.home_director
    number = make_id_number("330102")
    client.post(
        reverse("organisation:person_edit", args=[person.pk]),
        edit_data(person, name="上城新名", mobile="13900009999", id_number=number),
    )
    entry = AuditEntry.objects.get(action=AuditAction.PERSON_CHANGED)
    assert (entry.actor, entry.object_id, entry.region_code) == (admin, str(person.pk), "330102001901")
    assert entry.detail == {"fields": ["id_number", "mobile", "name"]}
    assert number not in str(entry.detail) and number[-4:] not in entry.object_label


def test_saving_a_person_unchanged_records_nothing(client, world):
    signed_in(client, "county_admin")
    client.post(reverse("organisation:person_edit", args=[world.home_director.pk]), edit_data(world.home_director))
    assert not AuditEntry.objects.exclude(action=AuditAction.SIGN_IN).exists()  # only the sign-in


def test_adding_and_ending_a_post_are_audited(client, world):
    admin = signed_in(client, "county_admin")
    person = world.home_director
    client.post(reverse("organisation:post_add", args=[person.pk]), {
        "kind": PostKind.CHILD_SUPERVISOR, "region": "330102003", "start_date": "2025-03-01",
    })
    post = person.posts.get(kind=PostKind.CHILD_SUPERVISOR)
    client.post(reverse("organisation:post_close", args=[post.pk]), {"end_date": "2025-06-30"})

    created = AuditEntry.objects.get(action=AuditAction.POST_CREATED)
    assert (created.actor, created.object_id, created.region_code) == (admin, str(post.pk), "330102003")
    assert created.detail == {"person": person.pk, "kind": PostKind.CHILD_SUPERVISOR, "start_date": "2025-03-01"}
    changed = AuditEntry.objects.get(action=AuditAction.POST_CHANGED)
    assert (changed.object_id, changed.region_code) == (str(post.pk), "330102003")
    assert changed.detail == {"person": person.pk, "fields": ["end_date"], "end_date": "2025-06-30"}
