import pytest

from academy.organisation.models import Region
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_an_administrators_page_shows_the_three_headline_rates(client):
    client.force_login(UserFactory(admin_region=Region.objects.get(code="330106")))
    html = client.get("/me/").content.decode()
    for tier in ("institution_head", "child_supervisor", "child_director"):
        assert f'data-tier="{tier}"' in html


def test_a_trainee_page_has_no_headline(client):
    client.force_login(UserFactory())
    assert "data-tier=" not in client.get("/me/").content.decode()
