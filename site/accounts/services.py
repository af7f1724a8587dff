"""Accounts for people on the roster. An account is created unusable-password; the person claims it by
signing in with a one-time code sent to their mobile number, then chooses a password.

The mobile number is the sign-in name, so whoever sets it could sign in. An administrator may set it on
an account nobody has claimed yet (that is how claiming works); on a claimed account the new number is
only pending (MobileChange) until its holder, signed in, confirms it with a code sent to it."""
import datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from academy.audit.models import AuditAction
from academy.audit.services import audit_record

from . import messages, notifications
from .adapters import six_digit_code
from .models import MobileChange, User
from .phone import mask
from .sms import sms_send_after_commit

MOBILE_CODE_TIMEOUT = datetime.timedelta(minutes=15)
MOBILE_CODE_MAX_ATTEMPTS = 3
# Codes per pending change (the first included), and the wait between two of them.
MOBILE_CODES_PER_CHANGE = 5
MOBILE_CODE_INTERVAL = datetime.timedelta(minutes=1)


class MobileChangeRefused(Exception):
    pass


def _person_mobile_set(*, person_id: int, mobile: str) -> None:
    # Accounts sit below the organisation: they reach the person only through the user's foreign key.
    User.person.field.related_model.objects.filter(pk=person_id).update(mobile=mobile)


def _new_account(person) -> User:
    user = User(person=person, username=f"person-{person.pk}", phone=person.mobile or None)
    user.set_unusable_password()
    return user


def account_for_person(*, person, actor=None) -> User:
    """Create or update the trainee account of ``person``: its mobile number is the sign-in name.

    A new number on a claimed account waits for its holder (mobile_change_request) and the person's
    mobile number stays the one they sign in with; on an unclaimed account it applies at once. ``actor``
    is the administrator who entered the number (None for a roster import or the system)."""
    user = User.objects.filter(person=person).first()
    if user is None:
        user = _new_account(person)
        user.save()
        return user
    phone = person.mobile or None
    if phone == user.phone:
        return user
    if user.is_claimed:
        if phone:
            mobile_change_request(user=user, phone=phone, actor=actor)
        # The roster keeps the number the person signs in with; a claimed account is never left without one.
        person.mobile = user.phone or ""
        _person_mobile_set(person_id=person.pk, mobile=person.mobile)
        return user
    old = user.phone
    user.phone, user.phone_verified = phone, False
    user.save(update_fields=["phone", "phone_verified"])
    MobileChange.objects.filter(user=user).delete()
    audit_record(
        action=AuditAction.MOBILE_CHANGED, actor=actor, target=user,
        region_code=_region_code(actor), detail={"old": mask(old or ""), "new": mask(phone or ""), "claimed": False},
    )
    return user


def accounts_for_people(*, people) -> list[User]:
    """account_for_person for many people who have no account yet, in a few statements (roster imports
    and demo data create tens of thousands)."""
    return User.objects.bulk_create([_new_account(person) for person in people], batch_size=1000)


def account_phone_taken(*, phone: str, person=None) -> bool:
    """Whether ``phone`` already signs in someone other than ``person``."""
    others = User.objects.filter(phone=phone)
    if person is not None and person.pk:
        others = others.exclude(person=person)
    return others.exists()


def account_claimed(*, person) -> bool:
    """Whether ``person`` has an account its holder has used (models.CLAIMED)."""
    user = User.objects.filter(person=person).first()
    return user is not None and user.is_claimed


@transaction.atomic
def account_phone_set(*, user: User, phone: str) -> User:
    """Make ``phone`` the sign-in number of ``user`` and of their person now, without asking the holder:
    for demo data only. An administrator's edit goes through account_for_person."""
    user.phone = phone or None
    user.save(update_fields=["phone"])
    MobileChange.objects.filter(user=user).delete()
    if user.person_id:
        _person_mobile_set(person_id=user.person_id, mobile=phone)
    return user


# A new number for a claimed account --------------------------------------------------------------


def mobile_change_request(*, user: User, phone: str, actor=None) -> MobileChange:
    """Keep ``phone`` as the pending number of ``user``, send a confirmation code to it, and tell the
    holder at their current number, email and notification centre. Asking again for the same number
    (a roster file applied twice) sends nothing new."""
    pending = MobileChange.objects.filter(user=user).first()
    if pending is not None and pending.phone == phone:
        return pending
    now, code = timezone.now(), six_digit_code()
    pending, _created = MobileChange.objects.update_or_create(user=user, defaults={
        "phone": phone, "requested_by": actor, "requested_at": now, "code_digest": _code_digest(user, phone, code),
        "code_sent_at": now, "codes_sent": 1, "attempts": 0,
    })
    _send_code(phone, code)
    notifications.notify(
        user=user,
        title=_("A new mobile number was entered for your account"),
        body=_(
            "An administrator entered %(phone)s as your mobile number. It becomes the number you sign in with "
            "only when you confirm it with the code sent to it, on your page after signing in. If it is not "
            "your number, decline it there and tell your administrator."
        ) % {"phone": mask(phone)},
        url=reverse("accounts:mobile_change"),
        sms=messages.MOBILE_CHANGE_ENTERED.bind(phone=mask(phone)),
    )
    audit_record(
        action=AuditAction.MOBILE_CHANGE_REQUESTED, actor=actor, target=user, region_code=_region_code(actor),
        detail={"old": mask(user.phone or ""), "new": mask(phone)},
    )
    return pending


def mobile_change_send_code(*, user: User) -> MobileChange:
    """Send a fresh code to the pending number, the earlier one no longer valid."""
    pending = _pending(user)
    if pending.codes_sent >= MOBILE_CODES_PER_CHANGE:
        raise MobileChangeRefused(
            _("No more codes can be sent for this number. Ask your administrator to enter it again.")
        )
    now = timezone.now()
    if now - pending.code_sent_at < MOBILE_CODE_INTERVAL:
        raise MobileChangeRefused(_("A code was sent less than a minute ago. Wait a moment before asking again."))
    code = six_digit_code()
    pending.code_digest, pending.code_sent_at, pending.attempts = _code_digest(user, pending.phone, code), now, 0
    pending.codes_sent += 1
    pending.save(update_fields=["code_digest", "code_sent_at", "attempts", "codes_sent"])
    _send_code(pending.phone, code)
    return pending


def mobile_change_confirm(*, user: User, code: str) -> User:
    """The holder typed ``code``: the pending number becomes their sign-in number and their person's
    mobile number, and every session signed in before now ends (the caller keeps its own with
    update_session_auth_hash). The old number and email are told."""
    pending = _pending(user)
    # Each try uses up one of the code's attempts, counted in the database so that tries sent at the
    # same moment cannot share one.
    tried = MobileChange.objects.filter(pk=pending.pk, attempts__lt=MOBILE_CODE_MAX_ATTEMPTS).update(
        attempts=F("attempts") + 1
    )
    if not tried:
        raise MobileChangeRefused(_("Too many wrong codes. Ask for a new code."))
    if timezone.now() - pending.code_sent_at > MOBILE_CODE_TIMEOUT:
        raise MobileChangeRefused(_("This code has expired. Ask for a new code."))
    if not constant_time_compare(_code_digest(user, pending.phone, code.strip()), pending.code_digest):
        raise MobileChangeRefused(_("Incorrect code."))
    if User.objects.filter(phone=pending.phone).exclude(pk=user.pk).exists():
        raise _number_taken()
    try:
        _mobile_change_apply(user=user, pending=pending)
    except IntegrityError:
        # Users' phones are unique: the number became another account's a moment ago.
        if not User.objects.filter(phone=pending.phone).exclude(pk=user.pk).exists():
            raise
        user.refresh_from_db()
        raise _number_taken() from None
    return user


def _number_taken() -> MobileChangeRefused:
    return MobileChangeRefused(_("This number now signs in to another account. Ask your administrator to check it."))


@transaction.atomic
def _mobile_change_apply(*, user: User, pending: MobileChange) -> None:
    old = user.phone
    # Sent before the switch, so the SMS goes to the old number.
    notifications.notify(
        user=user, channels=frozenset({notifications.EMAIL, notifications.SMS}),
        title=_("Your mobile number was changed"),
        body=_("You now sign in with %(phone)s. If you did not do this, tell your administrator at once.")
        % {"phone": mask(pending.phone)},
        sms=messages.MOBILE_CHANGED.bind(phone=mask(pending.phone)),
    )
    user.phone, user.phone_verified, user.sessions_ended_at = pending.phone, True, timezone.now()
    user.save(update_fields=["phone", "phone_verified", "sessions_ended_at"])
    if user.person_id:
        _person_mobile_set(person_id=user.person_id, mobile=pending.phone)
    pending.delete()
    audit_record(
        action=AuditAction.MOBILE_CHANGED, actor=user, target=user,
        region_code=_region_code(pending.requested_by),
        detail={"old": mask(old or ""), "new": mask(user.phone), "claimed": True,
                "entered_by": str(pending.requested_by or "")},
    )


@transaction.atomic
def mobile_change_decline(*, user: User) -> None:
    """The holder says the pending number is not theirs: it is dropped and whoever entered it is told."""
    pending = _pending(user)
    pending.delete()
    if pending.requested_by is not None:
        notifications.notify(
            user=pending.requested_by, channels=frozenset({notifications.SITE}),
            title=_("A new mobile number was declined"),
            body=_("%(name)s declined the mobile number %(phone)s you entered for them; their number is unchanged.")
            % {"name": user.display_name, "phone": mask(pending.phone)},
        )
    audit_record(
        action=AuditAction.MOBILE_CHANGE_DECLINED, actor=user, target=user,
        region_code=_region_code(pending.requested_by), detail={"new": mask(pending.phone)},
    )


def _pending(user: User) -> MobileChange:
    pending = MobileChange.objects.filter(user=user).first()
    if pending is None:
        raise MobileChangeRefused(_("No new mobile number is waiting for your confirmation."))
    return pending


def _code_digest(user: User, phone: str, code: str) -> str:
    # Only a digest is stored: the code is a secret of the new number's holder.
    return salted_hmac("academy.accounts.mobile_change", f"{user.pk}|{phone}|{code}", algorithm="sha256").hexdigest()


def _send_code(phone: str, code: str) -> None:
    message = messages.MOBILE_CHANGE_CODE.bind(code=code, minutes=int(MOBILE_CODE_TIMEOUT.total_seconds()) // 60)
    transaction.on_commit(lambda: sms_send_after_commit(phone=phone, message=message), robust=True)


def _region_code(administrator) -> str:
    return (administrator.admin_region_id or "") if administrator is not None else ""
