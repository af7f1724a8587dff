"""Mainland mobile numbers: 11 digits starting with 1, written with or without +86."""
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_MOBILE = re.compile(r"^1\d{10}$")


def normalise(value: str) -> str:
    number = re.sub(r"[\s\-()]", "", str(value or ""))
    if number.startswith("+86"):
        number = number[3:]
    elif number.startswith("0086"):
        number = number[4:]
    return number


def is_valid(value: str) -> bool:
    return bool(_MOBILE.match(normalise(value)))


def validate(value: str) -> None:
    if not is_valid(value):
        raise ValidationError(_("A mobile number has 11 digits and starts with 1."), code="invalid_phone")


def mask(value: str) -> str:
    return value[:3] + "****" + value[-4:] if len(value) == 11 else value
