"""Certificate numbers by the national coding rule (domain.md §3): 22 characters, the centre's 13 (kind letter,
4-digit organisation code, 2-digit province code, 6-digit site serial), then the 2-digit year, the 1-digit
level and a 6-digit serial, e.g. S000133000001264000017.

The serial is counted per 16-character prefix (centre + year + level) in a CertificateSerial row. Taking one
locks that row until the caller's transaction ends, so two workers issuing at once wait for each other and
never take the same serial; the counter only goes up, so a number is never given twice, even after its
certificate is revoked. The counter is written in the transaction that saves the certificate: a worker killed
before that transaction commits takes its serial back with it, so the numbers of a batch stay contiguous.
"""
import re

from django.db import IntegrityError, transaction
from django.db.transaction import TransactionManagementError

from .models import CertificateSerial

NUMBER_LENGTH = 22
PREFIX_LENGTH = 16
LAST_SERIAL = 999_999
NUMBER_PATTERN = re.compile(r"^[YS]\d{4}\d{2}\d{6}\d{2}[1-5]\d{6}$")


class SerialsExhausted(Exception):
    """A prefix has used all of its 999,999 serials."""


def certificate_number_is_well_formed(number: str) -> bool:
    return bool(NUMBER_PATTERN.match(number or ""))


def certificate_number_prefix(*, centre, year: int, level: int) -> str:
    if not 2000 <= year <= 2099:
        raise ValueError(f"year {year} has no two-digit form in the numbering rule")
    if level not in range(1, 6):
        raise ValueError(f"level {level} is not a national skill level")
    return f"{centre.number_prefix}{year % 100:02d}{level}"


def certificate_number_allocate(*, centre, year: int, level: int) -> str:
    """The next number of ``centre`` for ``year`` and ``level``. Call it inside the transaction that saves the
    certificate: the serial's row stays locked until that transaction ends."""
    return certificate_numbers_allocate(centre=centre, year=year, level=level, count=1)[0]


def certificate_numbers_allocate(*, centre, year: int, level: int, count: int) -> list[str]:
    """The next ``count`` numbers, consecutive, for a batch's chunk: one lock and one write for them all. The
    caller's transaction must save a certificate under every one of them, or none (contiguous numbers)."""
    if not transaction.get_connection().in_atomic_block:
        raise TransactionManagementError("certificate_number_allocate needs the caller's transaction")
    prefix = certificate_number_prefix(centre=centre, year=year, level=level)
    last = _serials_take(prefix, count)
    if last > LAST_SERIAL:
        raise SerialsExhausted(prefix)
    numbers = [f"{prefix}{serial:06d}" for serial in range(last - count + 1, last + 1)]
    assert all(map(certificate_number_is_well_formed, numbers)), numbers  # the centre's codes are validated by the model
    return numbers


def _serials_take(prefix: str, count: int) -> int:
    """Take ``count`` serials of ``prefix``; returns the last one taken."""
    row = CertificateSerial.objects.select_for_update().filter(prefix=prefix).first()
    if row is None:
        try:
            # A savepoint: if another worker creates the row first, only this insert is undone.
            with transaction.atomic():
                row = CertificateSerial.objects.create(prefix=prefix, last=0)
        except IntegrityError:
            # The other worker's row, once its transaction has ended (the lock waits for it).
            row = CertificateSerial.objects.select_for_update().get(prefix=prefix)
    row.last += count
    CertificateSerial.objects.filter(pk=row.pk).update(last=row.last)
    return row.last
