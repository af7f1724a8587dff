import datetime

import pytest
from django.urls import reverse

from academy.accounts.services import account_for_person
from academy.organisation.models import PostKind, Region
from tests.factories import InstitutionFactory, PersonFactory, PostFactory, UserFactory, make_id_number

MY_PAGE = reverse("accounts:home")


@pytest.fixture
def supervisor(db):
    """A child supervisor in 湖滨街道 (Shangcheng, Hangzhou) who used to be a carer in a welfare home."""
    person = PersonFactory(name="陈静", mobile="13955556666", id_number=make_id_number("330102", serial=123))
    PostFactory(person=person, kind=PostKind.CHILD_SUPERVISOR, region=Region.objects.get(code="330102003"))
    PostFactory(
        person=person, kind=PostKind.CARER, institution=InstitutionFactory(name="上城区儿童福利院"),
        start_date=datetime.date(2019, 3, 1), end_date=datetime.date(2023, 12, 31),
    )
    return account_for_person(person=person)


def test_anonymous_visitor_is_sent_to_sign_in(client, db):
    response = client.get(MY_PAGE)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_trainee_sees_their_roster_entry_and_posts(client, supervisor):
    client.force_login(supervisor)
    page = client.get(MY_PAGE).content.decode()
    assert "陈静" in page
    assert "13955556666" in page
    assert "Child supervisor" in page
    assert "杭州市 上城区 湖滨街道" in page
    assert "Carer of orphaned and disabled children" in page
    assert "上城区儿童福利院" in page
    assert "From 2019-03-01 to 2023-12-31" in page
    assert page.count('class="badge badge-ok"') == 1  # the supervisor post is current, the carer post ended
    assert "Trainee" in page
    assert "What you manage" not in page


def test_trainee_sees_their_id_number_masked_never_in_full(client, supervisor):
    person = supervisor.person
    client.force_login(supervisor)
    page = client.get(MY_PAGE).content.decode()
    assert person.id_number_masked in page
    assert person.id_number not in page
    assert person.id_number[6:14] not in page  # not even the birth date


def test_administrator_without_a_person_sees_their_account_and_what_they_manage(client, db):
    administrator = UserFactory(admin_region=Region.objects.get(code="330102"), phone="13600001234")
    client.force_login(administrator)
    page = client.get(MY_PAGE).content.decode()
    assert "Tier administrator" in page
    assert "What you manage" in page
    assert "杭州市 上城区" in page
    assert reverse("organisation:person_list") in page
    assert reverse("organisation:region_detail", args=["330102"]) in page
    assert "13600001234" in page
    assert "My posts" not in page


def test_system_administrator_manages_every_region(client, db):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    page = client.get(MY_PAGE).content.decode()
    assert "System administrator" in page
    assert "you are a system administrator" in page
    assert reverse("organisation:region_list") in page


def test_my_page_costs_a_fixed_number_of_queries(client, supervisor, django_assert_max_num_queries):
    # Five periods of one post: the database keeps one of them open at most (issue 12).
    for year in range(2019, 2024):
        PostFactory(
            person=supervisor.person, kind=PostKind.CHILD_SUPERVISOR, region=Region.objects.get(code="330102001"),
            start_date=datetime.date(year, 1, 1), end_date=datetime.date(year, 12, 31),
        )
    client.force_login(supervisor)
    with django_assert_max_num_queries(7):
        client.get(MY_PAGE)
