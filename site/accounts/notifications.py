"""Telling a user something: a message in their notification centre, and copies by email, SMS and the 公众号's
template message (WeChat) to whatever contact details their account has.

The in-site message is written in the caller's transaction; email and SMS go out only once it commits
(``transaction.on_commit``), so a rolled-back job sends nothing. notify_once() adds the idempotence log
that scheduled reminders need: a second run finds the SentReminder row and sends nothing.
"""
import logging

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import Notification, SentReminder, User
from .messages import SECRET_PARAMETERS, BoundTextMessage
from .sms import sms_send_after_commit
from .wechat.official_account import template_message_send_after_commit, wechat_openid_for, wechat_template_for

logger = logging.getLogger(__name__)

SITE, EMAIL, SMS, WECHAT = "site", "email", "sms", "wechat"
ALL_CHANNELS = frozenset({SITE, EMAIL, SMS, WECHAT})


def notify(
    *, user: User, title: str, body: str, url: str = "", sms: BoundTextMessage | None = None,
    channels: frozenset[str] = ALL_CHANNELS,
) -> Notification | None:
    """Send ``title`` and ``body`` to ``user`` on each of ``channels`` they can be reached by: the site
    always, email if the account has an address, and ``sms`` (a message of the catalogue: gateways send
    approved templates only) if it has a mobile number, and the same message as the 公众号's template message if
    they bound WeChat inside WeChat and WECHAT_TEMPLATES has a template for it. ``url`` is a path on this site. Returns the in-site
    notification (None when the site channel was not asked for)."""
    notification = None
    if SITE in channels:
        notification = Notification.objects.create(user=user, title=title, body=body, url=url)
        transaction.on_commit(lambda: _forget_unread_count(user.pk), robust=True)
    # The addresses and texts are fixed now: the callbacks run after the caller's transaction, possibly
    # outside its language.
    if EMAIL in channels and user.email:
        email, message = user.email, body + ("\n\n" + _absolute(url) if url else "")
        transaction.on_commit(
            lambda: send_mail(subject=title, message=message, from_email=None, recipient_list=[email]), robust=True
        )
    if SMS in channels and user.phone and sms is not None:
        phone = user.phone
        transaction.on_commit(lambda: sms_send_after_commit(phone=phone, message=sms, user=user), robust=True)
    # Codes never go by WeChat; the binding is looked up only for messages the 公众号 has a template for.
    if (
        WECHAT in channels and sms is not None and not SECRET_PARAMETERS & set(sms.parameters)
        and wechat_template_for(sms.name)
    ):
        openid = wechat_openid_for(user)
        if openid:
            link = _absolute(url) if url else ""
            transaction.on_commit(
                lambda: template_message_send_after_commit(user=user, openid=openid, message=sms, url=link), robust=True
            )
    return notification


def notify_once(
    *, user: User, kind: str, subject: str = "", title: str, body: str, url: str = "",
    sms: BoundTextMessage | None = None, channels: frozenset[str] = ALL_CHANNELS,
) -> bool:
    """notify() unless ``user`` has already been sent ``kind`` about ``subject``. The log row and the
    notification commit together; returns whether anything was sent. Safe against two runs at once: the
    second one's log row violates the unique constraint and its transaction rolls back."""
    if SentReminder.objects.filter(user=user, kind=kind, subject=subject).exists():
        return False
    try:
        with transaction.atomic():
            SentReminder.objects.create(user=user, kind=kind, subject=subject)
            notify(user=user, title=title, body=body, url=url, sms=sms, channels=channels)
    except IntegrityError:
        return False
    return True


def unread_count(*, user: User) -> int:
    """The header shows this on every page: kept in the cache, forgotten whenever it changes."""
    key = _unread_count_key(user.pk)
    count = cache.get(key)
    if count is None:
        count = Notification.objects.filter(user=user, read_at__isnull=True).count()
        cache.set(key, count, timeout=60 * 60)
    return count


def _unread_count_key(user_id: int) -> str:
    return f"notifications:unread:{user_id}"


def _forget_unread_count(user_id: int) -> None:
    cache.delete(_unread_count_key(user_id))


def notification_mark_read(*, notification: Notification) -> None:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
        _forget_unread_count(notification.user_id)


def notifications_mark_all_read(*, user: User) -> int:
    marked = Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())
    _forget_unread_count(user.pk)
    return marked


def _absolute(url: str) -> str:
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + url if url.startswith("/") else url

