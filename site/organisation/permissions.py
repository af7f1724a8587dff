"""Who may use the management pages and see personal data. What they may see is decided by scope.py."""
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from .scope import scope_for


def is_administrator(user) -> bool:
    """Tier administrators and system administrators manage the organisation."""
    return user.is_authenticated and user.is_active and (user.is_superuser or user.admin_region_id is not None)


def administrator_required(view):
    """Anonymous visitors go to sign in; signed-in users who are not administrators get 403."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_administrator(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def is_system_administrator(user) -> bool:
    return user.is_authenticated and user.is_active and user.is_superuser


def system_administrator_required(view):
    """Pages of the whole platform (the audit trail): anonymous visitors go to sign in; every other role gets 403."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_system_administrator(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def can_see_full_id_number(user, person) -> bool:
    """The full resident ID number: the person themselves and system administrators only."""
    return user.is_authenticated and (user.is_superuser or (person.pk is not None and user.person_id == person.pk))


def can_edit_id_number(user) -> bool:
    """Correcting a resident ID number re-keys a person's identity: system administrators only."""
    return user.is_authenticated and user.is_superuser


def can_see_mobile(user, person) -> bool:
    """The full mobile number: the person, and administrators whose scope holds them (they phone people
    who are late with their training). Everyone else sees it masked."""
    if can_see_full_id_number(user, person):
        return True
    return is_administrator(user) and scope_for(user).people(type(person).objects.filter(pk=person.pk)).exists()
