"""The second factor (an authenticator app's time-based codes, allauth.mfa): who must have one, who is
offered one, and allauth's MFA adapter that keeps the rule.

System administrators and content editors must have one (settings.SECOND_FACTOR_REQUIRED, on everywhere
but in the unit tests); tier administrators and assessors are offered one. Recovery codes come with it.
"""
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from academy.audit.models import AuditAction
from academy.audit.services import audit_record

from .models import Role

REQUIRED_FOR = frozenset({Role.SYSTEM_ADMIN, Role.EDITOR})
OFFERED_TO = REQUIRED_FOR | {Role.TIER_ADMIN, Role.ASSESSOR}


def second_factor_required(user) -> bool:
    return settings.SECOND_FACTOR_REQUIRED and bool(user.roles & REQUIRED_FOR)


def second_factor_offered(user) -> bool:
    return bool(user.roles & OFFERED_TO)


def has_second_factor(user) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def second_factor_reset(*, user, actor=None) -> bool:
    """Remove the authenticator app and recovery codes of ``user``, who lost both: a system administrator or a
    content editor is asked to set up a new app at the next sign-in. Returns whether there was anything."""
    deleted, _per_model = Authenticator.objects.filter(user=user).delete()
    if deleted:
        audit_record(action=AuditAction.MFA_DEACTIVATED, actor=actor, target=user, detail={"reset": True})
    return bool(deleted)


class MFAAdapter(DefaultMFAAdapter):
    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "cannot_delete_authenticator": _(
            "System administrators and content editors must keep their authenticator app: it cannot be turned off."
        ),
    }

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        return not (authenticator.type == Authenticator.Type.TOTP and second_factor_required(authenticator.user))

    def get_totp_label(self, user) -> str:
        # What the authenticator app lists the account as: how the person signs in, never the internal username.
        return user.email or user.phone or user.display_name

    def get_totp_issuer(self) -> str:
        return str(settings.WAGTAIL_SITE_NAME)
