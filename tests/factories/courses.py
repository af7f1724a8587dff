"""Factories of courses: face-to-face training sessions."""
import datetime

import factory
from django.utils import timezone

from academy.organisation.models import Region
from courses.models import TrainingSession


class TrainingSessionFactory(factory.django.DjangoModelFactory):
    """A face-to-face session of 上城区 a week from now (regions must be loaded)."""

    class Meta:
        model = TrainingSession

    organiser_region = factory.LazyFunction(lambda: Region.objects.get(code="330102"))
    title = factory.Sequence(lambda n: f"儿童主任履职培训班第{n}期")
    starts_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=7))
    ends_at = factory.LazyAttribute(lambda session: session.starts_at + datetime.timedelta(hours=4))
    venue = "上城区民政局三楼会议室"
    capacity = 30
    credit_hours = 4
    check_in_code = factory.Sequence(lambda n: f"{(100003 + n * 7919) % 1000000:06d}")
