"""Transcripts (学时证明) as documents: issuing (a number and a QR code to a public page confirming the totals),
the PDF in the reader's language, and the same PDF as one long image for WeChat.

Issuing is idempotent: the person's transcript of a year (or of every year) with the same name and totals as an
earlier issue is that issue again, so downloading twice, or the PDF and then the image, gives one number and
one QR code. A changed total (a course completed since) is a new issue, and the old one still verifies what it
said on the day it was issued.
"""
import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from academy.organisation.selectors import POST_PLACE_RELATED, post_place_label
from academy.pdf import pdf_to_png, render_pdf
from academy.verification import qr_code_data_uri, site_url

from . import selectors
from .models import IssuedTranscript

# Printed numbers: "XS", the year of issue and eight random digits, so that numbers say nothing of how many
# transcripts were issued and cannot be walked through.
NUMBER_PREFIX = "XS"
NUMBER_ATTEMPTS = 5


@dataclass(frozen=True)
class TranscriptDocument:
    issued: IssuedTranscript
    pdf: bytes


def transcript_issue(*, person, year: int | None, totals: selectors.Transcript | None = None) -> IssuedTranscript:
    """The issue of ``person``'s transcript of ``year`` (None: every year) as it stands now (``totals``, when the
    caller has read it already)."""
    totals = totals or selectors.transcript(person=person, year=year)
    existing = (
        IssuedTranscript.objects.filter(
            person=person, year=year, holder_name=person.name,
            credit_hours=totals.credit_hours, completions=totals.completions,
        ).order_by("-issued_at").first()
    )
    if existing is not None:
        return existing
    issued_at = timezone.now()
    attempts_left = NUMBER_ATTEMPTS
    while True:
        number = f"{NUMBER_PREFIX}{timezone.localtime(issued_at).year}{secrets.randbelow(10 ** 8):08d}"
        try:
            with transaction.atomic():
                return IssuedTranscript.objects.create(
                    number=number, person=person, holder_name=person.name, year=year,
                    credit_hours=totals.credit_hours, completions=totals.completions, issued_at=issued_at,
                )
        except IntegrityError:
            # One in a hundred million: a number already taken this year; draw another.
            attempts_left -= 1
            if not attempts_left:
                raise


def transcript_verification_url(issued: IssuedTranscript) -> str:
    return site_url() + issued.get_absolute_url()


def transcript_document(*, person, year: int | None, request=None) -> TranscriptDocument:
    """The transcript as a PDF in the request's language, with its issue's number and QR code."""
    transcript = selectors.transcript(person=person, year=year)
    issued = transcript_issue(person=person, year=year, totals=transcript)
    posts = person.posts.select_related(*POST_PLACE_RELATED)
    pdf = render_pdf("courses/transcript_pdf.html", {
        "person": person,
        "posts": [{"post": post, "place": post_place_label(post)} for post in posts],
        "transcript": transcript,
        "year": year,
        "issued": issued,
        "qr_code": qr_code_data_uri(transcript_verification_url(issued)),
        "verify_url": transcript_verification_url(issued),
        "generated_at": timezone.localtime(),
    }, request=request)
    return TranscriptDocument(issued=issued, pdf=pdf)


def transcript_png(document: TranscriptDocument) -> bytes:
    """The transcript's PDF drawn as one long PNG."""
    return pdf_to_png(document.pdf)


def transcript_file_name(*, year: int | None, extension: str) -> tuple[str, str]:
    """The name a downloaded transcript is saved under, in the reader's language, and its ASCII fallback."""
    suffix = f"-{year}" if year else ""
    return f"{_('transcript')}{suffix}.{extension}", f"transcript{suffix}.{extension}"
