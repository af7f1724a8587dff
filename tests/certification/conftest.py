"""Shared certification fixtures: the published default rules, a centre of 浙江省, two institutions, and
factories for carers (with years in the post and training hours), assessors (working in an institution),
sessions and approved candidates. Regions are loaded once per test session by tests/conftest.py.

- ``carer_factory(years=2, hours=200, institution=None, name=None, account=True)`` -> Person (with
  ``person.user`` when ``account``); the defaults qualify for level 5.
- ``assessor_factory(institution=None, name=None)`` -> User with is_assessor=True whose person works in
  ``institution`` (a fresh institution when None).
- ``session_factory(level=5, **fields)`` -> an open AssessmentSession of ``centre`` under ``rule_set``.
- ``make_candidate(session, person)`` -> an approved Application (application_create + application_decide).
- ``staff_factory(session, chief=1, skill=3, review=0, invigilators=2, room=True)`` -> SimpleNamespace of
  the assigned users (assessors from a third institution, so they are conflicted with nobody).
- ``scoring_session``: a level 5 session in scoring with one candidate of each institution, seated, staffed.
- ``rubric_items(session, share=1)`` -> {"rubric item id": points} giving every item ``share`` of its points
  (rounded to a half point), for scoring.score_record(items=...).

For the certificate tests, which start where the assessment ends: ``county_centre`` (上城区's centre, numbers
S 0001 33 000001 …), a ``signed_off_session`` of level 4 there and its ``passed_application``, built straight
from the models (tests/factories/certification.py).
"""
import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone

from academy.organisation.models import PostKind, Region, RunLevel
from certification import applications, rules, staffing
from certification.models import AssessmentSession, Room, StaffRole
from certification.scoring import session_open_scoring
from courses.models import TrainingRecord, TrainingSource
from tests.factories import (
    AssessmentCentreFactory, InstitutionFactory, PersonFactory, PostFactory, UserFactory, make_application,
    make_id_number, make_session, user_with_role,
)

DAYS_PER_YEAR = Decimal("365.25")


@pytest.fixture(autouse=True)
def english(settings):
    """Messages are asserted in English; the pages' Chinese is checked by the translation and browser tests."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def rule_set(db):
    """Version 1, published, with domain.md §3's defaults."""
    return rules.rule_set_seed_defaults()


@pytest.fixture
def centre(db):
    """The province's centre: 杭州市's administrators do not organise its sessions."""
    return AssessmentCentreFactory(
        name="浙江省民政职业技能鉴定中心", site_serial="330001", region=Region.objects.get(code="33"),
        verification_note="",
    )


@pytest.fixture
def county_centre(db):
    """上城区's centre, whose county administrator organises its sessions and issues their certificates."""
    return AssessmentCentreFactory()


@pytest.fixture
def signed_off_session(county_centre):
    return make_session(county_centre)


@pytest.fixture
def passed_application(signed_off_session):
    return make_application(
        signed_off_session, name="张晓明", id_number=make_id_number("330102", datetime.date(1985, 6, 1), 12)
    )


@pytest.fixture
def institution_a(db):
    """A county-run welfare home of 上城区, 杭州市."""
    return InstitutionFactory(name="上城区儿童福利院", run_level=RunLevel.COUNTY, region=Region.objects.get(code="330102"))


@pytest.fixture
def institution_b(db):
    """A city-run welfare home of 宁波市 (海曙区)."""
    return InstitutionFactory(name="宁波市儿童福利院", run_level=RunLevel.CITY, region=Region.objects.get(code="330203"))


@pytest.fixture
def carer_factory(db, institution_a):
    def make(*, years=2, hours=200, institution=None, name=None, account=True, kind=PostKind.CARER):
        institution = institution or institution_a
        today = timezone.localdate()
        person = PersonFactory(**({"name": name} if name else {}))
        # The post starts far enough back that eligibility counts at least ``years`` years today.
        days = int((Decimal(str(years)) * DAYS_PER_YEAR).to_integral_value(rounding="ROUND_CEILING"))
        PostFactory(
            person=person, kind=kind, institution=institution, region=institution.region,
            start_date=today - datetime.timedelta(days=days),
        )
        if hours:
            completed = today - datetime.timedelta(days=10)
            TrainingRecord.objects.create(
                person=person, year=completed.year, source=TrainingSource.FACE_TO_FACE, title="护理员岗位培训",
                completed_on=completed, credit_hours=Decimal(str(hours)),
            )
        if account:
            UserFactory(person=person, phone=person.mobile)
        return person

    return make


@pytest.fixture
def assessor_factory(db):
    def make(*, institution=None, name=None):
        institution = institution or InstitutionFactory(run_level=RunLevel.CITY, region=Region.objects.get(code="330106"))
        person = PersonFactory(**({"name": name} if name else {}))
        PostFactory(
            person=person, kind=PostKind.INSTITUTION_STAFF, institution=institution, region=institution.region,
            start_date=datetime.date(2015, 1, 1),
        )
        return UserFactory(person=person, phone=person.mobile, is_assessor=True)

    return make


@pytest.fixture
def province_admin(db):
    return user_with_role("province_admin")


@pytest.fixture
def session_factory(db, rule_set, centre, province_admin):
    def make(*, level=5, **fields):
        now = timezone.now()
        values = {
            "centre": centre, "rule_set": rule_set, "level": level, "title": f"护理员{level}级认定", "venue": "省福利院三楼",
            "applications_close_on": timezone.localdate() + datetime.timedelta(days=14),
            "theory_starts_at": now + datetime.timedelta(days=30),
            "theory_ends_at": now + datetime.timedelta(days=30, hours=2),
            "skill_date": timezone.localdate() + datetime.timedelta(days=31),
            "review_date": timezone.localdate() + datetime.timedelta(days=32) if level in (1, 2) else None,
            "capacity": 30, "created_by": province_admin,
        }
        values.update(fields)
        return AssessmentSession.objects.create(**values)

    return make


@pytest.fixture
def make_candidate(db, province_admin):
    """An approved candidate, through the same calls as the pages (the person applies for themselves)."""

    def make(session, person, **application_fields):
        applied_by = getattr(person, "user", None) or UserFactory(person=person)
        application = applications.application_create(
            session=session, person=person, applied_by=applied_by, **application_fields
        )
        return applications.application_decide(application=application, user=province_admin, approve=True)

    return make


@pytest.fixture
def staff_factory(db, assessor_factory):
    def make(session, *, chief=1, skill=3, review=0, invigilators=2, room=True, institution=None):
        institution = institution or InstitutionFactory(
            name="第三方评价机构", run_level=RunLevel.CITY, region=Region.objects.get(code="330106")
        )
        room_obj = session.rooms.first() or (Room.objects.create(session=session, name="101", capacity=30) if room else None)
        staff = SimpleNamespace(chief=None, skill=[], review=[], invigilators=[], room=room_obj)

        def assign(role, **extra):
            user = assessor_factory(institution=institution)
            staffing.staff_assign(session=session, user=user, role=role, **extra)
            return user

        if chief:
            staff.chief = assign(StaffRole.CHIEF)
        staff.skill = [assign(StaffRole.SKILL_ASSESSOR) for _ in range(skill)]
        staff.review = [assign(StaffRole.REVIEW_PANEL) for _ in range(review)]
        staff.invigilators = [assign(StaffRole.INVIGILATOR, room=room_obj) for _ in range(invigilators)]
        return staff

    return make


@pytest.fixture
def rubric_items(db):
    def make(session, share=1):
        rubric = rules.level_rules(rule_set=session.rule_set, level=session.level).rubric
        share = Decimal(str(share))
        return {str(item.pk): str((item.points * share * 2).quantize(Decimal("1")) / 2) for item in rubric}

    return make


@pytest.fixture
def scoring_session(session_factory, carer_factory, make_candidate, staff_factory, institution_a, institution_b):
    """A level 5 session in scoring: candidates from institutions A and B, seated, fully staffed."""
    session = session_factory(level=5)
    carer_a = carer_factory(institution=institution_a, name="王护理")
    carer_b = carer_factory(institution=institution_b, name="陈护理")
    candidate_a = make_candidate(session, carer_a)
    candidate_b = make_candidate(session, carer_b)
    staff = staff_factory(session)
    staffing.rooms_assign(session=session)
    session_open_scoring(session=session)
    session.refresh_from_db()
    candidate_a.refresh_from_db()
    candidate_b.refresh_from_db()
    return SimpleNamespace(
        session=session, candidate_a=candidate_a, candidate_b=candidate_b, carer_a=carer_a, carer_b=carer_b,
        staff=staff, chief=staff.chief,
    )
