import datetime
from collections import Counter

import pytest

from academy.accounts.models import Role, User
from academy.accounts.services import account_for_person, accounts_for_people
from academy.demo import synthetic
from academy.organisation import resident_id
from academy.organisation.models import (
    Institution,
    InstitutionKind,
    Person,
    Post,
    PostKind,
    ProfessionalCategory,
    Region,
    RegionLevel,
    Sex,
)
from academy.organisation.rules import post_place_error
from academy.organisation.services import person_create
from tests.factories import make_id_number

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 6, 1)


def _xihu_roster(seed=1):
    """西湖区's townships and a few villages each, Hangzhou's institutions with a handful of carers."""
    townships = list(Region.objects.filter(code__startswith="330106", level=RegionLevel.TOWNSHIP))
    villages = synthetic.synthesise_villages(townships=townships, seed=seed, per_township=(2, 4))
    institutions = synthetic.synthesise_institutions(cities=[Region.objects.get(code="3301")])
    people, posts = synthetic.synthesise_people(
        townships=townships, villages=villages, institutions=institutions, seed=seed, today=TODAY,
        carers_per_institution=(3, 6),
    )
    accounts_for_people(people=people)
    return townships, villages, institutions, people


def _snapshot():
    return [
        (p.name, p.sex, p.id_number, p.mobile, p.professional_category,
         sorted((post.kind, post.region_id, post.start_date, post.end_date) for post in p.posts.all()))
        for p in Person.objects.prefetch_related("posts").order_by("pk")
    ]


def test_villages_have_12_digit_codes_under_real_townships_and_are_marked_synthetic():
    township = Region.objects.get(code="330106109")  # 三墩镇, a real town of 西湖区
    villages = synthetic.synthesise_villages(townships=[township], seed=3)

    assert 12 <= len(villages) <= 28
    for village in Region.objects.filter(parent=township):
        assert len(village.code) == 12 and village.code.startswith(township.code)
        assert village.level == RegionLevel.VILLAGE and village.is_synthetic
        # Statistical codes: 001-199 for communities (社区), 201-399 for villages (村).
        assert village.name.endswith("社区" if int(village.code[9:]) < 200 else "村")
    assert len({v.name for v in villages}) == len(villages)


def test_institutions_a_welfare_institution_per_city_and_a_protection_centre_per_county():
    lishui = Region.objects.get(code="3311")
    synthetic.synthesise_institutions(cities=[lishui])

    welfare = Institution.objects.get(kind=InstitutionKind.CHILDREN_WELFARE)
    assert (welfare.name, welfare.run_level, welfare.region_id) == ("丽水市儿童福利院", "city", "331102")
    centres = Institution.objects.filter(kind=InstitutionKind.MINOR_PROTECTION)
    assert sorted(c.region_id for c in centres) == sorted(
        Region.objects.filter(parent=lishui).values_list("code", flat=True)
    )
    assert {c.run_level for c in centres} == {"county"}
    assert centres.filter(name="青田县未成年人救助保护中心").exists()
    assert centres.filter(name="丽水市莲都区未成年人救助保护中心").exists()
    # Loading again keeps the existing ones.
    assert synthetic.synthesise_institutions(cities=[lishui]) == []


def test_people_have_valid_id_numbers_matching_their_sex_and_age():
    _xihu_roster()
    counties = set(Region.objects.filter(level=RegionLevel.COUNTY).values_list("code", flat=True))

    people = list(Person.objects.all())
    assert len(people) > 100
    for person in people:
        number = person.id_number
        assert resident_id.validation_error(number) is None
        assert (int(number[16]) % 2 == 1) == (person.sex == Sex.MALE)
        assert number[:6] in counties
        age = (TODAY - resident_id.birth_date(number)).days / 365.25
        assert 22 < age < 61
        assert len(person.mobile) == 11 and person.mobile.startswith("1")
        assert not person.mobile.startswith(synthetic.RESERVED_MOBILE_PREFIX)
        assert 2 <= len(person.name) <= 3
    assert len({p.mobile for p in people}) == len(people)


def test_one_supervisor_per_township_one_director_per_village_one_head_per_institution():
    townships, villages, institutions, _people = _xihu_roster()
    current = Post.objects.current(TODAY)

    supervisors = Counter(current.filter(kind=PostKind.CHILD_SUPERVISOR).values_list("region_id", flat=True))
    assert supervisors == Counter({t.code: 1 for t in townships})
    directors = Counter(current.filter(kind=PostKind.CHILD_DIRECTOR).values_list("region_id", flat=True))
    assert directors == Counter({v.code: 1 for v in villages})
    heads = Counter(current.filter(kind=PostKind.INSTITUTION_HEAD).values_list("institution_id", flat=True))
    assert heads == Counter({i.pk: 1 for i in institutions})
    carers = current.filter(kind=PostKind.CARER)
    assert set(carers.values_list("institution__kind", flat=True)) == {InstitutionKind.CHILDREN_WELFARE}


def test_posts_are_held_where_the_rules_allow_and_end_after_they_start():
    _xihu_roster()
    for post in Post.objects.select_related("region", "institution"):
        assert post_place_error(post.kind, None if post.institution else post.region, post.institution) is None
        if post.institution:
            assert post.region_id == post.institution.region_id
        assert post.start_date <= TODAY
        assert post.end_date is None or post.start_date <= post.end_date < TODAY


def test_a_city_has_people_who_left_and_people_with_two_posts_and_professional_staff():
    counts = synthetic.synthesise_city(city_code="3311", seed=5, today=TODAY)

    assert counts.people == Person.objects.count() == counts.accounts
    assert counts.posts == Post.objects.count()
    assert Post.objects.filter(end_date__isnull=False).count() > 50
    two_posts = [p for p in Person.objects.prefetch_related("posts") if p.posts.count() == 2]
    assert len(two_posts) > 10
    # About 15 villages per township, as in Zhejiang.
    villages = Region.objects.filter(code__startswith="3311", level=RegionLevel.VILLAGE).count()
    townships = Region.objects.filter(code__startswith="3311", level=RegionLevel.TOWNSHIP).count()
    assert 12 < villages / townships < 18
    # Professional staff of the welfare institution: near the plan's 50% target.
    staff = Person.objects.filter(
        posts__in=Post.objects.current(TODAY).filter(institution__kind=InstitutionKind.CHILDREN_WELFARE)
    ).distinct()
    share = staff.exclude(professional_category=ProfessionalCategory.NONE).count() / staff.count()
    assert 0.35 < share < 0.6


def test_a_city_is_synthesised_once():
    synthetic.synthesise_city(city_code="3311", seed=5, today=TODAY, villages_per_township=(1, 2))
    people = Person.objects.count()

    again = synthetic.synthesise_city(city_code="3311", seed=5, today=TODAY, villages_per_township=(1, 2))

    assert again == synthetic.SyntheticCounts()
    assert Person.objects.count() == people


def test_the_same_seed_gives_the_same_roster_and_another_seed_another():
    _xihu_roster(seed=7)
    first = _snapshot()
    User.objects.all().delete()
    Post.objects.all().delete()
    Person.objects.all().delete()
    Institution.objects.all().delete()
    Region.objects.filter(is_synthetic=True).delete()

    _xihu_roster(seed=7)
    assert _snapshot() == first

    User.objects.all().delete()
    Post.objects.all().delete()
    Person.objects.all().delete()
    Institution.objects.all().delete()
    Region.objects.filter(is_synthetic=True).delete()
    _xihu_roster(seed=8)
    assert _snapshot() != first


def test_bulk_accounts_are_what_account_for_person_makes():
    _xihu_roster()
    synthesised = Person.objects.order_by("pk").first()
    bulk_user = User.objects.get(person=synthesised)
    by_hand = account_for_person(person=person_create(
        name="王芳", sex=Sex.FEMALE, mobile="13912345678",
        id_number=make_id_number("330106", born=datetime.date(1990, 1, 1), serial=124),
    ))

    for user, person in [(bulk_user, synthesised), (by_hand, by_hand.person)]:
        user.refresh_from_db()
        assert user.username == f"person-{person.pk}"
        assert user.phone == person.mobile
        assert not user.has_usable_password()
        assert user.is_active and not user.is_staff and not user.is_superuser
        assert user.email is None and not user.phone_verified and user.admin_region_id is None
        assert user.roles == {Role.TRAINEE}
    # account_for_person finds the bulk-made account instead of making a second one.
    assert account_for_person(person=synthesised).pk == bulk_user.pk
    assert User.objects.filter(person=synthesised).count() == 1
