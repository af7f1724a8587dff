"""Read-only look-ups for the certification pages: what a user sees of their applications, an assessor's
sessions and candidates, centres in an administrator's scope, the assessors to choose from. The rules
themselves stay in eligibility, staffing, scoring and applications; these only gather rows for the pages."""
from dataclasses import dataclass, field

from django.db.models import Count, Q

from academy.accounts import phone as mobile_numbers
from academy.accounts.models import User
from academy.organisation.models import Post
from academy.organisation.scope import scope_for

from .models import (
    AmendmentStatus, Application, ApplicationStatus, AssessmentCentre, AssessmentSession, AuditEntry, Certificate,
    Part, Score, SessionStatus, StaffAssignment, StaffRole,
)
from .permissions import can_manage_session
from .staffing import assessment_day, candidates, institutions_of, is_conflicted, scoring_part_of, takes_part


def applications_of(user):
    """The user's own applications and those they made for others (an institution head's carers)."""
    if not user.is_authenticated:
        return Application.objects.none()
    own = Q(person_id=user.person_id) if user.person_id else Q(pk__in=[])
    return (
        Application.objects.filter(own | Q(applied_by=user))
        .select_related("session", "session__centre", "person", "certificate")
        .prefetch_related("part_results")
        .order_by("-applied_at")
    )


def may_see_application(user, application: Application) -> bool:
    """The person, whoever applied for them, and the session's organisers."""
    if not user.is_authenticated:
        return False
    if user.person_id and user.person_id == application.person_id:
        return True
    return application.applied_by_id == user.pk or can_manage_session(user, application.session)


def may_withdraw(application: Application) -> bool:
    """Whether to offer the Withdraw button; applications.application_withdraw has the last word."""
    return (
        application.status in (ApplicationStatus.SUBMITTED, ApplicationStatus.APPROVED)
        and application.session.status == SessionStatus.OPEN
    )


def centres_in_scope(user):
    scope = scope_for(user)
    if scope.is_empty:
        return AssessmentCentre.objects.none()
    return AssessmentCentre.objects.filter(region__code__startswith=scope.region_code)


def session_certificates(session: AssessmentSession):
    return Certificate.objects.filter(application__session=session).select_related("person").order_by("number")


def session_audit_entries(session: AssessmentSession, *, hidden: set[int] = frozenset()):
    return (
        AuditEntry.objects.filter(session=session).exclude(application_id__in=hidden)
        .select_related("actor", "actor__person", "decided_by", "decided_by__person", "application__person")
    )


def pending_amendments_count(session: AssessmentSession) -> int:
    return AuditEntry.objects.filter(session=session, status=AmendmentStatus.PENDING).count()


def candidates_hidden_from(*, session: AssessmentSession, user) -> set[int]:
    """The ids of the candidates whose names and results the user may not see: for the session's staff, those
    of their own institution (staffing.is_conflicted). Organisers see every candidate."""
    if can_manage_session(user, session):
        return set()
    user_institutions = institutions_of(user, on=assessment_day(session))
    return {
        application.pk for application in candidates(session)
        if is_conflicted(user=user, application=application, user_institutions=user_institutions)
    }


# --- Staff ----------------------------------------------------------------------------------------------


def assessors_search(*, text: str = ""):
    """Users who may be assessors, by name or mobile number."""
    queryset = User.objects.filter(is_assessor=True, is_active=True).select_related("person")
    text = text.strip()
    if text:
        if mobile_numbers.is_valid(text):
            number = mobile_numbers.normalise(text)
            queryset = queryset.filter(Q(phone=number) | Q(person__mobile=number))
        else:
            queryset = queryset.filter(
                Q(person__name__icontains=text) | Q(last_name__icontains=text) | Q(first_name__icontains=text)
                | Q(phone__startswith=text)
            )
    return queryset.order_by("person__name", "pk")


def institution_names(users, *, on) -> dict[int, str]:
    """user id -> the names of the institutions the user works in on that day, for the staff page."""
    person_ids = {user.person_id: user.pk for user in users if user.person_id}
    names = {}
    posts = Post.objects.current(on).filter(person_id__in=person_ids, institution__isnull=False).select_related("institution")
    for post in posts:
        names.setdefault(person_ids[post.person_id], set()).add(post.institution.name)
    return {user_id: "、".join(sorted(values)) for user_id, values in names.items()}


def session_staff(session: AssessmentSession):
    return session.staff.select_related("user", "user__person", "room").order_by("role", "user__person__name", "pk")


def staff_counts(session: AssessmentSession) -> dict[str, int]:
    return dict(session.staff.values_list("role").annotate(count=Count("pk")).values_list("role", "count"))


# --- Assessors ------------------------------------------------------------------------------------------


def assignments_of(user):
    """The user's staff roles, newest session first."""
    if not user.is_authenticated:
        return StaffAssignment.objects.none()
    return (
        StaffAssignment.objects.filter(user=user)
        .select_related("session", "session__centre", "room")
        .order_by("-session__theory_starts_at", "role")
    )


@dataclass
class CandidateRow:
    application: Application
    scored: Score | None = None  # this user's score (skill, review) or the theory score (invigilators)
    online: bool = False  # theory taken online: no paper score


@dataclass
class RoleList:
    """What one of the user's roles in a session asks of them."""

    assignment: StaffAssignment
    part: str | None
    rows: list[CandidateRow] = field(default_factory=list)
    conflicted: int = 0  # candidates of the user's own institution, scored by others

    @property
    def next_unscored(self) -> CandidateRow | None:
        return next((row for row in self.rows if row.scored is None and not row.online), None)

    @property
    def scored_count(self) -> int:
        return sum(1 for row in self.rows if row.scored is not None)


def assessor_work(*, session: AssessmentSession, user) -> list[RoleList]:
    """For each of the user's roles in the session, the candidates to score, the unscored first. Candidates
    of the user's own institution are left out and counted (staffing.is_conflicted), for invigilators too."""
    assignments = list(session.staff.filter(user=user).select_related("room"))
    people = list(candidates(session).select_related("theory_attempt"))
    mine = {
        (score.application_id, score.part): score
        for score in Score.objects.filter(application__session=session, assessor=user)
    }
    theory = {
        score.application_id: score
        for score in Score.objects.filter(application__session=session, part=Part.THEORY, assessor__isnull=True)
    }
    user_institutions = institutions_of(user, on=assessment_day(session))
    lists = []
    for assignment in assignments:
        part = scoring_part_of(assignment.role)
        role_list = RoleList(assignment=assignment, part=part)
        if part is not None:
            for application in people:
                if not takes_part(application, part):
                    continue
                if is_conflicted(user=user, application=application, user_institutions=user_institutions):
                    role_list.conflicted += 1
                    continue
                role_list.rows.append(CandidateRow(application=application, scored=mine.get((application.pk, part))))
        elif assignment.role == StaffRole.INVIGILATOR:
            for application in people:
                if not takes_part(application, Part.THEORY):
                    continue
                if assignment.room_id and application.room_id != assignment.room_id:
                    continue
                if is_conflicted(user=user, application=application, user_institutions=user_institutions):
                    role_list.conflicted += 1
                    continue
                role_list.rows.append(CandidateRow(
                    application=application, scored=theory.get(application.pk),
                    online=application.theory_attempt_id is not None,
                ))
        role_list.rows.sort(key=lambda row: (row.scored is not None or row.online, row.application.person.name))
        lists.append(role_list)
    return lists


def assessor_names(session: AssessmentSession) -> dict[int, str]:
    """user id -> display name of everyone who scored in the session, read at once for the results table."""
    ids = Score.objects.filter(application__session=session, assessor__isnull=False).values("assessor_id")
    return {user.pk: user.display_name for user in User.objects.filter(pk__in=ids).select_related("person")}


def own_score(*, application: Application, part: str, user) -> Score | None:
    return Score.objects.filter(application=application, part=part, assessor=user).first()


def amended_parts(session: AssessmentSession) -> dict[tuple[int, str], str]:
    """(application id, part) -> "amended" or "pending" for every result changed or waiting for approval, to
    mark them on the results table."""
    marks = {}
    entries = AuditEntry.objects.filter(
        session=session, status__in=[AmendmentStatus.APPLIED, AmendmentStatus.APPROVED, AmendmentStatus.PENDING]
    ).order_by("at", "pk")
    for entry in entries.only("application_id", "action", "status"):
        # Oldest first, so a pending amendment (always the latest: it holds off the others) marks its part.
        marks[(entry.application_id, entry.part)] = "pending" if entry.is_pending else "amended"
    return marks
