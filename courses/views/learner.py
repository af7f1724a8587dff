"""The trainee's own pages: My learning (我的学习), the transcript and its PDF.

Everything shown belongs to the signed-in user's person: no address names a person, so nobody can ask for
someone else's records. A user who is not on the roster gets a page saying so.
"""
import datetime

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from academy.organisation.selectors import POST_PLACE_RELATED, post_place_label
from academy.pdf import render_pdf

from .. import selectors
from ..plans import plan_obligations
from ..sessions import sessions_for_person
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
    return render(request, "courses/transcript.html", {
        "person": person,
        "transcript": selectors.transcript(person=person, year=year),
        "year": year,
    })


@never_cache
@login_required
def transcript_pdf(request):
    person = request.user.person
    if person is None:
        return redirect("courses:transcript")
    year = year_parameter(request)
    posts = person.posts.select_related(*POST_PLACE_RELATED)
    pdf = render_pdf("courses/transcript_pdf.html", {
        "person": person,
        "posts": [{"post": post, "place": post_place_label(post)} for post in posts],
        "transcript": selectors.transcript(person=person, year=year),
        "year": year,
        "generated_at": timezone.localtime(),
    }, request=request)
    response = HttpResponse(pdf, content_type="application/pdf")
    # Inline: phones open it in their viewer, from which it can be saved or shared.
    response["Content-Disposition"] = 'inline; filename="transcript{}.pdf"'.format(f"-{year}" if year else "")
    response["X-Content-Type-Options"] = "nosniff"
    return response


def year_parameter(request) -> int | None:
    """The training year asked for in ?year=, or None for every year."""
    try:
        return int(request.GET.get("year", ""))
    except ValueError:
        return None
