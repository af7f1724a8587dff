"""Binding a WeChat identity to a roster account, once, and unbinding it.

Nobody gets an account from WeChat. When WeChat vouches for an identity no account knows, it is kept in the
session (``wechat_pending_keep``) and the person is asked for their mobile number; the sign-in code sent to it
(allauth's code sign-in, the catalogue's SIGN_IN_CODE) proves the account is theirs, and on that sign-in the
identity is bound (``wechat_pending_bind``). Later WeChat sign-ins go straight in (allauth finds the identity).
"""
import time

from allauth.account.authentication import get_authentication_records
from allauth.socialaccount.models import SocialAccount
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from academy.audit.models import AuditAction
from academy.audit.services import audit_record

from ..models import User, WeChatBinding
from .views import OFFICIAL_ACCOUNT

PROVIDER = "weixin"
PENDING_SESSION_KEY = "academy.wechat.pending"
# How long an identity waits in the session for its code sign-in: as long as a sign-in code lasts, and a little.
PENDING_SECONDS = 15 * 60


class BindingRefused(Exception):
    pass


def wechat_pending_keep(*, request, account: SocialAccount) -> None:
    """Keep the identity WeChat vouched for until the person proves which account is theirs."""
    request.session[PENDING_SESSION_KEY] = {"uid": account.uid, "data": account.extra_data, "at": time.time()}


def wechat_pending(request) -> dict | None:
    pending = request.session.get(PENDING_SESSION_KEY)
    if pending and time.time() - pending["at"] > PENDING_SECONDS:
        request.session.pop(PENDING_SESSION_KEY, None)
        return None
    return pending


def _signed_in_by_code_since(request, user: User, moment: float) -> bool:
    return any(
        record.get("method") == "code" and record.get("at", 0) >= moment
        for record in get_authentication_records(request, user)
    )


def wechat_pending_bind(*, request, user: User) -> WeChatBinding | None:
    """Bind the identity waiting in the session to ``user``, who has just signed in, if they did so by a code sent
    after WeChat vouched for it. Returns the binding, or None when nothing was waiting (or no code was used);
    BindingRefused when the account already has another WeChat."""
    pending = wechat_pending(request)
    if pending is None or not _signed_in_by_code_since(request, user, pending["at"]):
        return None
    request.session.pop(PENDING_SESSION_KEY, None)
    return wechat_bind(user=user, uid=pending["uid"], data=pending["data"], request=request)


def wechat_bind(*, user: User, uid: str, data: dict, request=None) -> WeChatBinding:
    if WeChatBinding.objects.filter(user=user).exists():
        raise _already_bound()
    try:
        with transaction.atomic():
            account = SocialAccount.objects.create(user=user, provider=PROVIDER, uid=uid, extra_data=data)
            binding = WeChatBinding.objects.create(
                user=user, account=account, nickname=(data.get("nickname") or "")[:100],
                official_account_openid=data["openid"] if data.get("flow") == OFFICIAL_ACCOUNT else "",
            )
    except IntegrityError:
        # Two tabs at once, or the identity bound elsewhere a moment ago: the constraints decide, nothing is half-done.
        if WeChatBinding.objects.filter(user=user).exists():
            raise _already_bound() from None
        raise BindingRefused(_("This WeChat is already bound to another account.")) from None
    audit_record(
        action=AuditAction.WECHAT_BOUND, actor=user, request=request, target=user, detail={"flow": data.get("flow", "")}
    )
    return binding


def _already_bound() -> BindingRefused:
    return BindingRefused(_("Your account is already bound to another WeChat. Unbind it on your page first."))


def wechat_signed_in(*, account: SocialAccount) -> None:
    """A bound identity signed in: inside WeChat, remember the 公众号 openid that template messages go to."""
    data = account.extra_data
    if data.get("flow") == OFFICIAL_ACCOUNT and data.get("openid"):
        WeChatBinding.objects.filter(account=account).exclude(official_account_openid=data["openid"]).update(
            official_account_openid=data["openid"]
        )


@transaction.atomic
def wechat_unbind(*, user: User, request=None) -> bool:
    """Remove the WeChat identity bound to ``user``: WeChat no longer signs them in nor receives their reminders."""
    deleted, _rows = SocialAccount.objects.filter(user=user, provider=PROVIDER).delete()
    if deleted:
        audit_record(action=AuditAction.WECHAT_UNBOUND, actor=user, request=request, target=user)
    return bool(deleted)
