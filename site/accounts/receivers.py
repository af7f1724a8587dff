"""The sign-in half of the audit trail, in one place: signing in and out and failing to (Django's signals,
which every sign-in path sends, allauth's included), and the second factor turned on or off (allauth.mfa's).
Connected in AccountsConfig.ready()."""
from allauth.account.authentication import get_authentication_records
from allauth.mfa import signals as mfa_signals
from allauth.mfa.models import Authenticator
from django.contrib.auth import signals as auth_signals
from django.dispatch import receiver

from academy.audit.models import AuditAction
from academy.audit.services import audit_record

from . import phone as mobile
from .models import User


def masked_login(value: str) -> str:
    """What someone typed as their sign-in name, masked as on every screen: 139****5678, w***@example.org."""
    value = (value or "").strip()
    if "@" in value:
        name, _at, domain = value.rpartition("@")
        return f"{name[:1]}***@{domain}"
    if mobile.is_valid(value):
        return mobile.mask(mobile.normalise(value))
    return value[:2] + "***" if value else ""


def _account_for_login(login: str) -> User | None:
    """The account a failed sign-in was aimed at, if the name typed is one."""
    if "@" in login:
        return User.objects.filter(email__iexact=login.strip()).first()
    if mobile.is_valid(login):
        return User.objects.filter(phone=mobile.normalise(login)).first()
    return None


def _methods(request, user) -> list[str]:
    """How the session proved who it is: "password", "code", "mfa:totp", "mfa:recovery_codes" (never the
    name typed, which allauth keeps in the same records)."""
    methods = []
    for record in get_authentication_records(request, user):
        method = record.get("method", "")
        methods.append(f"{method}:{record['type']}" if method == "mfa" and record.get("type") else method)
    return methods


@receiver(auth_signals.user_logged_in, dispatch_uid="audit_sign_in")
def record_sign_in(sender, request, user, **kwargs):
    audit_record(
        action=AuditAction.SIGN_IN, actor=user, request=request, target=user,
        region_code=user.admin_region_id or "", detail={"methods": _methods(request, user)},
    )


@receiver(auth_signals.user_login_failed, dispatch_uid="audit_sign_in_failed")
def record_sign_in_failed(sender, credentials, request=None, **kwargs):
    # Django has already replaced the password in ``credentials``; only the name typed is kept, masked.
    login = str(credentials.get("email") or credentials.get("phone") or credentials.get("username") or "")
    audit_record(
        action=AuditAction.SIGN_IN_FAILED, request=request, target=_account_for_login(login),
        detail={"login": masked_login(login), "stage": "password"},
    )


@receiver(auth_signals.user_logged_out, dispatch_uid="audit_sign_out")
def record_sign_out(sender, request, user, **kwargs):
    if user is not None:
        audit_record(action=AuditAction.SIGN_OUT, actor=user, request=request, target=user)


@receiver(mfa_signals.authentication_failed, dispatch_uid="audit_second_factor_failed")
def record_second_factor_failed(sender, request, user, authenticator, reauthentication=False, **kwargs):
    audit_record(
        action=AuditAction.SIGN_IN_FAILED, actor=user if reauthentication else None, request=request, target=user,
        detail={"stage": "reauthentication" if reauthentication else "second_factor"},
    )


@receiver(mfa_signals.authenticator_added, dispatch_uid="audit_mfa_activated")
def record_mfa_activated(sender, request, user, authenticator, **kwargs):
    if authenticator.type == Authenticator.Type.TOTP:
        audit_record(action=AuditAction.MFA_ACTIVATED, actor=user, request=request, target=user)


@receiver(mfa_signals.authenticator_removed, dispatch_uid="audit_mfa_deactivated")
def record_mfa_deactivated(sender, request, user, authenticator, **kwargs):
    if authenticator.type == Authenticator.Type.TOTP:
        audit_record(action=AuditAction.MFA_DEACTIVATED, actor=user, request=request, target=user)
