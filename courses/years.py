"""The training year: learning counts in the calendar year (China Standard Time) in which it happens."""
from django.utils import timezone


def training_year(moment=None) -> int:
    return timezone.localdate(moment or timezone.now()).year
