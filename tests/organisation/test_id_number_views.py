"""Every view of a full resident ID number by someone else goes into the audit trail, without the number."""
import pytest
from django.urls import reverse

from academy.audit.models import AuditAction, AuditEntry
from academy.organisation.models import PostKind, Region
from tests.factories import PostFactory, UserFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def supervisor():
    return PostFactory(kind=PostKind.CHILD_SUPERVISOR, region=Region.objects.get(code="330102001")).person


def views_of_full_numbers():
    return list(AuditEntry.objects.filter(action=AuditAction.ID_NUMBER_VIEWED))


@pytest.mark.parametrize("url_name", ["organisation:person_detail", "organisation:person_edit"])
def test_a_system_administrator_seeing_a_full_number_is_recorded(client, supervisor, url_name):
    admin = user_with_role("system_admin")
    client.force_login(admin)

    html = client.get(reverse(url_name, args=[supervisor.pk]), REMOTE_ADDR="10.0.0.9").content.decode()

    assert supervisor.id_number in html
    [entry] = views_of_full_numbers()
    assert (entry.actor, entry.object_type, entry.object_id) == (admin, "organisation.Person", str(supervisor.pk))
    assert entry.region_code == "330102001" and entry.ip_address == "10.0.0.9"
    assert entry.detail == {"page": url_name.split(":")[1]}
    assert supervisor.id_number not in str(entry.detail) + entry.object_label


def test_a_masked_number_is_not_a_view(client, supervisor):
    client.force_login(user_with_role("county_admin"))
    html = client.get(reverse("organisation:person_detail", args=[supervisor.pk])).content.decode()
    assert supervisor.id_number not in html
    assert views_of_full_numbers() == []


def test_the_holder_seeing_their_own_number_is_not_recorded(client, supervisor):
    client.force_login(UserFactory(person=supervisor, is_superuser=True))
    assert supervisor.id_number in client.get(reverse("organisation:person_detail", args=[supervisor.pk])).content.decode()
    assert views_of_full_numbers() == []
