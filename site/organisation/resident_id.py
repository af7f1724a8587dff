"""Resident ID numbers (居民身份证号码): the check character, masking, and how they are kept.

The number is stored encrypted (Fernet) with a keyed digest (HMAC-SHA256) beside it for exact look-ups
and uniqueness, so a database dump reveals neither. Both keys derive from a secret of
settings.PERSONAL_DATA_KEYS (the environment's comma-separated PERSONAL_DATA_KEY).

Rotation: the first secret writes, every secret reads. While numbers written with an older secret remain
(``manage.py rotate_personal_data_key`` rewrites them), a look-up tries the digest under every secret
(``lookup_digests``), and each row records which secret wrote it (``key_id``).
"""
import base64
import datetime
import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"
_SHAPE = re.compile(r"^\d{17}[\dX]$")
# What a spreadsheet makes of an 18-digit number stored as a number: 3.30102E+17, 3.30102199001011E17.
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")


def check_character(first_seventeen: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first_seventeen, WEIGHTS))
    return CHECK_CHARACTERS[total % 11]


def normalise(value) -> str:
    """The number as stored: full-width digits and "Ｘ" read as ASCII (NFKC, as a Chinese keyboard types
    them), spaces within it dropped, x upper case."""
    return "".join(unicodedata.normalize("NFKC", str(value)).split()).upper()


def validation_error(value) -> str | None:
    """Why ``value`` is not a valid resident ID number, or None when it is."""
    number = normalise(value)
    if not number:
        return str(_("The resident ID number is missing."))
    if _SCIENTIFIC.match(number):
        return str(
            _(
                "The resident ID number %(value)s was turned into a number by the spreadsheet; format the "
                "column as text and type the 18 characters again."
            )
            % {"value": number}
        )
    if not _SHAPE.match(number):
        return str(_("A resident ID number has 17 digits followed by a digit or X."))
    if birth_date(number) is None:
        return str(_("Characters 7 to 14 of the resident ID number are not a real birth date."))
    if check_character(number[:17]) != number[17]:
        return str(_("The last character of the resident ID number does not match its check character."))
    return None


def birth_date(number: str) -> datetime.date | None:
    try:
        return datetime.datetime.strptime(number[6:14], "%Y%m%d").date()
    except ValueError:
        return None


def mask(number: str) -> str:
    """330102********1234: the region and the last four characters, as shown to most users."""
    return number[:6] + "*" * 8 + number[-4:]


# Something shaped like a resident ID number inside a longer text (a value quoted in a message).
_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


def mask_in_text(text: str) -> str:
    """``text`` with every ID-number-shaped run of characters masked (``mask``)."""
    return _IN_TEXT.sub(lambda match: mask(match.group()), text)


@dataclass(frozen=True)
class _Key:
    fernet: Fernet
    digest_key: bytes
    key_id: str  # a public fingerprint of the secret, stored beside each number it wrote


@lru_cache(maxsize=8)
def _key(secret: str) -> _Key:
    encryption_key = hashlib.sha256(b"resident-id-encryption:" + secret.encode()).digest()
    digest_key = hashlib.sha256(b"resident-id-digest:" + secret.encode()).digest()
    key_id = hmac.new(digest_key, b"key-id", hashlib.sha256).hexdigest()[:12]
    return _Key(Fernet(base64.urlsafe_b64encode(encryption_key)), digest_key, key_id)


def _keys() -> list[_Key]:
    """Every configured key, the writing one first."""
    if not settings.PERSONAL_DATA_KEYS:
        raise ImproperlyConfigured("PERSONAL_DATA_KEY is not set.")
    return [_key(secret) for secret in settings.PERSONAL_DATA_KEYS]


def _hmac(key: _Key, number: str) -> str:
    return hmac.new(key.digest_key, normalise(number).encode(), hashlib.sha256).hexdigest()


def key_id() -> str:
    """Which key writes new numbers: rows showing another key_id are left for the rotation command."""
    return _keys()[0].key_id


def encrypt(number: str) -> str:
    return _keys()[0].fernet.encrypt(number.encode()).decode()


def decrypt(token: str) -> str:
    """Reads a number written with any configured key (cryptography.fernet.InvalidToken if none fits)."""
    return MultiFernet([key.fernet for key in _keys()]).decrypt(token.encode()).decode()


def digest(number: str) -> str:
    """The look-up digest stored with a number written now (the first key's)."""
    return _hmac(_keys()[0], number)


def lookup_digests(number: str) -> list[str]:
    """The digests a stored number may carry, one per configured key, the writing key's first: every look-up
    matches any of them, so people are found while a rotation is half done."""
    return [_hmac(key, number) for key in _keys()]
