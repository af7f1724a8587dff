"""The trainee's own pages: My learning (我的学习), the transcript, its PDF and its image.

Everything shown belongs to the signed-in user's person: no address names a person, so nobody can ask for
someone else's records. A user who is not on the roster gets a page saying so.
"""
import datetime
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from academy.http import download_disposition

from .. import selectors
from ..plans import plan_obligations
from ..sessions import sessions_for_person
from ..transcripts import transcript_document, transcript_file_name, transcript_png
from ..years import training_year


@never_cache
@login_required
def my_learning(request):
    person = request.user.person
    if person is None:
        return render(request, "courses/my_learning.html", {"person": None})
    year = training_year()
    learning = selectors.my_learning(person=person, today=timezone.localdate(), year=year)
    # This year's sessions and every one still to come, next year's included.
    year_start = timezone.make_aware(datetime.datetime(year, 1, 1))
    return render(request, "courses/my_learning.html", {
        "person": person,
        "learning": learning,
        "obligations": plan_obligations(person=person, today=timezone.localdate(), year=year),
        "sessions": sessions_for_person(person).filter(session__ends_at__gte=year_start),
        "now": timezone.now(),
    })


@never_cache
@login_required
def transcript(request):
    person = request.user.person
    if person is None:
        return render(request, "courses/transcript.html", {"person": None})
    year = year_parameter(request)
    query = f"?{urlencode({'year': year})}" if year else ""
    return render(request, "courses/transcript.html", {
        "person": person,
        "transcript": selectors.transcript(person=person, year=year),
        "year": year,
        "pdf_url": reverse("courses:transcript_pdf") + query,
        "image_url": reverse("courses:transcript_image") + query,
    })


@never_cache
@login_required
def transcript_pdf(request):
    """The transcript as a PDF, saved rather than opened where the browser can (in WeChat, which can do
    neither, the transcript page offers the image instead)."""
    person = request.user.person
    if person is None:
        return redirect("courses:transcript")
    year = year_parameter(request)
    document = transcript_document(person=person, year=year, request=request)
    return _document_response(document.pdf, "application/pdf", year=year, extension="pdf", as_attachment=True)


@never_cache
@login_required
def transcript_image(request):
    """The same transcript drawn as one long PNG, to long-press and save in WeChat."""
    person = request.user.person
    if person is None:
        return redirect("courses:transcript")
    year = year_parameter(request)
    image = transcript_png(transcript_document(person=person, year=year, request=request))
    return _document_response(image, "image/png", year=year, extension="png", as_attachment=False)


def _document_response(content: bytes, content_type: str, *, year, extension: str, as_attachment: bool):
    filename, fallback = transcript_file_name(year=year, extension=extension)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = download_disposition(filename, fallback=fallback, as_attachment=as_attachment)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def year_parameter(request) -> int | None:
    """The training year asked for in ?year=, or None for every year."""
    try:
        return int(request.GET.get("year", ""))
    except ValueError:
        return None
