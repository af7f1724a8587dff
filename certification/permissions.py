"""Who may do what in certification. Administrators manage the sessions of the centres whose region is in
their scope (scope.py); assessors act only in the sessions they are staff of, in their roles there."""
from django.db.models import QuerySet

from academy.organisation.permissions import is_administrator
from academy.organisation.scope import scope_for

from .models import AssessmentSession, StaffAssignment, StaffRole


def sessions_managed_by(user, queryset: QuerySet | None = None) -> QuerySet:
    """The sessions an administrator organises: those of centres in their region."""
    queryset = AssessmentSession.objects.all() if queryset is None else queryset
    if not is_administrator(user):
        return queryset.none()
    scope = scope_for(user)
    if scope.is_empty:
        return queryset.none()
    return queryset.filter(centre__region__code__startswith=scope.region_code)


def can_manage_session(user, session: AssessmentSession) -> bool:
    return sessions_managed_by(user, AssessmentSession.objects.filter(pk=session.pk)).exists()


def staff_roles(user, session: AssessmentSession) -> set[str]:
    if not user.is_authenticated:
        return set()
    return set(StaffAssignment.objects.filter(session=session, user=user).values_list("role", flat=True))


def is_chief(user, session: AssessmentSession) -> bool:
    return StaffRole.CHIEF in staff_roles(user, session)


def can_download_certificate(user, certificate) -> bool:
    """The PDF carries the holder's full ID number, as the national format requires: only its holder, the
    organiser that issued it (the administrators of its centre's own region, not those above) and system
    administrators download it."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if user.person_id is not None and user.person_id == certificate.person_id:
        return True
    return is_administrator(user) and user.admin_region_id == certificate.application.session.centre.region_id


def can_see_results(user, session: AssessmentSession) -> bool:
    """The results table and the audit log: the session's organisers and its chief assessor."""
    return can_manage_session(user, session) or is_chief(user, session)
