"""Text messages through a pluggable backend named by settings.SMS_BACKEND, as email is by EMAIL_BACKEND.

A deployment writes a class with ``send(phone, text)`` that calls its SMS gateway and names it in the
environment; nothing else in the platform knows which gateway is used.
"""
import logging
import sys

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class ConsoleSMSBackend:
    """Prints messages to standard output: the default, for the demo and development."""

    def send(self, phone: str, text: str) -> None:
        sys.stdout.write(f"[SMS to {phone}] {text}\n")
        sys.stdout.flush()


class OutboxSMSBackend:
    """Keeps messages in ``outbox`` for tests to read, like Django's locmem email backend."""

    outbox: list[tuple[str, str]] = []

    def send(self, phone: str, text: str) -> None:
        type(self).outbox.append((phone, text))


def send_sms(phone: str, text: str) -> None:
    backend = import_string(settings.SMS_BACKEND)()
    logger.info("Sending SMS to %s", phone[:3] + "****" + phone[-4:])
    backend.send(phone, text)
