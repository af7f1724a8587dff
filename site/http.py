"""The client's address, read one way everywhere: allauth's sign-in limits, django-ratelimit's per-address
limits (RATELIMIT_IP_META_KEY) and the audit trail all call ``client_ip``."""
import ipaddress

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
