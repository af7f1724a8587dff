"""services.py: the writes refuse what the actor does not manage, whoever calls them, and are audited."""
import datetime
import threading

import pytest
from django.db import IntegrityError, connection, transaction

from academy.accounts.services import account_for_person
from academy.audit.models import AuditAction, AuditEntry
from academy.organisation import services
from academy.organisation.models import Institution, Person, Post, PostKind, Region, RunLevel
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


# The other one-of rules of the organisation: a value another administrator gave a moment ago (the form's own
# check passed) is refused by the database, and the service names the conflict for the form -----------------


def test_a_person_added_twice_is_refused_naming_the_id_number(world):
    number = world.home_director.id_number
    with pytest.raises(services.AlreadyTaken) as refused:
        services.person_create(name="上城主任", sex="female", id_number=number, actor=user_with_role("county_admin"))
    assert (refused.value.field, refused.value.message) == ("id_number", "已有其他人员使用此居民身份证号码。")
    assert Person.objects.filter(name="上城主任").count() == 1
    assert not AuditEntry.objects.filter(action=AuditAction.PERSON_CREATED).exists()


def test_another_persons_id_number_is_refused_and_nothing_changes(world):
    with pytest.raises(services.AlreadyTaken) as refused:
        services.person_update(
            person=world.county_carer, actor=None, id_number=world.home_director.id_number, name="改了名字",
        )
    assert refused.value.field == "id_number"
    world.county_carer.refresh_from_db()
    assert world.county_carer.name == "上城护理员" and world.county_carer.id_number != world.home_director.id_number


def test_a_mobile_number_signing_in_to_another_account_is_refused_and_nothing_changes(world):
    account_for_person(person=world.home_director)
    carer_account = account_for_person(person=world.county_carer)  # unclaimed: its number would change at once
    with pytest.raises(services.AlreadyTaken) as refused:
        services.person_update(person=world.county_carer, actor=None, mobile="13900000001")
    assert (refused.value.field, refused.value.message) == ("mobile", "此手机号码已是另一账号的登录号码。")
    world.county_carer.refresh_from_db()
    carer_account.refresh_from_db()
    assert world.county_carer.mobile == carer_account.phone == "13900000004"


def test_a_village_added_twice_is_refused_naming_it(world):
    township = Region.objects.get(code="330102001")
    with pytest.raises(services.AlreadyTaken) as refused:
        services.village_create(township=township, code=world.home_village.code, name="另一个村")
    assert (refused.value.field, refused.value.message) == ("code_suffix", "代码330102001901已属于清波一村。")


def test_an_institution_code_taken_is_refused_naming_the_institution(world):
    twin = Institution(
        code=world.county_home.code, name="另一家福利院", kind=world.county_home.kind, run_level=RunLevel.COUNTY,
        region=world.county_home.region,
    )
    with pytest.raises(services.AlreadyTaken) as refused:
        services.institution_save(institution=twin)
    assert refused.value.field == "code"
    assert refused.value.message == f"机构代码{world.county_home.code}已属于上城区儿童福利院。"
    assert not Institution.objects.filter(name="另一家福利院").exists()
