"""Recording changes to what an account may do: its roles (see User.roles) and its administrative scope.

Accounts' roles are edited in the CMS's users admin (system administrator, groups such as the content
editors, active or not); wagtail_hooks.py calls ``user_roles_record_change`` around each edit there, with the
request, so every entry names who made the change. The fields are read from the account itself, so
``admin_region`` and ``is_assessor`` are recorded too as soon as a page edits them (today only the demo loader
sets them).
"""
from academy.audit.models import AuditAction, AuditEntry
from academy.audit.services import audit_record

from .models import User

# What an account that does not exist (yet, or any more) may do.
NO_ROLES = {"active": False, "system_admin": False, "admin_region": "", "assessor": False, "groups": []}


def user_roles_snapshot(user: User) -> dict:
    """The fields an account's roles and scope follow from, as plain values for the audit trail."""
    return {
        "active": user.is_active,
        "system_admin": user.is_superuser,
        "admin_region": user.admin_region_id or "",
        "assessor": user.is_assessor,
        "groups": sorted(user.groups.values_list("name", flat=True)) if user.pk else [],
    }


def user_roles_record_change(*, request, user: User, before: dict, after: dict) -> AuditEntry | None:
    """Record ROLE_CHANGED with each field that differs (before, after); nothing when none does."""
    changes = {name: [before[name], after[name]] for name in after if before[name] != after[name]}
    if not changes:
        return None
    return audit_record(
        action=AuditAction.ROLE_CHANGED, request=request, target=user if user.pk else None,
        target_label=str(user), region_code=after["admin_region"] or before["admin_region"],
        detail={"account": user.pk or before.get("account"), "changes": changes},
    )
