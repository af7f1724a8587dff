"""Carers and institution heads: the certification home page, applying for a session (with the eligibility
check shown reason by reason before submitting) and following an application to its result."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from academy.organisation.permissions import is_administrator

from .. import applications, selectors
from ..eligibility import eligibility_check, eligibility_reasons
from ..forms import ApplyForm
from ..models import Application, ApplicationStatus, AssessmentSession, Part, SessionStatus
from ..permissions import can_manage_session


@login_required
def my_certification(request):
    user = request.user
    today = timezone.localdate()
    own = list(selectors.applications_of(user))
    applied_sessions = {application.session_id for application in own if application.person_id == user.person_id
                        and application.status != ApplicationStatus.WITHDRAWN}
    open_sessions = list(applications.sessions_open(today=today)) if user.person_id else []
    carers = []
    if user.person_id:
        carers = [person for person in applications.people_user_may_apply_for(user, on=today) if person.pk != user.person_id]
    return render(request, "certification/home.html", {
        "rows": [_application_row(application) for application in own],
        "open_sessions": [(session, session.pk in applied_sessions) for session in open_sessions],
        "carers": carers,
        "has_person": bool(user.person_id),
        "is_assessor": user.is_assessor or selectors.assignments_of(user).exists(),
        "is_administrator": is_administrator(user),
    })


def _application_row(application: Application) -> dict:
    """What the pages show of an application: reasons, and the results once the session is signed off."""
    signed_off = application.session.status == SessionStatus.SIGNED_OFF
    results = sorted(application.part_results.all(), key=lambda result: _part_order(result.part))
    return {
        "application": application,
        "reasons": eligibility_reasons(application.eligibility) if application.eligibility else [],
        "results": results if signed_off else [result for result in results if result.carried_from_id],
        "signed_off": signed_off,
        "certificate": getattr(application, "certificate", None),
    }


def _part_order(part: str) -> int:
    return list(Part.values).index(part)


@login_required
@require_http_methods(["GET", "POST"])
def application_create(request, session_id):
    session = get_object_or_404(AssessmentSession.objects.select_related("centre", "rule_set"), public_id=session_id)
    today = timezone.localdate()
    people = list(applications.people_user_may_apply_for(request.user, on=today))
    if not people:
        # No linked person: nobody to apply for.
        raise PermissionDenied
    form = ApplyForm(request.POST or None, request.FILES or None, people=people)
    if request.method == "POST" and form.is_valid():
        try:
            application = applications.application_create(
                session=session, person=form.cleaned_data["person"], applied_by=request.user,
                external_hours=form.cleaned_data["external_hours"] or 0, proof=form.cleaned_data["proof"],
                photo=form.cleaned_data["photo"], today=today,
            )
        except applications.ApplicationRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            if application.is_eligible:
                messages.success(request, _("The application is submitted. The organiser will decide on it."))
            else:
                messages.warning(request, _(
                    "The application is submitted, but the check found the rules are not met yet: the organiser "
                    "cannot approve it as it stands."
                ))
            return redirect(application)

    chosen = _chosen_person(request, people)
    reasons, eligible = [], None
    if chosen is not None:
        check = eligibility_check(person=chosen, level=session.level, rule_set=session.rule_set, on=today)
        reasons, eligible = eligibility_reasons(check), check["eligible"]
    return render(request, "certification/apply.html", {
        "session": session,
        "form": form,
        # Only whether to show the form; application_create refuses a closed session itself.
        "is_open": session.status == SessionStatus.OPEN and session.applications_close_on >= today,
        "chosen": chosen,
        "reasons": reasons,
        "eligible": eligible,
        "choose_person": len(people) > 1,
    })


def _chosen_person(request, people):
    """The person whose check is shown: ?person=, the posted choice, or the user themselves."""
    wanted = request.POST.get("person") or request.GET.get("person") or request.user.person_id
    return next((person for person in people if str(person.pk) == str(wanted)), None)


@login_required
@require_http_methods(["GET", "POST"])
def application_detail(request, public_id):
    application = get_object_or_404(
        Application.objects.select_related("session", "session__centre", "person", "room", "decided_by"),
        public_id=public_id,
    )
    if not selectors.may_see_application(request.user, application):
        raise PermissionDenied
    if request.method == "POST" and request.POST.get("action") == "withdraw":
        try:
            applications.application_withdraw(application=application, user=request.user)
        except applications.ApplicationRefused as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, _("The application is withdrawn."))
        return redirect(application)
    row = _application_row(application)
    session = application.session
    return render(request, "certification/application_detail.html", {
        **row,
        "session": session,
        "parts": [Part(part).label for part in application.parts],
        "carried": [result for result in application.part_results.all() if result.carried_from_id],
        "may_withdraw": selectors.may_withdraw(application),
        "online_theory": bool(session.theory_exam_id) and Part.THEORY in application.parts
        and application.status == ApplicationStatus.APPROVED,
        "is_organiser": can_manage_session(request.user, session),
    })
