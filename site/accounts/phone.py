"""Mainland mobile numbers: 11 digits starting with 1. The one place that reads a number as people type it
on a phone: with +86, 0086 or 86 in front, spaces, dashes or brackets, in full-width digits (a Chinese
keyboard's); every form, import and search normalises through here."""
import re
import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_MOBILE = re.compile(r"^1\d{10}$")
# Spaces, brackets and every kind of dash people put between the groups of digits.
_SEPARATORS = re.compile(r"[\s()\-‐‑‒–—―]")


def normalise(value: str) -> str:
    # NFKC reads full-width digits, "＋", "－", "（" and the ideographic space as their ASCII forms.
    number = _SEPARATORS.sub("", unicodedata.normalize("NFKC", str(value or "")))
    if number.startswith("+86"):
        number = number[3:]
    elif number.startswith("0086"):
        number = number[4:]
    elif number.startswith("86") and _MOBILE.match(number[2:]):
        number = number[2:]
    return number


def is_valid(value: str) -> bool:
    return bool(_MOBILE.match(normalise(value)))


def problem(value: str) -> str | None:
    """What is wrong with a number, in words that say what to fix; None for a valid number."""
    number = normalise(value)
    if _MOBILE.match(number):
        return None
    if not number.isdigit():
        advice = _("Type only digits (spaces, dashes and +86 are fine).")
    elif len(number) != 11:
        advice = _("You typed %(count)s digits.") % {"count": len(number)}
    else:
        advice = _("This one starts with %(digit)s.") % {"digit": number[0]}
    # Two sentences: a space between them in English, none in Chinese.
    return _("%(rule)s %(advice)s") % {"rule": _("A mobile number has 11 digits and starts with 1."), "advice": advice}


def validate(value: str) -> None:
    message = problem(value)
    if message is not None:
        raise ValidationError(message, code="invalid_phone")


def widget(**attrs) -> forms.TextInput:
    """The box for a mobile number: the phone's number pad, and the browser's own number to fill in."""
    return forms.TextInput(attrs={"type": "tel", "inputmode": "numeric", "autocomplete": "tel", **attrs})


def mask(value: str) -> str:
    return value[:3] + "****" + value[-4:] if len(value) == 11 else value
