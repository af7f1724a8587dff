"""What a request says about its client, read one way everywhere: the address (``client_ip``: allauth's sign-in
limits, django-ratelimit's per-address limits (RATELIMIT_IP_META_KEY) and the audit trail), whether it is
WeChat's browser (``is_wechat``), and how a document is handed to it (``download_disposition``)."""
import ipaddress
from urllib.parse import quote

from django.conf import settings


def client_ip(request) -> str:
    """The address of the client that sent ``request``.

    With TRUSTED_PROXY_COUNT = 0 (gunicorn faces the clients) that is the connection's peer, REMOTE_ADDR, and
    X-Forwarded-For is ignored: anyone can send it. Behind N proxies of our own, each appending the address it
    received from (nginx's $proxy_add_x_forwarded_for), the N-th entry from the right was written by the
    outermost of them; entries further left come from the client and are never believed. A request with fewer
    entries did not pass through every proxy, so only its peer is known."""
    peer = request.META.get("REMOTE_ADDR", "")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return peer
    forwarded = [entry.strip() for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if entry.strip()]
    if len(forwarded) < count:
        return peer
    try:
        return str(ipaddress.ip_address(forwarded[-count]))
    except ValueError:
        # Our own proxy writes addresses; anything else means the chain is not what the setting says.
        return peer


def is_wechat(request) -> bool:
    """Whether the request comes from WeChat's own browser (its user agent says MicroMessenger), which on
    Android neither shows nor saves a PDF: pages offer a document there as an image to long-press and save."""
    return "micromessenger" in request.headers.get("User-Agent", "").lower()


def browser(request) -> dict:
    """Context processor: ``in_wechat`` for templates that offer a download."""
    return {"in_wechat": is_wechat(request)}


def download_disposition(filename: str, *, fallback: str | None = None, as_attachment: bool = True) -> str:
    """The Content-Disposition of a document saved as ``filename`` (Chinese welcome): the RFC 5987 ``filename*``
    that current browsers read, and ``fallback`` (by default ``filename`` less what is not ASCII) for those that
    read only ``filename``. An attachment is saved rather than opened in the browser's viewer; an image shown in
    a page is ``as_attachment=False``."""
    fallback = "".join(
        char for char in (fallback or filename) if char.isascii() and char.isprintable() and char not in '"\\'
    )
    kind = "attachment" if as_attachment else "inline"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
