import io

import pytest
from django.core.management import call_command

from academy.organisation.models import Region
from analytics.models import IndicatorValue
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_demo_records_five_years_of_every_recorded_indicator_once():
    UserFactory(username="demo-province-admin", admin_region=Region.objects.get(code="33"))
    for _ in range(2):
        call_command("load_demo_indicators", stdout=io.StringIO())
    assert IndicatorValue.objects.count() == 6 * 5
    assert IndicatorValue.objects.get(indicator__key="care_standard", year=2025).value == 25000
