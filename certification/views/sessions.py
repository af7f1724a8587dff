"""Administrators: assessment sessions of the centres in their scope (permissions.sessions_managed_by),
decisions on applications, rooms and seating, staff, and opening scoring. Anonymous visitors sign in first;
everyone else, including administrators of another region, gets 403."""
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from academy.organisation.permissions import administrator_required

from .. import applications, scoring, selectors, staffing
from ..eligibility import eligibility_reasons
from ..forms import AssessorSearchForm, DecisionForm, RoomForm, SessionForm, StaffForm
from ..models import Application, ApplicationStatus, AssessmentSession, RuleSet, SessionStatus, StaffRole
from ..permissions import can_manage_session, sessions_managed_by
from ..sessions import SessionRefused, session_save

SESSIONS_PER_PAGE = 30
ASSESSORS_SHOWN = 30


def _managed_session(request, public_id) -> AssessmentSession:
    session = get_object_or_404(
        AssessmentSession.objects.select_related("centre", "rule_set", "theory_exam"), public_id=public_id
    )
    if not can_manage_session(request.user, session):
        raise PermissionDenied
    return session


@administrator_required
def session_list(request):
    sessions = sessions_managed_by(request.user).select_related("centre").annotate(
        submitted_count=Count("applications", filter=Q(applications__status=ApplicationStatus.SUBMITTED)),
        approved_count=Count("applications", filter=Q(applications__status=ApplicationStatus.APPROVED)),
    ).order_by("-theory_starts_at", "pk")
    page = Paginator(sessions, SESSIONS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "certification/session_list.html", {
        "page_obj": page,
        "may_create": selectors.centres_in_scope(request.user).exists(),
    })


@administrator_required
@require_http_methods(["GET", "POST"])
def session_create(request):
    rule_set = RuleSet.objects.current()
    centres = selectors.centres_in_scope(request.user)
    form = SessionForm(request.POST or None, centres=centres)
    if request.method == "POST" and form.is_valid():
        try:
            session = session_save(session=form.save(commit=False), created_by=request.user)
        except SessionRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("The session is created and open for applications."))
            return redirect(session)
    return render(request, "certification/session_form.html", {
        "form": form, "session": None, "rule_set": rule_set, "no_centres": not centres.exists(),
    })


@administrator_required
@require_http_methods(["GET", "POST"])
def session_edit(request, public_id):
    session = _managed_session(request, public_id)
    form = SessionForm(request.POST or None, instance=session, centres=selectors.centres_in_scope(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            session = session_save(session=form.save(commit=False))
        except SessionRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("The session is saved."))
            return redirect(session)
    stored = AssessmentSession.objects.get(pk=session.pk)
    return render(request, "certification/session_form.html", {"form": form, "session": stored, "rule_set": stored.rule_set})


@administrator_required
@require_http_methods(["GET", "POST"])
def session_detail(request, public_id):
    session = _managed_session(request, public_id)
    room_form = RoomForm()
    if request.method == "POST" and session.is_signed_off:
        messages.error(request, _("The session is signed off: its rooms no longer change."))
        return redirect(session)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "add_room":
            room_form = RoomForm(request.POST)
            if room_form.is_valid():
                try:
                    room = staffing.room_add(
                        session=session, name=room_form.cleaned_data["name"], capacity=room_form.cleaned_data["capacity"]
                    )
                except ValueError as refusal:
                    room_form.add_error("name", str(refusal))
                else:
                    messages.success(request, _("Room %(room)s is added.") % {"room": room.name})
                    return redirect(reverse("certification:session_detail", args=[session.public_id]) + "#rooms")
        elif action == "seat":
            seated = staffing.rooms_assign(session=session)
            messages.success(request, ngettext(
                "%(count)s candidate seated.", "%(count)s candidates seated.", seated) % {"count": seated})
            return redirect(reverse("certification:session_detail", args=[session.public_id]) + "#rooms")

    session_applications = list(
        session.applications.select_related("person", "institution", "room", "decided_by")
        .order_by("status", "person__name")
    )
    rooms = list(session.rooms.all())
    seated = {}
    for application in session_applications:
        if application.status == ApplicationStatus.APPROVED and application.room_id:
            seated[application.room_id] = seated.get(application.room_id, 0) + 1
    counts = selectors.staff_counts(session)
    may_decide = session.status in (SessionStatus.OPEN, SessionStatus.CLOSED)
    return render(request, "certification/session_detail.html", {
        "session": session,
        "rows": [
            {"application": application, "reasons": eligibility_reasons(application.eligibility) if application.eligibility else []}
            for application in session_applications
        ],
        "approved_count": sum(1 for application in session_applications if application.status == ApplicationStatus.APPROVED),
        "waiting_count": sum(1 for application in session_applications if application.status == ApplicationStatus.SUBMITTED),
        "may_decide": may_decide,
        "rooms": [(room, seated.get(room.pk, 0)) for room in rooms],
        "room_form": room_form,
        "staff_counts": [(role.label, counts.get(role.value, 0)) for role in StaffRole],
        "problems": staffing.staffing_problems(session) if may_decide else [],
        "certificates": selectors.session_certificates(session) if session.is_signed_off else [],
        "pending_amendments": selectors.pending_amendments_count(session) if session.is_signed_off else 0,
    })


@administrator_required
@require_POST
def application_decide(request, public_id):
    application = get_object_or_404(Application.objects.select_related("session", "person"), public_id=public_id)
    if not can_manage_session(request.user, application.session):
        raise PermissionDenied
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose to approve or to reject."))
    else:
        approve = form.cleaned_data["decision"] == "approve"
        try:
            applications.application_decide(
                application=application, user=request.user, approve=approve, reason=form.cleaned_data["reason"]
            )
        except applications.ApplicationRefused as refusal:
            messages.error(request, "%(name)s: %(refusal)s" % {"name": application.person.name, "refusal": refusal})
        else:
            text = _("%(name)s is approved.") if approve else _("%(name)s is rejected.")
            messages.success(request, text % {"name": application.person.name})
    return redirect(reverse("certification:session_detail", args=[application.session.public_id]) + "#applications")


@administrator_required
@require_POST
def session_open_scoring(request, public_id):
    session = _managed_session(request, public_id)
    try:
        scoring.session_open_scoring(session=session)
    except scoring.ScoringRefused as refusal:
        messages.error(request, _("Scoring cannot open yet: %(problems)s") % {"problems": refusal})
    else:
        messages.success(request, _("Scoring is open: assessors can now enter scores."))
    return redirect(session)


@administrator_required
@require_http_methods(["GET", "POST"])
def session_staff(request, public_id):
    session = _managed_session(request, public_id)
    search_form = AssessorSearchForm(request.GET)
    text = search_form.cleaned_data["q"] if search_form.is_valid() else ""
    staff_form = StaffForm(session=session, assessors=selectors.assessors_search())
    if request.method == "POST":
        action = request.POST.get("action")
        if session.is_signed_off:
            messages.error(request, _("The session is signed off: its staff no longer change."))
            return redirect("certification:session_staff", public_id=session.public_id)
        if action == "add":
            staff_form = StaffForm(request.POST, session=session, assessors=selectors.assessors_search())
            if staff_form.is_valid():
                user = staff_form.cleaned_data["user"]
                role = staff_form.cleaned_data["role"]
                try:
                    staffing.staff_assign(session=session, user=user, role=role, room=staff_form.cleaned_data["room"])
                except ValueError as refusal:
                    messages.error(request, str(refusal))
                else:
                    messages.success(request, _("%(name)s is %(role)s.") % {
                        "name": user.display_name, "role": StaffRole(role).label,
                    })
                    return redirect(request.get_full_path())
            else:
                messages.error(request, " ".join(error for errors in staff_form.errors.values() for error in errors))
        elif action == "remove":
            assignment = get_object_or_404(session.staff.select_related("user"), pk=request.POST.get("assignment"))
            try:
                staffing.staff_remove(assignment=assignment)
            except ValueError as refusal:
                messages.error(request, str(refusal))
            else:
                messages.success(request, _("%(name)s is no longer %(role)s.") % {
                    "name": assignment.user.display_name, "role": assignment.get_role_display(),
                })
            return redirect(request.get_full_path())

    day = staffing.assessment_day(session)
    staff = list(selectors.session_staff(session))
    found = list(selectors.assessors_search(text=text)[:ASSESSORS_SHOWN]) if text or request.GET.get("all") else []
    names = selectors.institution_names([assignment.user for assignment in staff] + found, on=day)
    return render(request, "certification/session_staff.html", {
        "session": session,
        "staff": [(assignment, names.get(assignment.user_id, "")) for assignment in staff],
        "found": [(user, names.get(user.pk, "")) for user in found],
        "search_form": search_form,
        "searched": bool(text) or bool(request.GET.get("all")),
        "roles": StaffRole.choices,
        "rooms": list(session.rooms.all()),
        "problems": staffing.staffing_problems(session) if session.status in (SessionStatus.OPEN, SessionStatus.CLOSED) else [],
        "now": timezone.now(),
    })
