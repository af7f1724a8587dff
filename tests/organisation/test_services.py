"""services.py: the writes refuse what the actor does not manage, whoever calls them, and are audited."""
import datetime
import threading

import pytest
from django.db import IntegrityError, connection, transaction

from academy.audit.models import AuditAction, AuditEntry
from academy.organisation import services
from academy.organisation.models import Post, PostKind, Region
from academy.organisation.scope import PersonChangeRefused
from tests.factories import PersonFactory, RegionFactory, make_scope_world, user_with_role

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


# One open post of a kind per person and place, kept by the database (issue 12) ------------------------


@pytest.mark.parametrize("holder, elsewhere", [("home_director", "neighbour_village"), ("county_carer", "city_home")])
def test_the_database_keeps_one_open_post_of_a_kind_per_person_and_place(world, holder, elsewhere):
    post = getattr(world, holder).posts.get()
    twin = dict(person=post.person, kind=post.kind, region=post.region, institution=post.institution)
    # A closed period of the same post, and the same post in another place, are allowed beside it.
    Post.objects.create(**twin, start_date=datetime.date(2019, 1, 1), end_date=datetime.date(2019, 12, 31))
    other_place = getattr(world, elsewhere)
    if post.institution:
        other = {"institution": other_place, "region": other_place.region}
    else:
        other = {"region": other_place}
    Post.objects.create(**{**twin, **other}, start_date=datetime.date(2025, 1, 1))

    with pytest.raises(IntegrityError), transaction.atomic():
        Post.objects.create(**twin, start_date=datetime.date(2025, 1, 1))


@pytest.mark.parametrize("holder, place", [("home_director", "region"), ("county_carer", "institution")])
def test_opening_a_post_already_held_and_open_is_refused_naming_it(world, holder, place):
    person = getattr(world, holder)
    held = person.posts.get()
    with pytest.raises(services.PostRefused) as refused:
        services.post_open(
            person=person, actor=user_with_role("county_admin"), kind=held.kind,
            start_date=datetime.date(2025, 3, 1), **{place: getattr(held, place)},
        )
    message = str(refused.value)
    assert person.name in message and "2024-01-01" in message
    assert str(held.institution or held.region) in message
    assert person.posts.count() == 1
    assert not AuditEntry.objects.filter(action=AuditAction.POST_CREATED).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="two connections at once need PostgreSQL")
def test_two_administrators_opening_the_same_post_at_once_make_one_post(zhejiang_regions):
    village = RegionFactory(code="330102001901", name="清波一村", level="village", parent_id="330102001",
                            is_synthetic=True)
    person = PersonFactory()
    barrier = threading.Barrier(2)
    outcomes = []

    def open_post():
        barrier.wait()
        try:
            services.post_open(
                person=person, actor=None, kind=PostKind.CHILD_DIRECTOR, region=village,
                start_date=datetime.date(2025, 3, 1),
            )
            outcomes.append("opened")
        except services.PostRefused:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=open_post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["opened", "refused"]
    assert Post.objects.filter(person=person).count() == 1
