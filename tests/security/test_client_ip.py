"""academy.http.client_ip: the one reading of the client's address, for every per-address limit and the audit
trail. tests/security/test_proxy.py shows it at work behind a real proxy and gunicorn."""
import pytest
from allauth.account.adapter import get_adapter
from django.test import RequestFactory
from django_ratelimit.core import _get_ip  # the address django-ratelimit's key "ip" stands for

from academy.audit.models import AuditAction
from academy.audit.services import audit_record
from academy.http import client_ip


def request_from(peer: str, forwarded_for: str | None = None):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=peer, **headers)


def test_without_a_trusted_proxy_the_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request_from("198.51.100.9", "203.0.113.7")) == "198.51.100.9"


def test_behind_one_proxy_the_address_it_appended_counts(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # Whatever the client sent stands to the left of what the proxy appended.
    assert client_ip(request_from("127.0.0.1", "203.0.113.7, 198.51.100.9")) == "198.51.100.9"
    assert client_ip(request_from("127.0.0.1", "198.51.100.9")) == "198.51.100.9"


def test_behind_two_proxies_the_outer_ones_entry_counts(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(request_from("10.0.0.2", "203.0.113.7, 198.51.100.9, 10.0.0.1")) == "198.51.100.9"


def test_a_request_that_skipped_a_proxy_counts_by_its_peer(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(request_from("10.0.0.2", "198.51.100.9")) == "10.0.0.2"
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request_from("127.0.0.1")) == "127.0.0.1"
    assert client_ip(request_from("127.0.0.1", "not-an-address")) == "127.0.0.1"


def test_allauth_and_django_ratelimit_read_the_same_address(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    request = request_from("127.0.0.1", "203.0.113.7, 198.51.100.9")
    assert get_adapter(request).get_client_ip(request) == "198.51.100.9"
    assert _get_ip(request) == "198.51.100.9"


@pytest.mark.django_db
def test_the_audit_trail_records_the_same_address(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    request = request_from("127.0.0.1", "203.0.113.7, 198.51.100.9")
    request.user = None
    entry = audit_record(action=next(iter(AuditAction)), request=request)
    assert entry.ip_address == "198.51.100.9"
