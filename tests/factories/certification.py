"""Factories of certification: assessment centres, and a signed-off session with its passed candidates built
straight from the models (for the certificate tests, which start where the assessment ends)."""
import datetime
import io

import factory
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from academy.organisation.models import Region
from certification.models import (
    Application, ApplicationStatus, AssessmentCentre, AssessmentSession, CentreKind, Outcome, SessionStatus,
)
from certification.rules import rule_set_seed_defaults

from .accounts import UserFactory
from .organisation import PersonFactory, make_id_number

# The day the certificate tests issue on: numbers of 2026 (…26…).
ISSUED_ON = datetime.date(2026, 11, 29)


class AssessmentCentreFactory(factory.django.DjangoModelFactory):
    """上城区's social assessment organisation: its certificate numbers start S 0001 33 000001 (regions must
    be loaded)."""

    class Meta:
        model = AssessmentCentre

    name = "浙江省儿童福利职业技能评价中心"
    kind = CentreKind.SOCIAL
    organisation_code = "0001"
    province_code = "33"
    site_serial = "000001"
    region = factory.LazyFunction(lambda: Region.objects.get(code="330102"))
    verification_note = "亦可在全国职业技能等级证书查询平台查验"


def make_session(centre: AssessmentCentre, *, level: int = 4, signed_off: bool = True, organiser=None):
    """A session of ``centre`` under the published default rules, signed off (or still in scoring)."""
    organiser = organiser or UserFactory(admin_region=centre.region)
    start = timezone.make_aware(datetime.datetime(2026, 11, 10, 9, 0))
    return AssessmentSession.objects.create(
        centre=centre, rule_set=rule_set_seed_defaults(), level=level, title=f"{level}级认定 2026年11月",
        venue="上城区评价中心", applications_close_on=datetime.date(2026, 10, 31), theory_starts_at=start,
        theory_ends_at=start + datetime.timedelta(hours=2), skill_date=datetime.date(2026, 11, 11), capacity=1200,
        created_by=organiser,
        status=SessionStatus.SIGNED_OFF if signed_off else SessionStatus.SCORING,
        signed_off_at=timezone.now() if signed_off else None, signed_off_by=organiser if signed_off else None,
    )


def photo_bytes(size=(600, 800), colour=(200, 120, 60), image_format="JPEG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format=image_format)
    return buffer.getvalue()


def make_application(session, *, name: str = "张晓明", outcome: str = Outcome.PASSED, photo: bool = False,
                     person=None, id_number: str | None = None) -> Application:
    """An approved, eligible candidate of ``session`` with ``outcome`` (passed by default)."""
    person = person or PersonFactory(name=name, id_number=id_number or make_id_number("330102"))
    application = Application(
        session=session, person=person, applied_by=session.created_by, status=ApplicationStatus.APPROVED,
        is_eligible=True, outcome=outcome,
    )
    if photo:
        application.photo.save("photo.jpg", ContentFile(photo_bytes()), save=False)
    application.save()
    return application
