"""Staffing rules and conflicts of interest: who may score whom, and whether a session is staffed well
enough for scoring to open. Every check reads the session's own rule set."""
import math

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from academy.organisation.models import Post

from .models import (
    ROLE_PART, Application, ApplicationStatus, AssessmentSession, Part, Room, SessionStatus, StaffAssignment, StaffRole,
)


def assessment_day(session: AssessmentSession):
    return session.theory_starts_at.date()


def institutions_of(user, *, on) -> set[int]:
    """The institutions the user works in on that day (from their person's posts)."""
    if not user.person_id:
        return set()
    return set(
        Post.objects.current(on).filter(person_id=user.person_id, institution__isnull=False)
        .values_list("institution_id", flat=True)
    )


def is_conflicted(*, user, application: Application, user_institutions: set[int] | None = None) -> bool:
    """The conflict-of-interest rule, for every role that touches a candidate's result (an invigilator
    entering a paper score, a skill assessor, the review panel, the chief signing off or amending, the organiser
    approving an amendment): nobody acts on a candidate from an institution they work in on the assessment
    day. ``user_institutions`` saves the look-up when the caller has it already."""
    if application.institution_id is None:
        return False
    if user_institutions is None:
        user_institutions = institutions_of(user, on=assessment_day(application.session))
    return application.institution_id in user_institutions


def candidates(session: AssessmentSession):
    return session.applications.filter(status=ApplicationStatus.APPROVED).select_related("person", "institution", "room")


def takes_part(application: Application, part: str) -> bool:
    return part in application.parts


def scorers_for(*, session: AssessmentSession, role: str, application: Application, staff=None) -> list:
    """The staff of ``role`` allowed to score ``application`` (those of its institution left out)."""
    staff = staff if staff is not None else staff_with_institutions(session)
    return [
        user for user, institutions in staff.get(role, [])
        if not is_conflicted(user=user, application=application, user_institutions=institutions)
    ]


def staff_with_institutions(session: AssessmentSession) -> dict[str, list]:
    on = assessment_day(session)
    staff = {}
    for assignment in session.staff.select_related("user"):
        staff.setdefault(assignment.role, []).append((assignment.user, institutions_of(assignment.user, on=on)))
    return staff


def staffing_problems(session: AssessmentSession) -> list[str]:
    """What stops scoring from opening, in words for the organiser; empty when the rules hold."""
    rules = session.rule_set
    problems = []
    assignments = list(session.staff.select_related("room"))
    roles = {}
    for assignment in assignments:
        roles.setdefault(assignment.role, []).append(assignment)
    people = list(candidates(session))
    staff = staff_with_institutions(session)
    if len(roles.get(StaffRole.CHIEF, [])) != 1:
        problems.append(_("The session needs one chief assessor."))
    else:
        # The chief signs off and amends every candidate's result, so must be free of conflict with them all.
        [(chief, chief_institutions)] = staff[StaffRole.CHIEF]
        for application in people:
            if is_conflicted(user=chief, application=application, user_institutions=chief_institutions):
                problems.append(
                    _("%(name)s (%(institution)s): the chief assessor is from the candidate's own institution.")
                    % {"name": application.person.name, "institution": application.institution}
                )

    theory = [application for application in people if takes_part(application, Part.THEORY)]
    invigilators = roles.get(StaffRole.INVIGILATOR, [])
    needed = math.ceil(len(theory) / rules.candidates_per_invigilator) if theory else 0
    if len(invigilators) < needed:
        problems.append(
            _("%(count)s theory candidates need at least %(needed)s invigilators; there are %(have)s.")
            % {"count": len(theory), "needed": needed, "have": len(invigilators)}
        )
    unseated = [application for application in theory if application.room_id is None]
    if unseated:
        problems.append(_("%(count)s theory candidates have no room.") % {"count": len(unseated)})
    for room in session.rooms.all():
        seated = sum(1 for application in theory if application.room_id == room.pk)
        if not seated:
            continue
        in_room = sum(1 for assignment in invigilators if assignment.room_id == room.pk)
        room_needed = max(rules.min_invigilators_per_room, math.ceil(seated / rules.candidates_per_invigilator))
        if in_room < room_needed:
            problems.append(
                _("Room %(room)s needs at least %(needed)s invigilators; it has %(have)s.")
                % {"room": room.name, "needed": room_needed, "have": in_room}
            )
        if seated > room.capacity:
            problems.append(
                _("Room %(room)s has %(seated)s candidates for %(seats)s seats.")
                % {"room": room.name, "seated": seated, "seats": room.capacity}
            )

    panels = [(StaffRole.SKILL_ASSESSOR, Part.SKILL, rules.min_skill_assessors, False)]
    if any(takes_part(application, Part.REVIEW) for application in people) or session.level in (1, 2):
        panels.append((StaffRole.REVIEW_PANEL, Part.REVIEW, rules.min_review_panel, rules.review_panel_odd))
    for role, part, minimum, odd in panels:
        members = len(staff.get(role, []))
        role_label = StaffRole(role).label
        if members < minimum:
            problems.append(
                _("At least %(minimum)s of role %(role)s are needed; there are %(have)s.")
                % {"minimum": minimum, "role": role_label, "have": members}
            )
        if odd and members % 2 == 0 and members:
            problems.append(_("The number of %(role)s must be odd; it is %(have)s.") % {"role": role_label, "have": members})
        for application in people:
            if not takes_part(application, part):
                continue
            allowed = len(scorers_for(session=session, role=role, application=application, staff=staff))
            if allowed < minimum or (odd and allowed % 2 == 0):
                problems.append(
                    _("%(name)s (%(institution)s): only %(have)s of role %(role)s are not from the candidate's own institution.")
                    % {
                        "name": application.person.name, "institution": application.institution or "-",
                        "have": allowed, "role": role_label,
                    }
                )
    return problems


@transaction.atomic
def rooms_assign(*, session: AssessmentSession) -> int:
    """Seat every theory candidate without a room in the rooms with seats left, in order; returns how many
    were seated. Candidates already seated keep their seat."""
    rooms = list(session.rooms.order_by("name"))
    taken = {room.pk: 0 for room in rooms}
    waiting = []
    for application in candidates(session).select_for_update(of=("self",)):
        if not takes_part(application, Part.THEORY):
            continue
        if application.room_id in taken:
            taken[application.room_id] += 1
        else:
            waiting.append(application)
    seated = 0
    for application in waiting:
        room = next((room for room in rooms if taken[room.pk] < room.capacity), None)
        if room is None:
            break
        taken[room.pk] += 1
        application.room = room
        application.save(update_fields=["room"])
        seated += 1
    return seated


def staff_assign(*, session: AssessmentSession, user, role: str, room: Room | None = None) -> StaffAssignment:
    if role == StaffRole.INVIGILATOR and room is None and session.rooms.exists():
        raise ValueError(_("Choose the room this invigilator watches."))
    if role != StaffRole.INVIGILATOR:
        room = None
    if role == StaffRole.CHIEF:
        _check_no_other_chief(session=session, user=user)
    try:
        with transaction.atomic():
            # The same person given the same role twice is one assignment (staff_role_once).
            assignment, _created = StaffAssignment.objects.update_or_create(
                session=session, user=user, role=role, defaults={"room": room}
            )
    except IntegrityError:
        # one_chief_per_session: another organiser named a different chief at the same moment.
        if role != StaffRole.CHIEF:
            raise
        _check_no_other_chief(session=session, user=user)
        raise
    return assignment


def _check_no_other_chief(*, session: AssessmentSession, user) -> None:
    chief = session.staff.filter(role=StaffRole.CHIEF).exclude(user=user).select_related("user__person").first()
    if chief is not None:
        raise ValueError(
            _("The session already has a chief assessor: %(name)s.") % {"name": chief.user.display_name}
        )


def scoring_part_of(role: str) -> str | None:
    return ROLE_PART.get(role)


def staff_remove(*, assignment: StaffAssignment) -> None:
    """Invigilators may change until sign-off; assessors and the chief stay once scoring has started, since
    the scores they entered count on their place on the panel."""
    session = assignment.session
    if session.is_signed_off:
        raise ValueError(_("The session is signed off: its staff no longer change."))
    if session.status == SessionStatus.SCORING and assignment.role != StaffRole.INVIGILATOR:
        raise ValueError(_("Scoring has started: assessors and the chief stay on the session."))
    assignment.delete()


def room_add(*, session: AssessmentSession, name: str, capacity: int) -> Room:
    if session.is_signed_off:
        raise ValueError(_("The session is signed off: its rooms no longer change."))
    if session.rooms.filter(name=name).exists():
        raise ValueError(_("The session already has a room of this name."))
    try:
        with transaction.atomic():
            return Room.objects.create(session=session, name=name, capacity=capacity)
    except IntegrityError:
        # room_name_unique: another organiser added the same room a moment ago.
        if not session.rooms.filter(name=name).exists():
            raise
        raise ValueError(_("The session already has a room of this name.")) from None
