"""Scores, results, sign-off and amendments: the pass rules in one place.

Each assessor scores each candidate independently; a part's score is the mean of its assessors' scores,
and a spread wider than the rule set allows is flagged to the chief assessor. The skill part fails when most
of its assessors fail a critical rubric item. A candidate passes when every part reaches its pass mark; a
part passed in an earlier session within the retake period is carried. Sign-off by the chief writes the
part results and locks them; later corrections are amendments with a reason, kept in the audit log. An
amendment that turns a fail into a pass takes effect only when an organiser of the session, a second person,
approves it. Nobody acts on a candidate of their own institution (staffing.is_conflicted).
"""
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from academy.audit.models import AuditAction
from academy.audit.services import audit_record
from courses.exams import attempt_close_if_expired

from .models import (
    ROLE_PART, AmendmentStatus, Application, AssessmentSession, AuditEntry, CertificateStatus, Outcome, Part,
    PartResult, Score, SessionStatus, StaffRole,
)
from .notices import amended_result_owe, session_results_owe
from .permissions import can_manage_session
from .rules import CRITICAL_ITEM_PASS_SHARE, level_rules
from .staffing import (
    assessment_day, candidates, institutions_of, is_conflicted, scorers_for, staff_with_institutions, staffing_problems,
)

ONE_PLACE = Decimal("0.1")


class ScoringRefused(Exception):
    """Why a score, a sign-off or an amendment cannot be made; the message is for the user."""


# --- Entering scores ------------------------------------------------------------------------------------


def session_open_scoring(*, session: AssessmentSession) -> None:
    if session.status == SessionStatus.SCORING:
        return
    if session.status == SessionStatus.SIGNED_OFF:
        raise ScoringRefused(_("The session is signed off."))
    waiting = session.applications.filter(status="submitted").count()
    problems = staffing_problems(session)
    if waiting:
        problems.insert(0, _("%(count)s applications still wait for a decision.") % {"count": waiting})
    if problems:
        raise ScoringRefused(" ".join(problems))
    session.status = SessionStatus.SCORING
    session.save(update_fields=["status"])


def _check_may_enter(*, session: AssessmentSession, user, application: Application, role: str) -> None:
    if session.status != SessionStatus.SCORING:
        raise ScoringRefused(
            _("The session's results are signed off and locked.") if session.is_signed_off
            else _("Scoring has not opened for this session.")
        )
    if application.session_id != session.pk or application.status != "approved":
        raise ScoringRefused(_("This person is not a candidate of the session."))
    if not session.staff.filter(user=user, role=role).exists():
        raise ScoringRefused(_("You are not assigned to this part of the session."))
    if is_conflicted(user=user, application=application):
        raise ScoringRefused(_("This candidate is from your own institution: another assessor scores them."))


def rubric_score(*, rubric, items: dict) -> tuple[Decimal, bool]:
    """The skill score from item points, and whether a critical item fell below its pass share. Every item
    must be scored between 0 and its points."""
    total = Decimal(0)
    critical_failed = False
    for item in rubric:
        raw = items.get(str(item.pk))
        if raw in (None, ""):
            raise ScoringRefused(_("Score every item: %(item)s is missing.") % {"item": item.title})
        try:
            points = Decimal(str(raw))
        except ArithmeticError:
            raise ScoringRefused(_("%(item)s: not a number.") % {"item": item.title}) from None
        if points < 0 or points > item.points:
            raise ScoringRefused(
                _("%(item)s: between 0 and %(points)s.") % {"item": item.title, "points": item.points}
            )
        total += points
        if item.is_critical and points < item.points * CRITICAL_ITEM_PASS_SHARE:
            critical_failed = True
    return total, critical_failed


@transaction.atomic
def score_record(*, application: Application, part: str, user, items: dict | None = None, value=None) -> Score:
    """An assessor's score for one part of one candidate: skill from rubric items, review as one value out of
    100. Scoring again replaces the assessor's own score until sign-off."""
    session = AssessmentSession.objects.select_for_update().get(pk=application.session_id)
    application = Application.objects.get(pk=application.pk)
    role = {Part.SKILL: StaffRole.SKILL_ASSESSOR, Part.REVIEW: StaffRole.REVIEW_PANEL}.get(part)
    if role is None:
        raise ScoringRefused(_("Theory scores come from the exam."))
    _check_may_enter(session=session, user=user, application=application, role=role)
    if part not in application.parts:
        raise ScoringRefused(_("The candidate does not take this part in this session."))
    critical_failed = False
    if part == Part.SKILL:
        rubric = level_rules(rule_set=session.rule_set, level=session.level).rubric
        value, critical_failed = rubric_score(rubric=rubric, items=items or {})
        items = {str(item.pk): str(Decimal(str(items[str(item.pk)]))) for item in rubric}
    else:
        value = _percent(value)
        items = {}
    score, _created = Score.objects.update_or_create(
        application=application, part=part, assessor=user,
        defaults={"value": value, "items": items, "critical_failed": critical_failed, "entered_by": user},
    )
    return score


@transaction.atomic
def theory_score_record(*, application: Application, user, value) -> Score:
    """A paper theory exam's score, entered by an invigilator (or the chief assessor)."""
    session = AssessmentSession.objects.select_for_update().get(pk=application.session_id)
    application = Application.objects.get(pk=application.pk)
    roles = set(session.staff.filter(user=user).values_list("role", flat=True))
    role = StaffRole.INVIGILATOR if StaffRole.INVIGILATOR in roles else StaffRole.CHIEF
    _check_may_enter(session=session, user=user, application=application, role=role)
    if Part.THEORY not in application.parts:
        raise ScoringRefused(_("The candidate does not take this part in this session."))
    if application.theory_attempt_id:
        raise ScoringRefused(_("The candidate took the theory exam online: its score comes from the platform."))
    score, _created = Score.objects.update_or_create(
        application=application, part=Part.THEORY, assessor=None,
        defaults={"value": _percent(value), "items": {}, "critical_failed": False, "entered_by": user},
    )
    return score


def _percent(value) -> Decimal:
    try:
        number = Decimal(str(value)).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)
    except ArithmeticError:
        raise ScoringRefused(_("Enter a score from 0 to 100.")) from None
    if number < 0 or number > 100:
        raise ScoringRefused(_("Enter a score from 0 to 100."))
    return number


def theory_scores_collect(*, session: AssessmentSession) -> int:
    """Copy the scores of finished online theory attempts into the session (an attempt left open past its
    time is scored with its saved answers first). Returns how many scores were written."""
    written = 0
    for application in candidates(session).filter(theory_attempt__isnull=False).select_related("theory_attempt__exam"):
        attempt = attempt_close_if_expired(attempt=application.theory_attempt)
        if attempt.submitted_at is None or attempt.score is None:
            continue
        _score, created = Score.objects.update_or_create(
            application=application, part=Part.THEORY, assessor=None,
            defaults={"value": Decimal(attempt.score), "items": {}, "critical_failed": False, "entered_by": None},
        )
        written += 1
    return written


# --- Results --------------------------------------------------------------------------------------------


@dataclass
class PartSummary:
    part: str
    pass_mark: Decimal
    scores: list[Score] = field(default_factory=list)
    expected: int = 1
    carried: PartResult | None = None
    # After sign-off: the locked result, which amendments change (the assessors' scores stay as entered).
    locked: PartResult | None = None

    @property
    def label(self) -> str:
        return Part(self.part).label

    @property
    def mean(self) -> Decimal | None:
        if self.carried is not None:
            return self.carried.score
        if self.locked is not None:
            return self.locked.score
        if not self.scores:
            return None
        return (sum(score.value for score in self.scores) / len(self.scores)).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)

    @property
    def spread(self) -> Decimal:
        values = [score.value for score in self.scores]
        return max(values) - min(values) if len(values) > 1 else Decimal(0)

    @property
    def critical_failed(self) -> bool:
        """Most of the assessors failed a critical item."""
        if self.carried is not None:
            return False
        if self.locked is not None:
            return self.locked.critical_failed
        failing = sum(1 for score in self.scores if score.critical_failed)
        return bool(self.scores) and failing * 2 > len(self.scores)

    @property
    def critical_disputed(self) -> bool:
        failing = sum(1 for score in self.scores if score.critical_failed)
        return 0 < failing * 2 <= len(self.scores)

    @property
    def is_complete(self) -> bool:
        return self.carried is not None or self.locked is not None or len(self.scores) >= self.expected

    @property
    def passed(self) -> bool:
        if self.carried is not None:
            return True
        if self.locked is not None:
            return self.locked.passed
        return self.is_complete and self.mean is not None and self.mean >= self.pass_mark and not self.critical_failed


@dataclass
class CandidateResult:
    application: Application
    parts: list[PartSummary]
    max_spread: Decimal

    @property
    def flags(self) -> list[str]:
        flags = []
        for part in self.parts:
            if part.spread > self.max_spread:
                flags.append(
                    _("%(part)s: assessors differ by %(spread)s points.") % {"part": part.label, "spread": part.spread}
                )
            if part.critical_disputed:
                flags.append(_("%(part)s: some assessors failed a critical item.") % {"part": part.label})
        return flags

    @property
    def is_complete(self) -> bool:
        return all(part.is_complete for part in self.parts)

    @property
    def is_absent(self) -> bool:
        return all(part.carried is not None or not part.scores for part in self.parts) and any(
            part.carried is None for part in self.parts
        )

    @property
    def outcome(self) -> str:
        if self.application.outcome:  # signed off: the locked outcome, amendments included
            return self.application.outcome
        if self.is_absent:
            return Outcome.ABSENT
        if not self.is_complete:
            return Outcome.PENDING
        return Outcome.PASSED if all(part.passed for part in self.parts) else Outcome.FAILED


def session_results(session: AssessmentSession) -> list[CandidateResult]:
    """Every candidate's parts as they stand: live scores while scoring; after sign-off, the locked results
    (with any amendment) beside the scores the assessors entered."""
    rules = level_rules(rule_set=session.rule_set, level=session.level)
    people = list(candidates(session).prefetch_related("scores", "part_results__carried_from"))
    staff = None
    results = []
    for application in people:
        stored = {result.part: result for result in application.part_results.all()}
        parts = []
        for part, pass_mark in rules.pass_marks.items():
            result = stored.get(part)
            carried = result.carried_from if result is not None and result.carried_from_id else None
            if carried is None and part not in application.parts:
                continue
            summary = PartSummary(part=part, pass_mark=pass_mark, carried=carried)
            if session.is_signed_off and carried is None:
                summary.locked = result
                summary.pass_mark = result.pass_mark if result is not None else pass_mark
            summary.scores = [score for score in application.scores.all() if score.part == part]
            if part in ROLE_PART.values() and carried is None:
                if staff is None:
                    staff = staff_with_institutions(session)
                role = StaffRole.SKILL_ASSESSOR if part == Part.SKILL else StaffRole.REVIEW_PANEL
                summary.expected = max(1, len(scorers_for(session=session, role=role, application=application, staff=staff)))
            parts.append(summary)
        results.append(CandidateResult(application=application, parts=parts, max_spread=session.rule_set.max_assessor_spread))
    return results


def _write_part_results(result: CandidateResult) -> None:
    for part in result.parts:
        PartResult.objects.update_or_create(
            application=result.application, part=part.part,
            defaults={
                "score": part.mean, "pass_mark": part.pass_mark, "passed": part.passed,
                "critical_failed": part.critical_failed, "carried_from": part.carried,
            },
        )


@transaction.atomic
def session_sign_off(*, session: AssessmentSession, user) -> list[CandidateResult]:
    """The chief assessor locks the results: every candidate is scored in full, or absent from all parts. Once
    this commits, the candidates are told their results (notices.py)."""
    session = AssessmentSession.objects.select_for_update().get(pk=session.pk)
    if session.is_signed_off:
        raise ScoringRefused(_("The session is already signed off."))
    if session.status != SessionStatus.SCORING:
        raise ScoringRefused(_("Scoring has not opened for this session."))
    if not session.staff.filter(user=user, role=StaffRole.CHIEF).exists():
        raise ScoringRefused(_("Only the session's chief assessor signs it off."))
    user_institutions = institutions_of(user, on=assessment_day(session))
    conflicted = sum(
        1 for application in candidates(session)
        if is_conflicted(user=user, application=application, user_institutions=user_institutions)
    )
    if conflicted:
        raise ScoringRefused(ngettext(
            "%(count)s candidate is from your own institution: another chief assessor signs the session off.",
            "%(count)s candidates are from your own institution: another chief assessor signs the session off.",
            conflicted,
        ) % {"count": conflicted})
    theory_scores_collect(session=session)
    results = session_results(session)
    if not Score.objects.filter(application__session=session).exists():
        raise ScoringRefused(_("No score has been entered yet: a session is signed off after its assessment."))
    unfinished = [result.application.person.name for result in results if result.outcome == Outcome.PENDING]
    if unfinished:
        raise ScoringRefused(
            _("Scores are missing for: %(names)s.") % {"names": ", ".join(unfinished)}
        )
    for result in results:
        _write_part_results(result)
        result.application.outcome = result.outcome
        result.application.save(update_fields=["outcome"])
    session.status = SessionStatus.SIGNED_OFF
    session.signed_off_at = timezone.now()
    session.signed_off_by = user
    session.save(update_fields=["status", "signed_off_at", "signed_off_by"])
    session_results_owe(session)
    return results


def _outcome_of(results: list[PartResult]) -> str:
    if not results:
        return Outcome.ABSENT
    if any(result.score is None and result.carried_from_id is None for result in results):
        return Outcome.ABSENT if all(result.score is None for result in results) else Outcome.FAILED
    return Outcome.PASSED if all(result.passed for result in results) else Outcome.FAILED


def _part_result_set(result: PartResult, score: Decimal) -> None:
    result.score = score
    result.passed = score >= result.pass_mark and not result.critical_failed


@transaction.atomic
def result_amend(*, application: Application, part: str, score, user, reason: str) -> AuditEntry:
    """The chief assessor corrects a part's score after sign-off. The audit log keeps who, when, why, and
    the part and the outcome before and after. A correction that turns a fail into a pass waits for an
    organiser's approval (amendment_decide) and changes nothing until then. A changed outcome is told to the
    candidate once it takes effect (notices.py)."""
    session = AssessmentSession.objects.select_for_update().get(pk=application.session_id)
    if not session.is_signed_off:
        raise ScoringRefused(_("Before sign-off, scores are changed by the assessors themselves."))
    if not session.staff.filter(user=user, role=StaffRole.CHIEF).exists():
        raise ScoringRefused(_("Only the session's chief assessor amends its results."))
    if not reason.strip():
        raise ScoringRefused(_("Give the reason for the amendment."))
    application = Application.objects.select_for_update().get(pk=application.pk)
    if is_conflicted(user=user, application=application):
        raise ScoringRefused(_("This candidate is from your own institution: you may not amend their result."))
    if application.audit_entries.filter(status=AmendmentStatus.PENDING).exists():
        raise ScoringRefused(_("An amendment of this candidate waits for the organiser's approval: it is decided first."))
    results = list(application.part_results.all())
    result = next((result for result in results if result.part == part and result.carried_from_id is None), None)
    if result is None:
        raise ScoringRefused(_("The candidate has no result for this part in this session."))
    new_score = _percent(score)
    before = _audit_state(result, application.outcome)
    _part_result_set(result, new_score)
    outcome = _outcome_of(results)
    after = _audit_state(result, outcome)
    if outcome == Outcome.PASSED and application.outcome != Outcome.PASSED:
        status = AmendmentStatus.PENDING
    else:
        certificate = getattr(application, "certificate", None)
        if outcome != Outcome.PASSED and certificate is not None and certificate.status == CertificateStatus.VALID:
            raise ScoringRefused(
                _("Certificate %(number)s was issued on this result: revoke it before amending the result to a fail.")
                % {"number": certificate.number}
            )
        status = AmendmentStatus.APPLIED
        result.save(update_fields=["score", "passed"])
        application.outcome = outcome
        application.save(update_fields=["outcome"])
    entry = AuditEntry.objects.create(
        session=session, application=application, actor=user, action=f"amend_{part}", reason=reason.strip(),
        before=before, after=after, status=status,
    )
    audit_record(
        action=AuditAction.RESULT_AMENDED, actor=user, target=application, region_code=session.centre.region_id,
        detail={"part": part, "before": before, "after": after, "reason": entry.reason, "status": status},
    )
    if status == AmendmentStatus.APPLIED and before["outcome"] != outcome:
        amended_result_owe(entry)
    return entry


@transaction.atomic
def amendment_decide(*, entry: AuditEntry, user, approve: bool, reason: str = "") -> AuditEntry:
    """An organiser of the session, not the chief who made it, approves a pending amendment (which then takes
    effect) or rejects it with a reason (and nothing changes)."""
    entry = AuditEntry.objects.select_for_update().select_related("session__centre", "actor").get(pk=entry.pk)
    if not entry.is_pending:
        raise ScoringRefused(_("This amendment has already been decided."))
    if not can_manage_session(user, entry.session):
        raise ScoringRefused(_("Only the session's organisers approve amendments."))
    if user.pk == entry.actor_id:
        raise ScoringRefused(_("An amendment is approved by someone other than the person who made it."))
    application = Application.objects.select_for_update().get(pk=entry.application_id)
    if is_conflicted(user=user, application=application):
        raise ScoringRefused(_("This candidate is from your own institution: another organiser decides."))
    reason = (reason or "").strip()
    if not approve and not reason:
        raise ScoringRefused(_("Give the reason for rejecting the amendment."))
    outcome_before = application.outcome
    if approve:
        # Nothing else changed the results meanwhile: a pending amendment holds off every other.
        result = application.part_results.get(part=entry.part, carried_from__isnull=True)
        _part_result_set(result, Decimal(entry.after["score"]))
        result.save(update_fields=["score", "passed"])
        application.outcome = _outcome_of(list(application.part_results.all()))
        application.save(update_fields=["outcome"])
    entry.status = AmendmentStatus.APPROVED if approve else AmendmentStatus.REJECTED
    entry.decided_by, entry.decided_at, entry.decision_reason = user, timezone.now(), reason
    entry.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    if application.outcome != outcome_before:
        amended_result_owe(entry)
    audit_record(
        action=AuditAction.AMENDMENT_APPROVED if approve else AuditAction.AMENDMENT_REJECTED, actor=user,
        target=application, region_code=entry.session.centre.region_id,
        detail={
            "part": entry.part, "before": entry.before, "after": entry.after, "reason": entry.reason,
            "amended_by": str(entry.actor), "amended_at": entry.at.isoformat(),
            ("approved_by" if approve else "rejected_by"): str(user), "decision_reason": reason,
        },
    )
    return entry


def _audit_state(result: PartResult, outcome: str) -> dict:
    return {
        "part": result.part,
        "score": None if result.score is None else str(result.score),
        "passed": result.passed,
        "outcome": outcome,
    }
