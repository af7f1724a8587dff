"""services.py: the writes refuse what the actor does not manage, whoever calls them, and are audited."""
import datetime

import pytest

from academy.audit.models import AuditAction, AuditEntry
from academy.organisation import services
from academy.organisation.models import PostKind, Region
from academy.organisation.scope import PersonChangeRefused
from tests.factories import make_scope_world, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_scope_world()


def test_a_person_managed_elsewhere_is_not_changed_whoever_calls(world):
    with pytest.raises(PersonChangeRefused, match="杭州市"):
        services.person_update(person=world.city_head, actor=user_with_role("county_admin"), name="改名")
    world.city_head.refresh_from_db()
    assert world.city_head.name == "市福利院院长"
    assert not AuditEntry.objects.exists()


def test_a_post_is_opened_only_in_the_actors_scope(world):
    with pytest.raises(PersonChangeRefused):
        services.post_open(
            person=world.former_director, actor=user_with_role("county_admin"), kind=PostKind.CHILD_SUPERVISOR,
            region=Region.objects.get(code="330105001"), start_date=datetime.date(2025, 1, 1),
        )
    assert world.former_director.posts.count() == 1


def test_a_post_is_ended_only_in_the_actors_scope(world):
    post = world.neighbour_director.posts.get()
    with pytest.raises(PersonChangeRefused):
        services.post_close(post=post, end_date=datetime.date(2025, 1, 1), actor=user_with_role("county_admin"))
    post.refresh_from_db()
    assert post.end_date is None


def test_ending_ones_own_post_of_someone_also_managed_elsewhere_is_allowed(world):
    """The first step of a move: 上城区 lets its director go although 杭州市 also manages them."""
    services.post_open(
        person=world.home_director, actor=None, kind=PostKind.INSTITUTION_HEAD, institution=world.city_home,
        start_date=datetime.date(2024, 1, 1),
    )
    post = world.home_director.posts.get(kind=PostKind.CHILD_DIRECTOR)
    services.post_close(post=post, end_date=datetime.date(2025, 1, 1), actor=user_with_role("county_admin"))
    post.refresh_from_db()
    assert post.end_date == datetime.date(2025, 1, 1)


def test_a_created_person_is_audited_without_their_id_number():
    admin = user_with_role("county_admin")
    person = services.person_create(
        name="新人", sex="female", id_number="330102198001010026", mobile="13900000077", actor=admin,
    )
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.object_id, entry.region_code) == (
        AuditAction.PERSON_CREATED, admin, str(person.pk), "330102",
    )
    assert "330102198001010026" not in str(entry.detail) + entry.object_label
