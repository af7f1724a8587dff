"""Shared data for the certificate tests: a centre, a signed-off level-4 session and passed candidates, built
straight from the models. Imported by test_numbers.py, test_certificates.py, test_verify.py and the
integration test."""
import datetime
import io

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from academy.organisation.models import Region
from certification.models import (
    Application, ApplicationStatus, AssessmentCentre, AssessmentSession, Outcome, SessionStatus,
)
from tests.factories import PersonFactory, UserFactory, make_id_number

ISSUED_ON = datetime.date(2026, 11, 29)


def rule_set_published():
    from certification.rules import rule_set_seed_defaults

    return rule_set_seed_defaults()


def make_centre(**values) -> AssessmentCentre:
    values = {
        "name": "浙江省儿童福利职业技能评价中心", "kind": "S", "organisation_code": "0001", "province_code": "33",
        "site_serial": "000001", "region": Region.objects.get(code="330102"),
        "verification_note": "亦可在全国职业技能等级证书查询平台查验", **values,
    }
    return AssessmentCentre.objects.create(**values)


def make_session(centre: AssessmentCentre, *, level: int = 4, signed_off: bool = True, organiser=None):
    organiser = organiser or UserFactory(admin_region=centre.region)
    start = timezone.make_aware(datetime.datetime(2026, 11, 10, 9, 0))
    return AssessmentSession.objects.create(
        centre=centre, rule_set=rule_set_published(), level=level, title=f"{level}级认定 2026年11月", venue="上城区评价中心",
        applications_close_on=datetime.date(2026, 10, 31), theory_starts_at=start,
        theory_ends_at=start + datetime.timedelta(hours=2), skill_date=datetime.date(2026, 11, 11), capacity=1200,
        created_by=organiser,
        status=SessionStatus.SIGNED_OFF if signed_off else SessionStatus.SCORING,
        signed_off_at=timezone.now() if signed_off else None, signed_off_by=organiser if signed_off else None,
    )


def photo_bytes(size=(600, 800), colour=(200, 120, 60)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="JPEG")
    return buffer.getvalue()


def make_application(session, *, name: str = "张晓明", outcome: str = Outcome.PASSED, photo: bool = False,
                     person=None, id_number: str | None = None) -> Application:
    person = person or PersonFactory(name=name, id_number=id_number or make_id_number("330102"))
    application = Application(
        session=session, person=person, applied_by=session.created_by, status=ApplicationStatus.APPROVED,
        is_eligible=True, outcome=outcome,
    )
    if photo:
        application.photo.save("photo.jpg", ContentFile(photo_bytes()), save=False)
    application.save()
    return application


@pytest.fixture
def centre(db):
    return make_centre()


@pytest.fixture
def signed_off_session(centre):
    return make_session(centre)


@pytest.fixture
def passed_application(signed_off_session):
    return make_application(signed_off_session, name="张晓明", id_number=make_id_number("330102", datetime.date(1985, 6, 1), 12))
