"""Assessors on a phone: their sessions, the candidates they may score (never those of their own
institution), the rubric form; invigilators' paper theory scores; the results table, the chief's sign-off
and amendments, the audit log (organisers and the chief: permissions.can_see_results) and the organisers'
approval of amendments that turn a fail into a pass. A member of the staff never sees a candidate of their own
institution (selectors.candidates_hidden_from). Candidates open the online theory exam with the session's code."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from .. import applications, scoring, selectors
from ..forms import (
    AmendForm, DecisionForm, PercentScoreForm, SignOffForm, SkillScoreForm, TheoryCodeForm, TheoryPaperScoreForm,
)
from ..models import ROLE_PART, Application, AssessmentSession, AuditEntry, Outcome, Part, SessionStatus, StaffRole
from ..permissions import can_manage_session, can_see_results, is_chief, staff_roles
from ..rules import level_rules
from ..staffing import is_conflicted

AUDIT_ENTRIES_PER_PAGE = 50


def _session(public_id) -> AssessmentSession:
    return get_object_or_404(AssessmentSession.objects.select_related("centre", "rule_set"), public_id=public_id)


# --- Candidates: the online theory exam ----------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def theory_entry(request):
    person = request.user.person
    form = TheoryCodeForm(request.POST or None)
    if person is not None and request.method == "POST" and form.is_valid():
        try:
            attempt = applications.theory_attempt_open(code=form.cleaned_data["code"], person=person)
        except applications.ApplicationRefused as refusal:
            form.add_error("code", str(refusal))
        else:
            return redirect("courses:attempt_take", pk=attempt.pk)
    return render(request, "certification/theory_entry.html", {"form": form, "no_person": person is None})


# --- Assessors ------------------------------------------------------------------------------------------


@login_required
def assessor_home(request):
    assignments = list(selectors.assignments_of(request.user))
    if not assignments and not request.user.is_assessor:
        raise PermissionDenied
    sessions = {}
    for assignment in assignments:
        sessions.setdefault(assignment.session, []).append(assignment)
    return render(request, "certification/assessor_home.html", {"sessions": list(sessions.items())})


@login_required
@require_http_methods(["GET", "POST"])
def assessor_session(request, public_id):
    session = _session(public_id)
    roles = staff_roles(request.user, session)
    if not roles:
        raise PermissionDenied
    if request.method == "POST":
        return _theory_paper_score(request, session)
    work = selectors.assessor_work(session=session, user=request.user)
    return render(request, "certification/assessor_session.html", {
        "session": session,
        "work": work,
        "is_chief": StaffRole.CHIEF in roles,
        "scoring_open": session.status == SessionStatus.SCORING,
        "theory_form": PercentScoreForm(),
    })


def _theory_paper_score(request, session: AssessmentSession):
    """An invigilator (or the chief) enters a paper theory exam's score from the candidate list."""
    form = TheoryPaperScoreForm(request.POST)
    back = reverse("certification:assessor_session", args=[session.public_id])
    if not form.is_valid():
        messages.error(request, _("Enter a score from 0 to 100."))
        return redirect(back)
    application = get_object_or_404(session.applications.select_related("person"), public_id=form.cleaned_data["application"])
    try:
        scoring.theory_score_record(application=application, user=request.user, value=form.cleaned_data["value"])
    except scoring.ScoringRefused as refusal:
        if is_conflicted(user=request.user, application=application):
            messages.error(request, str(refusal))  # not even the name of a candidate of one's own institution
        else:
            messages.error(request, "%(name)s: %(refusal)s" % {"name": application.person.name, "refusal": refusal})
    else:
        messages.success(request, _("Theory score saved for %(name)s: %(score)s.") % {
            "name": application.person.name, "score": floatformat(form.cleaned_data["value"], -1),
        })
    return redirect(back + "#theory")


@login_required
@require_http_methods(["GET", "POST"])
def score_candidate(request, public_id, application_id, part):
    session = _session(public_id)
    if part not in (Part.SKILL, Part.REVIEW):
        raise Http404
    role = next(role for role, role_part in ROLE_PART.items() if role_part == part)
    if role not in staff_roles(request.user, session):
        raise PermissionDenied
    application = get_object_or_404(session.applications.select_related("person", "institution"), public_id=application_id)
    if is_conflicted(user=request.user, application=application):
        # Refused without the candidate's name: it is none of the assessor's business.
        return render(request, "certification/score_candidate.html", {
            "session": session, "application": None, "part": part, "part_label": Part(part).label,
            "refusal": _("This candidate is from your own institution: another assessor scores them."),
        }, status=403)
    rubric = level_rules(rule_set=session.rule_set, level=session.level).rubric if part == Part.SKILL else []
    existing = selectors.own_score(application=application, part=part, user=request.user)
    back = reverse("certification:assessor_session", args=[session.public_id])

    if part == Part.SKILL:
        initial = {f"item_{key}": value for key, value in (existing.items if existing else {}).items()}
        form = SkillScoreForm(request.POST or None, rubric=rubric, initial=initial)
    else:
        form = PercentScoreForm(request.POST or None, initial={"value": existing.value} if existing else None)

    if request.method == "POST" and form.is_valid():
        arguments = {"items": form.items()} if part == Part.SKILL else {"value": form.cleaned_data["value"]}
        try:
            score = scoring.score_record(application=application, part=part, user=request.user, **arguments)
        except scoring.ScoringRefused as refusal:
            messages.error(request, str(refusal))
            return redirect(back)
        messages.success(request, _("Saved: %(score)s for %(name)s.") % {
            "score": floatformat(score.value, -1), "name": application.person.name,
        })
        return redirect(back + "#" + part)

    # A refusal is shown before the assessor spends time on a form the service would reject.
    refusal = None
    if session.status != SessionStatus.SCORING:
        refusal = _("The session's results are signed off and locked.") if session.is_signed_off else _(
            "Scoring has not opened for this session.")
    elif part not in application.parts:
        refusal = _("The candidate does not take this part in this session.")
    return render(request, "certification/score_candidate.html", {
        "session": session,
        "application": application,
        "part": part,
        "part_label": Part(part).label,
        "form": form,
        "existing": existing,
        "refusal": refusal,
    })


# --- Results, sign-off, amendments, audit ----------------------------------------------------------------


def _results_session(request, public_id) -> AssessmentSession:
    session = _session(public_id)
    if not can_see_results(request.user, session):
        raise PermissionDenied
    return session


@login_required
@require_http_methods(["GET", "POST"])
def session_results(request, public_id):
    session = _results_session(request, public_id)
    chief = is_chief(request.user, session)
    if request.method == "POST" and request.POST.get("action") == "collect":
        if session.status != SessionStatus.SCORING:
            messages.error(request, _("Theory scores are collected while the session is scoring."))
        else:
            written = scoring.theory_scores_collect(session=session)
            messages.success(request, ngettext(
                "%(count)s online theory score collected.", "%(count)s online theory scores collected.", written,
            ) % {"count": written})
        return redirect("certification:session_results", public_id=session.public_id)

    hidden = selectors.candidates_hidden_from(session=session, user=request.user)
    results = [result for result in scoring.session_results(session) if result.application.pk not in hidden]
    amended = selectors.amended_parts(session)
    names = selectors.assessor_names(session)
    rows = []
    for result in results:
        rows.append({
            "result": result,
            "parts": [
                {
                    "summary": part,
                    "scores": [
                        (names.get(score.assessor_id, "") if score.assessor_id else _("Theory exam"), score)
                        for score in part.scores
                    ],
                    "amended": amended.get((result.application.pk, part.part)),
                }
                for part in result.parts
            ],
            # After sign-off, session_results gives the locked outcome and part results (amendments included).
            "outcome": Outcome(result.outcome).label,
            "outcome_value": result.outcome,
        })
    flagged = any(result.flags for result in results)
    return render(request, "certification/session_results.html", {
        "session": session,
        "rows": rows,
        "flagged_count": sum(1 for result in results if result.flags),
        "is_chief": chief,
        "is_organiser": can_manage_session(request.user, session),
        "sign_off_form": SignOffForm(flagged=flagged) if chief and session.status == SessionStatus.SCORING else None,
        "has_online_theory": bool(session.theory_exam_id),
        "hidden_count": len(hidden),
    })


@login_required
@require_POST
def session_sign_off(request, public_id):
    session = _results_session(request, public_id)
    results = scoring.session_results(session) if session.status == SessionStatus.SCORING else []
    form = SignOffForm(request.POST, flagged=any(result.flags for result in results))
    back = redirect("certification:session_results", public_id=session.public_id)
    if not form.is_valid():
        messages.error(request, " ".join(error for errors in form.errors.values() for error in errors))
        return back
    try:
        scoring.session_sign_off(session=session, user=request.user)
    except scoring.ScoringRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("The results are signed off and locked. Certificates can now be issued."))
    return back


@login_required
@require_http_methods(["GET", "POST"])
def result_amend(request, public_id):
    application = get_object_or_404(
        Application.objects.select_related("session", "session__rule_set", "person"), public_id=public_id
    )
    session = application.session
    if not is_chief(request.user, session) or is_conflicted(user=request.user, application=application):
        raise PermissionDenied
    results = [result for result in application.part_results.all() if not result.carried_from_id]
    form = AmendForm(
        request.POST or None, parts=[result.part for result in results], initial={"part": request.GET.get("part")}
    )
    if request.method == "POST" and form.is_valid():
        try:
            entry = scoring.result_amend(
                application=application, part=form.cleaned_data["part"], score=form.cleaned_data["score"],
                user=request.user, reason=form.cleaned_data["reason"],
            )
        except scoring.ScoringRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            if entry.is_pending:
                messages.warning(request, _(
                    "The amendment turns a fail into a pass: it waits for the organiser's approval and takes effect "
                    "only then."
                ))
            else:
                messages.success(request, _("The result is amended; the change is in the audit log."))
            return redirect("certification:audit_log", public_id=session.public_id)
    return render(request, "certification/result_amend.html", {
        "session": session, "application": application, "results": results, "form": form,
    })


@login_required
def audit_log(request, public_id):
    session = _results_session(request, public_id)
    hidden = selectors.candidates_hidden_from(session=session, user=request.user)
    entries = selectors.session_audit_entries(session, hidden=hidden)
    page = Paginator(entries, AUDIT_ENTRIES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "certification/audit_log.html", {
        "session": session,
        "page_obj": page,
        "may_decide": can_manage_session(request.user, session),
        "decision_form": DecisionForm(),
    })


@login_required
@require_POST
def amendment_decide(request, pk):
    """An organiser approves or rejects an amendment that waits (one that turns a fail into a pass)."""
    entry = get_object_or_404(AuditEntry.objects.select_related("session", "application__person"), pk=pk)
    if not can_manage_session(request.user, entry.session):
        raise PermissionDenied
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose to approve or to reject."))
    else:
        approve = form.cleaned_data["decision"] == "approve"
        try:
            scoring.amendment_decide(entry=entry, user=request.user, approve=approve, reason=form.cleaned_data["reason"])
        except scoring.ScoringRefused as refusal:
            messages.error(request, str(refusal))
        else:
            text = _("The amendment of %(name)s is approved: the result now counts.") if approve else _(
                "The amendment of %(name)s is rejected: the result stays as it was.")
            messages.success(request, text % {"name": entry.application.person.name})
    return redirect("certification:audit_log", public_id=entry.session.public_id)
