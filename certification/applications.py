"""Applying for a level: who may apply for whom, the automatic eligibility check, retakes of a failed part,
the administrator's decision, and opening the online theory exam with the session's code."""
import datetime
import secrets

from dateutil.relativedelta import relativedelta
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from academy.accounts import messages
from academy.accounts.notifications import notify
from academy.organisation.models import Person, Post, PostKind
from courses.exams import ExamRefused, attempt_create

from .eligibility import OCCUPATION_POSTS, eligibility_check, valid_certificate_held
from .models import (
    Application, ApplicationStatus, AssessmentSession, Outcome, Part, PartResult, SessionStatus,
)
from .permissions import can_manage_session
from .photos import photo_print_ready
from .rules import level_rules


class ApplicationRefused(Exception):
    """Why the application or the decision cannot be made; the message is for the user."""


def sessions_open(*, today: datetime.date):
    return AssessmentSession.objects.filter(status=SessionStatus.OPEN, applications_close_on__gte=today).select_related("centre")


def current_institution(*, person, on: datetime.date):
    """The institution where the person works as a carer (or otherwise) on that day."""
    posts = Post.objects.current(on).filter(person=person, institution__isnull=False).select_related("institution")
    carer = next((post for post in posts if post.kind in OCCUPATION_POSTS), None)
    chosen = carer or next(iter(posts), None)
    return chosen.institution if chosen else None


def people_user_may_apply_for(user, *, on: datetime.date):
    """The applicant themselves and, for an institution head, the carers of their institution."""
    if not user.is_authenticated or not user.person_id:
        return Person.objects.none()
    headed = Post.objects.current(on).filter(person_id=user.person_id, kind=PostKind.INSTITUTION_HEAD).values("institution")
    carers = Post.objects.current(on).filter(kind=PostKind.CARER, institution__in=headed).values("person")
    return Person.objects.filter(Q(pk__in=carers) | Q(pk=user.person_id)).order_by("name")


def may_apply_for(user, person, *, on: datetime.date) -> bool:
    if user.is_authenticated and user.person_id == person.pk:
        return True
    return people_user_may_apply_for(user, on=on).filter(pk=person.pk).exists() if user.person_id else False


def retake_carry(*, person, session: AssessmentSession) -> list[PartResult]:
    """The parts the person passed at this level in a signed-off session within the retake period and may
    carry instead of taking again; empty when there is nothing to retake."""
    months = level_rules(rule_set=session.rule_set, level=session.level).retake_months
    since = session.theory_starts_at - relativedelta(months=months)
    earlier = (
        Application.objects.filter(
            person=person, session__level=session.level, session__status=SessionStatus.SIGNED_OFF,
            session__signed_off_at__gte=since, outcome=Outcome.FAILED,
        )
        .exclude(session=session)
        .order_by("-session__signed_off_at")
        .first()
    )
    if earlier is None:
        return []
    # A carried part keeps pointing at where it was first passed.
    return [result.carried_from or result for result in earlier.part_results.filter(passed=True).select_related("carried_from")]


@transaction.atomic
def application_create(
    *, session: AssessmentSession, person, applied_by, external_hours=0, proof=None, photo=None,
    today: datetime.date | None = None,
) -> Application:
    today = today or timezone.localdate()
    if session.status != SessionStatus.OPEN or session.applications_close_on < today:
        raise ApplicationRefused(_("This session is not open for applications."))
    if not may_apply_for(applied_by, person, on=today):
        raise ApplicationRefused(_("You may apply only for yourself or for the carers of the institution you head."))
    # One application per person and session (one_application_per_session); a withdrawn one is made anew.
    existing = Application.objects.select_for_update().filter(session=session, person=person).first()
    if existing is not None and existing.status != ApplicationStatus.WITHDRAWN:
        raise _already_applied(existing)
    held = valid_certificate_held(person=person, level=session.level)
    if held is not None:
        raise ApplicationRefused(_(
            "%(name)s already holds the valid certificate %(number)s of this level: a second one is not issued."
        ) % {"name": person.name, "number": held.number})
    if external_hours and not proof:
        raise ApplicationRefused(_("Upload a proof of the external training hours, or declare none."))
    carried = retake_carry(person=person, session=session)
    all_parts = level_rules(rule_set=session.rule_set, level=session.level).parts
    carried_parts = {result.part for result in carried}
    check = eligibility_check(
        person=person, level=session.level, rule_set=session.rule_set, on=today,
        external_hours=external_hours or 0, has_proof=bool(proof),
    )
    application = existing or Application(session=session, person=person)
    fields = {
        "institution": current_institution(person=person, on=today), "applied_by": applied_by,
        "external_hours": external_hours or 0, "eligibility": check, "is_eligible": check["eligible"],
        "status": ApplicationStatus.SUBMITTED, "decided_by": None, "decided_at": None, "decision_reason": "",
        "parts": [part for part in all_parts if part not in carried_parts], "outcome": Outcome.PENDING,
    }
    for name, value in fields.items():
        setattr(application, name, value)
    try:
        with transaction.atomic():
            application.save()
    except IntegrityError:
        # The person's application was made at this very moment by someone else (the carer and the head of
        # the home both applying): the first one stands.
        other = Application.objects.filter(session=session, person=person).select_related("applied_by").first()
        if other is None:
            raise
        raise _already_applied(other) from None
    if proof or photo:
        if proof:
            application.external_hours_proof.save(proof.name, proof, save=False)
        if photo:
            application.photo.save("photo.jpg", _photo_as_printed(photo), save=False)
        application.save(update_fields=["external_hours_proof", "photo"])
    application.part_results.all().delete()
    for result in carried:
        PartResult.objects.create(
            application=application, part=result.part, score=result.score, pass_mark=result.pass_mark,
            passed=True, carried_from=result,
        )
    return application


def _photo_as_printed(photo) -> ContentFile:
    """The uploaded photo kept as the certificate prints it (certification/photos.py)."""
    try:
        return ContentFile(photo_print_ready(photo))
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError):
        raise ApplicationRefused(
            _("The photo could not be read as a JPG or PNG image. Take or save it again and upload it.")
        ) from None


def _already_applied(application: Application) -> ApplicationRefused:
    return ApplicationRefused(_(
        "%(name)s has already applied for this session: applied on %(date)s by %(applicant)s."
    ) % {
        "name": application.person.name, "date": timezone.localdate(application.applied_at).isoformat(),
        "applicant": application.applied_by.display_name,
    })


def application_withdraw(*, application: Application, user) -> None:
    """The applicant, whoever applied for them, or the session's organiser withdraws an application while
    the session is open."""
    if not (
        user.person_id == application.person_id or user.pk == application.applied_by_id
        or can_manage_session(user, application.session)
    ):
        raise ApplicationRefused(_("You may withdraw only your own applications or those you made."))
    if application.status not in (ApplicationStatus.SUBMITTED, ApplicationStatus.APPROVED):
        raise ApplicationRefused(_("This application can no longer be withdrawn."))
    if application.session.status != SessionStatus.OPEN:
        raise ApplicationRefused(_("Applications are closed: ask the organiser."))
    application.status = ApplicationStatus.WITHDRAWN
    application.save(update_fields=["status"])


@transaction.atomic
def application_decide(*, application: Application, user, approve: bool, reason: str = "") -> Application:
    """An organiser approves or rejects; a rejection needs a reason. The applicant is told either way."""
    application = Application.objects.select_for_update().select_related("session", "person").get(pk=application.pk)
    session = application.session
    if not can_manage_session(user, session):
        raise ApplicationRefused(_("You do not organise this session."))
    if session.status not in (SessionStatus.OPEN, SessionStatus.CLOSED):
        raise ApplicationRefused(_("Scoring has started: applications can no longer change."))
    if application.status == ApplicationStatus.WITHDRAWN:
        raise ApplicationRefused(_("The application was withdrawn."))
    reason = reason.strip()
    if approve:
        if not application.is_eligible:
            raise ApplicationRefused(_("The applicant does not meet the eligibility rules."))
        taken = session.applications.filter(status=ApplicationStatus.APPROVED).exclude(pk=application.pk).count()
        if taken >= session.capacity:
            raise ApplicationRefused(_("The session is full (%(capacity)s candidates).") % {"capacity": session.capacity})
    elif not reason:
        raise ApplicationRefused(_("Give the reason for the rejection."))
    application.status = ApplicationStatus.APPROVED if approve else ApplicationStatus.REJECTED
    application.decided_by = user
    application.decided_at = timezone.now()
    application.decision_reason = reason
    application.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    _tell_applicant(application)
    return application


def _tell_applicant(application: Application) -> None:
    account = getattr(application.person, "user", None)
    if account is None:
        return
    session, reason = application.session.title, application.decision_reason.strip()
    if application.status == ApplicationStatus.APPROVED:
        title = _("Your application for %(session)s is approved") % {"session": session}
        sms = messages.APPLICATION_APPROVED.bind(session=session)
    else:
        title = _("Your application for %(session)s is rejected") % {"session": session}
        sms = (messages.APPLICATION_REJECTED.bind(session=session, reason=reason) if reason
               else messages.APPLICATION_REJECTED_WITHOUT_REASON.bind(session=session))
    transaction.on_commit(lambda: notify(
        user=account, title=title, body=reason or title, url=application.get_absolute_url(), sms=sms,
    ))


def theory_code_new() -> str:
    """Six characters, without those easily misread on a projector (0/O, 1/I/L)."""
    return "".join(secrets.choice("23456789ABCDEFGHJKMNPQRSTUVWXYZ") for _ in range(6))


def theory_attempt_open(*, code: str, person, now: datetime.datetime | None = None):
    """Open (or resume) the candidate's online theory exam with the session's code, during its slot only."""
    now = now or timezone.now()
    code = code.strip().upper()
    session = AssessmentSession.objects.filter(theory_code=code, theory_exam__isnull=False).exclude(theory_code="").first()
    if session is None:
        raise ApplicationRefused(_("No assessment session has this code."))
    if not session.theory_starts_at <= now <= session.theory_ends_at:
        raise ApplicationRefused(_("The theory exam is open only during its slot."))
    if session.status != SessionStatus.SCORING:
        raise ApplicationRefused(_("The session's scoring has not opened yet: ask the invigilator."))
    application = session.applications.filter(person=person, status=ApplicationStatus.APPROVED).first()
    if application is None or Part.THEORY not in application.parts:
        raise ApplicationRefused(_("You are not a theory candidate of this session."))
    with transaction.atomic():
        application = Application.objects.select_for_update().get(pk=application.pk)
        if application.theory_attempt_id:
            return application.theory_attempt
        try:
            attempt = attempt_create(person=person, exam=session.theory_exam, now=now, time_limit_ends=session.theory_ends_at)
        except IntegrityError:
            raise ApplicationRefused(_("Please try again.")) from None
        except ExamRefused as refusal:
            raise ApplicationRefused(str(refusal)) from None
        application.theory_attempt = attempt
        application.save(update_fields=["theory_attempt"])
    return attempt
