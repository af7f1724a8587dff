"""Face-to-face sessions (培训班): organisers create them, enrol people and take attendance in their scope;
trainees check in with the code or the QR code shown at the venue. Every organiser page finds the session
through sessions.sessions_in_scope, so a session outside the administrator's scope is a 404."""
import io
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from academy.organisation import selectors as organisation_selectors
from academy.organisation.models import RegionLevel
from academy.organisation.permissions import administrator_required
from academy.organisation.scope import Scope, scope_for

from .. import sessions
from ..forms import (
    AttendanceForm, CheckInForm, EnrolmentImportForm, EnrolmentPickForm, EnrolmentSearchForm, SessionForm,
)
from ..models import Attendance, TrainingSession

SESSIONS_PER_PAGE = 30
PEOPLE_PER_PAGE = 50


def _session_in_scope(request, public_id) -> TrainingSession:
    in_scope = sessions.sessions_in_scope(scope=scope_for(request.user)).select_related("organiser_region", "course")
    return get_object_or_404(in_scope, public_id=public_id)


@administrator_required
def session_list(request):
    page = Paginator(sessions.session_list(scope=scope_for(request.user)), SESSIONS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "courses/session_list.html", {"page_obj": page, "now": timezone.now()})


def _organiser_choices(user) -> list[tuple[str, str]] | None:
    """System administrators choose the organising province, city or county; a tier administrator
    organises in their own region."""
    if user.is_superuser:
        return organisation_selectors.region_choices(scope=Scope.everything())
    return None


@administrator_required
def session_create(request):
    organiser_choices = _organiser_choices(request.user)
    form = SessionForm(
        request.POST or None, organiser_choices=organiser_choices,
        initial={"organiser_region": request.user.admin_region_id} if organiser_choices else None,
    )
    if request.method == "POST" and form.is_valid():
        organiser_region = form.cleaned_data["organiser_region"] if organiser_choices else request.user.admin_region
        try:
            session = sessions.session_create(
                organiser_region=organiser_region, created_by=request.user, **form.service_arguments()
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The session is created. Now enrol the people who will attend."))
            return redirect("courses:session_enrol", public_id=session.public_id)
    return render(request, "courses/session_form.html", {"form": form, "session": None})


@administrator_required
def session_edit(request, public_id):
    session = _session_in_scope(request, public_id)
    form = SessionForm(request.POST or None, instance=session)
    if request.method == "POST" and form.is_valid():
        try:
            sessions.session_update(session=session, **form.service_arguments())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The session is saved."))
            return redirect(session)
    # The unsaved form may have changed the instance: the page heading keeps the stored title.
    stored = TrainingSession.objects.get(pk=session.pk)
    return render(request, "courses/session_form.html", {"form": form, "session": stored})


@administrator_required
def session_detail(request, public_id):
    session = _session_in_scope(request, public_id)
    enrolments = list(sessions.session_enrolments(session))
    counts = {choice: 0 for choice in Attendance.values}
    for enrolment in enrolments:
        counts[enrolment.attendance] += 1
    return render(request, "courses/session_detail.html", {
        "session": session,
        "enrolments": enrolments,
        "counts": counts,
        "places_left": session.capacity - len(enrolments),
        "check_in_open": session.is_check_in_open(timezone.now()),
    })


def _enrolment_region_choices(session: TrainingSession) -> list[tuple[str, str]]:
    """Regions to narrow the people list by; a county organiser also gets its townships."""
    choices = organisation_selectors.region_choices(scope=sessions.organiser_scope(session))
    if session.organiser_region.level == RegionLevel.COUNTY:
        choices += [(township.code, township.name) for township in session.organiser_region.children.order_by("code")]
    return choices


@administrator_required
def session_enrol(request, public_id):
    """Enrol people: tick them in a searchable list of the organiser's people, or upload a list."""
    session = _session_in_scope(request, public_id)
    scope = sessions.organiser_scope(session)
    search_form = EnrolmentSearchForm(request.GET, region_choices=_enrolment_region_choices(session))
    pick_form = EnrolmentPickForm(scope=scope)
    import_form = EnrolmentImportForm()
    import_errors = []

    if request.method == "POST":
        action = request.POST.get("action")
        if action == "pick":
            pick_form = EnrolmentPickForm(request.POST, scope=scope)
            if pick_form.is_valid():
                if _enrol(request, session, pick_form.cleaned_data["people"]):
                    return redirect(request.get_full_path())
        elif action == "import":
            import_form = EnrolmentImportForm(request.POST, request.FILES)
            if import_form.is_valid():
                checked = sessions.enrolment_file_check(session=session, upload=import_form.cleaned_data["file"])
                import_errors = checked.errors
                if not import_errors and _enrol(request, session, checked.people):
                    return redirect(session)
        elif action == "remove":
            enrolment = get_object_or_404(session.enrolments.select_related("person"), pk=request.POST.get("enrolment"))
            try:
                sessions.session_unenrol(enrolment=enrolment)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, _("%(name)s is no longer enrolled.") % {"name": enrolment.person.name})
            return redirect(session)

    enrolled_ids = set(session.enrolments.values_list("person_id", flat=True))
    page, people, query_string = None, [], ""
    if search_form.is_valid():
        today = timezone.localdate()
        matching = organisation_selectors.people_search(scope=scope, on=today, **search_form.search_arguments())
        page = Paginator(matching, PEOPLE_PER_PAGE).get_page(request.GET.get("page"))
        # Only the page's people are read with their posts.
        people = organisation_selectors.people_with_posts(page.object_list, scope=scope, on=today)
        query_string = urlencode({name: value for name, value in search_form.cleaned_data.items() if value})
    return render(request, "courses/session_enrol.html", {
        "session": session,
        "search_form": search_form,
        "pick_form": pick_form,
        "import_form": import_form,
        "import_errors": import_errors,
        "page_obj": page,
        "query_string": query_string,
        "rows": [
            (person, person.pk in enrolled_ids,
             [(post, organisation_selectors.post_place_label(post)) for post in person.listed_posts])
            for person in people
        ],
        "enrolled_count": len(enrolled_ids),
        "places_left": session.capacity - len(enrolled_ids),
    })


def _enrol(request, session, people) -> bool:
    try:
        count = sessions.session_enrol(session=session, people=people)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return False
    if count:
        messages.success(
            request, ngettext("%(count)s person enrolled.", "%(count)s people enrolled.", count) % {"count": count}
        )
    else:
        messages.info(request, _("Everyone chosen was already enrolled."))
    return True


@administrator_required
def session_attendance(request, public_id):
    session = _session_in_scope(request, public_id)
    form = AttendanceForm(request.POST or None, session=session, enrolments=sessions.session_enrolments(session))
    if request.method == "POST" and form.is_valid():
        try:
            changed = sessions.attendance_mark(session=session, marks=form.marks(), marked_by=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Attendance saved: %(count)s changed.") % {"count": changed})
            return redirect("courses:session_attendance", public_id=session.public_id)
    return render(request, "courses/session_attendance.html", {"session": session, "form": form})


@administrator_required
def session_check_in_display(request, public_id):
    """The code and QR code in large print, for a projector or a printed sheet at the venue."""
    session = _session_in_scope(request, public_id)
    return render(request, "courses/session_check_in_display.html", {
        "session": session,
        "check_in_url": request.build_absolute_uri(reverse("courses:check_in")),
        "check_in_open": session.is_check_in_open(timezone.now()),
    })


@require_GET
@administrator_required
def session_qr(request, public_id):
    session = _session_in_scope(request, public_id)
    url = request.build_absolute_uri(reverse("courses:check_in_by_qr", args=[session.public_id]))
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- Trainees -----------------------------------------------------------------------------------------


def _checked_in_message(request, result: sessions.CheckIn) -> None:
    session = result.enrolment.session
    if result.already:
        messages.info(request, _("You had already checked in to “%(title)s” at %(time)s.") % {
            "title": session.title, "time": timezone.localtime(result.enrolment.checked_in_at).strftime("%H:%M"),
        })
    else:
        messages.success(request, _("You are checked in to “%(title)s”.") % {"title": session.title})


@login_required
def check_in(request):
    """Type the code shown at the venue. Also lists the trainee's coming sessions."""
    person = request.user.person
    if person is None:
        return render(request, "courses/check_in.html", {"no_person": True})
    form = CheckInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = sessions.check_in_with_code(person=person, code=form.cleaned_data["code"])
        except sessions.CheckInRefused as refusal:
            form.add_error("code", refusal.message)
        else:
            _checked_in_message(request, result)
            return redirect("courses:check_in")
    now = timezone.now()
    today_start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    coming = sessions.sessions_for_person(person).filter(session__ends_at__gte=today_start)
    return render(request, "courses/check_in.html", {
        "form": form,
        "enrolments": [
            (enrolment, enrolment.session.is_check_in_open(now)) for enrolment in coming.order_by("session__starts_at")
        ],
    })


@login_required
def check_in_by_qr(request, public_id):
    """Where the QR code at the venue leads: one button to check in (a GET never checks in, so that a
    link preview cannot)."""
    session = get_object_or_404(TrainingSession.objects.select_related("course"), public_id=public_id)
    person = request.user.person
    if person is None:
        return render(request, "courses/check_in_by_qr.html", {"session": session, "no_person": True})
    if request.method == "POST":
        try:
            result = sessions.check_in_to_session(person=person, session=session)
        except sessions.CheckInRefused:
            pass  # the page below says why
        else:
            _checked_in_message(request, result)
            return redirect("courses:check_in")
    enrolment = session.enrolments.filter(person=person).first()
    return render(request, "courses/check_in_by_qr.html", {
        "session": session,
        "enrolment": enrolment,
        "problem": None if enrolment and enrolment.checked_in_at
        else sessions.check_in_problem(person=person, session=session),
    })
