"""The values of the plan's recorded indicators (domain.md §4) for 2021-2025 (manage.py load_demo_indicators),
as the province administrator would have entered them, so that the indicator dashboard has a history to show
next to its 2022 and 2025 targets. The training indicators need no entry: the platform computes them.
Safe to run again: each year's values are replaced by the same ones."""
from decimal import Decimal

from django.core.management.base import CommandError
from django.db import transaction

from academy.accounts.models import User
from analytics.indicators import indicator_values_save, indicators_seed

VALUES = {
    "care_standard": [19000, 21000, 22500, 24000, 25000],
    "regional_welfare_institutions": [7, 9, 10, 11, 11],
    "protection_centres_operating": [45, 70, 82, 93, 100],
    "township_workstations": [10, 32, 50, 68, 81],
    "model_childrens_homes": [66, 80, 86, 93, 100],
    "social_organisations_per_county": [2, 3, 4, 4, 5],
}
FIRST_YEAR = 2021


def indicators_load(*, stdout) -> None:
    """Record the demo values as the province administrator's demo account; progress to ``stdout``."""
    administrator = User.objects.filter(username="demo-province-admin").first()
    if administrator is None:
        raise CommandError("Run load_demo first: the province administrator's demo account is missing.")
    with transaction.atomic():
        indicators_seed()
        for offset in range(len(next(iter(VALUES.values())))):
            values = {key: (Decimal(series[offset]), "") for key, series in VALUES.items()}
            indicator_values_save(year=FIRST_YEAR + offset, values=values, user=administrator)
    stdout.write(f"Indicators: values recorded for {FIRST_YEAR}-{FIRST_YEAR + offset}")
