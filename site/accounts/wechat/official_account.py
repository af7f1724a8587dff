"""The 公众号's template messages: a message of the catalogue (accounts/messages.py) sent to a person who bound
WeChat, with the template WECHAT_TEMPLATES names for it. The access token WeChat asks for on every call is
fetched once and kept in the cache (Redis in production, shared by every process) until shortly before it
expires; a token WeChat no longer accepts is fetched again once. Every send is recorded (WeChatMessageRecord)."""
import logging

import requests
from django.conf import settings
from django.core.cache import cache

from ..messages import BoundTextMessage
from ..models import User, WeChatBinding, WeChatMessageRecord

logger = logging.getLogger(__name__)

# WeChat's answers meaning "this access token is not (or no longer) valid": fetch a new one and try again.
TOKEN_REJECTED = frozenset({40001, 40014, 42001})
# Fetched again this long before WeChat's own expiry (7,200 s), so that no call carries a token about to expire.
TOKEN_MARGIN_SECONDS = 300
TIMEOUT_SECONDS = 10
# WeChat refuses a whole message whose "thing" value (a short text) is longer than this.
THING_MAX_CHARACTERS = 20


class WeChatError(Exception):
    pass


def wechat_template_for(message_name: str) -> list[str] | None:
    """[template id, key…] for the message, or None when the 公众号 has no template for it."""
    return settings.WECHAT_TEMPLATES.get(message_name) if settings.WECHAT_APP_ID else None


def wechat_openid_for(user: User) -> str:
    """The 公众号 openid of ``user``, or "" when they have not bound WeChat (or bound it on a PC only)."""
    binding = WeChatBinding.objects.filter(user=user).values_list("official_account_openid", flat=True).first()
    return binding or ""


def _token_key() -> str:
    return f"wechat:access_token:{settings.WECHAT_APP_ID}"


def access_token(*, fresh: bool = False) -> str:
    token = None if fresh else cache.get(_token_key())
    if token:
        return token
    answer = requests.get(
        settings.WECHAT_API_URL.rstrip("/") + "/cgi-bin/token",
        params={"grant_type": "client_credential", "appid": settings.WECHAT_APP_ID, "secret": settings.WECHAT_APP_SECRET},
        timeout=TIMEOUT_SECONDS,
    )
    answer.raise_for_status()
    body = answer.json()
    if "access_token" not in body:
        raise WeChatError(f"access token: {body.get('errcode')} {body.get('errmsg')}")
    cache.set(_token_key(), body["access_token"], timeout=max(int(body.get("expires_in", 7200)) - TOKEN_MARGIN_SECONDS, 60))
    return body["access_token"]


def _send(payload: dict, *, fresh: bool) -> dict:
    answer = requests.post(
        settings.WECHAT_API_URL.rstrip("/") + "/cgi-bin/message/template/send",
        params={"access_token": access_token(fresh=fresh)}, json=payload, timeout=TIMEOUT_SECONDS,
    )
    answer.raise_for_status()
    return answer.json()


def _fitted(key: str, value: str) -> str:
    if key.startswith("thing") and len(value) > THING_MAX_CHARACTERS:
        return value[: THING_MAX_CHARACTERS - 1] + "…"
    return value


def template_message_send(*, user: User, openid: str, message: BoundTextMessage, url: str = "") -> WeChatMessageRecord:
    """Send ``message`` to ``openid`` as the 公众号's template message and record it; WeChatError when it was not
    sent (recorded and logged as well)."""
    template_id, *keys = wechat_template_for(message.name)
    keys = keys or list(message.message.parameters)
    payload = {
        "touser": openid, "template_id": template_id,
        "data": {key: {"value": _fitted(key, value)} for key, (_name, value) in zip(keys, message.values)},
    }
    if url:
        payload["url"] = url
    attempts, body, error = 0, {}, ""
    try:
        attempts += 1
        body = _send(payload, fresh=False)
        if body.get("errcode") in TOKEN_REJECTED:
            attempts += 1
            body = _send(payload, fresh=True)
        if body.get("errcode", 0) != 0:
            error = f"{body.get('errcode')}: {body.get('errmsg')}"
    except (requests.RequestException, ValueError, WeChatError) as failure:
        error = f"{type(failure).__name__}: {failure}"
    record = WeChatMessageRecord.objects.create(
        user=user, message=message.name, template_id=template_id[:100], parameters=message.parameters,
        status=WeChatMessageRecord.Status.FAILED if error else WeChatMessageRecord.Status.SENT,
        msgid=str(body.get("msgid", ""))[:40], error=error[:500], attempts=attempts,
    )
    if error:
        logger.error("WeChat template message %s to user %s failed: %s", message.name, user.pk, error)
        raise WeChatError(error)
    logger.info("WeChat template message %s sent to user %s (%s)", message.name, user.pk, record.msgid)
    return record


def template_message_send_after_commit(*, user: User, openid: str, message: BoundTextMessage, url: str = "") -> None:
    """For reminders sent because something was saved: a failure is recorded and logged, and undoes nothing."""
    try:
        template_message_send(user=user, openid=openid, message=message, url=url)
    except WeChatError:
        pass
