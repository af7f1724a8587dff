"""Per-address limits behind the documented reverse proxy, on a real gunicorn.

gunicorn serves the site in a subprocess; in front of it a small reverse proxy (a threaded http.server) appends
the address it received from to X-Forwarded-For, as nginx's $proxy_add_x_forwarded_for does. Clients connect
from distinct loopback addresses (127.0.0.2, 127.0.0.3, ...), so the proxy sees distinct clients while gunicorn
sees only the proxy's 127.0.0.1, as in production."""
import http.client
import os
import re
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
CLIENT_A, CLIENT_B, CLIENT_C = "127.0.0.2", "127.0.0.3", "127.0.0.4"
LOOKUP = "/verify/?number=S000133000001264000001"  # well formed, issued to nobody: a look-up all the same
TOO_MANY_SIGN_INS = "Too many failed login attempts"
# django-ratelimit counts in fixed windows of a minute: a run that straddles the end of one may need up to
# two windows' worth of look-ups before the refusal.
LOOKUPS_UNTIL_REFUSED_AT_MOST = 2 * 30 + 1


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def gunicorn(database_url_for_a_subprocess, tmp_path):
    """Start gunicorn on a free port with TRUSTED_PROXY_COUNT as asked; yield its port."""
    servers = []

    def start(*, trusted_proxy_count: int) -> int:
        port = _free_port()
        log_path = tmp_path / f"gunicorn-{port}.log"
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "academy.settings.test",
            "DATABASE_URL": database_url_for_a_subprocess,
            "TRUSTED_PROXY_COUNT": str(trusted_proxy_count),
        }
        # One worker: the test settings keep rate-limit counts in the process's memory (Redis in production).
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "academy.wsgi:application", "--bind", f"127.0.0.1:{port}",
             "--workers", "1", "--threads", "4", "--graceful-timeout", "1", "--log-level", "warning"],
            cwd=REPOSITORY, env=environment, stdout=open(log_path, "w"), stderr=subprocess.STDOUT,
        )
        servers.append(process)
        deadline = time.monotonic() + 180  # a loaded 2-core machine can take a minute to import it all
        while True:
            if process.poll() is not None:
                pytest.fail(f"gunicorn stopped:\n{log_path.read_text()}")
            try:
                if Client(port).get("/verify/").status == 200:
                    return port
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not answer within three minutes:\n{log_path.read_text()}")
            time.sleep(0.2)

    yield start
    for process in servers:
        process.terminate()
        process.wait(timeout=10)


class _Forwarding(BaseHTTPRequestHandler):
    """Passes each request on to the upstream port, appending the client's address to X-Forwarded-For."""

    upstream_port: int

    def _forward(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {name: value for name, value in self.headers.items() if name.lower() != "x-forwarded-for"}
        sent = self.headers.get("X-Forwarded-For")
        headers["X-Forwarded-For"] = f"{sent}, {self.client_address[0]}" if sent else self.client_address[0]
        upstream = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=30)
        upstream.request(self.command, self.path, body=body, headers=headers)
        response = upstream.getresponse()
        content = response.read()
        self.send_response(response.status)
        for name, value in response.getheaders():
            if name.lower() not in ("connection", "transfer-encoding", "content-length"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)
        upstream.close()

    do_GET = do_POST = _forward

    def log_message(self, *args):
        pass


@pytest.fixture
def reverse_proxy():
    """Start the forwarding proxy in front of an upstream port; yield its own port."""
    proxies = []

    def start(upstream_port: int) -> int:
        handler = type("Forwarding", (_Forwarding,), {"upstream_port": upstream_port})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        proxies.append(server)
        return server.server_address[1]

    yield start
    for server in proxies:
        server.shutdown()
        server.server_close()


class Client:
    """A browser at one address: keeps its cookies, sends the CSRF token, reads English."""

    def __init__(self, port: int, address: str = "127.0.0.1"):
        self.port, self.address, self.cookies = port, address, {}

    def request(self, method: str, path: str, *, body: str = "", headers: dict | None = None):
        connection_ = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30, source_address=(self.address, 0))
        all_headers = {**(headers or {})}
        cookies = {"django_language": "en", **self.cookies}
        all_headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
        if body:
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection_.request(method, path, body=body.encode(), headers=all_headers)
        response = connection_.getresponse()
        response.text = response.read().decode()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                cookie_name, _, rest = value.partition("=")
                self.cookies[cookie_name] = rest.split(";")[0]
        connection_.close()
        return response

    def get(self, path: str, **headers):
        return self.request("GET", path, headers=headers)

    def failed_sign_in(self, attempt: int, **headers) -> str:
        """Sign in with a wrong password, each attempt to another account (so that only the per-address limit
        can refuse it); answer the page's text."""
        page = self.get("/accounts/login/", **headers)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        response = self.request(
            "POST", "/accounts/login/", headers=headers,
            body=f"csrfmiddlewaretoken={token}&login=nobody{attempt}%40example.org&password=wrong-guess",
        )
        assert response.status == 200, response.status
        return response.text


def forged(n: int) -> dict:
    """A made-up address for the n-th request."""
    return {"X-Forwarded-For": f"203.0.113.{n % 250 + 1}"}


def lookups_until_refused(client: Client, *, forging: bool = False) -> int:
    """How many look-ups ``client`` makes before the first refusal; 0 if never refused. A forging client
    claims a new address on every request."""
    for count in range(1, LOOKUPS_UNTIL_REFUSED_AT_MOST + 1):
        if client.get(LOOKUP, **(forged(count) if forging else {})).status == 429:
            return count
    return 0


def test_behind_the_proxy_each_client_has_its_own_lookup_limit(gunicorn, reverse_proxy):
    proxy = reverse_proxy(gunicorn(trusted_proxy_count=1))
    first, second = Client(proxy, CLIENT_A), Client(proxy, CLIENT_B)

    assert lookups_until_refused(first) > 30
    assert second.get(LOOKUP).status == 200
    assert first.get(LOOKUP).status == 429


def test_behind_the_proxy_each_client_has_its_own_sign_in_limit(gunicorn, reverse_proxy):
    proxy = reverse_proxy(gunicorn(trusted_proxy_count=1))
    first, second = Client(proxy, CLIENT_A), Client(proxy, CLIENT_B)

    for attempt in range(20):
        assert TOO_MANY_SIGN_INS not in first.failed_sign_in(attempt)
    assert TOO_MANY_SIGN_INS in first.failed_sign_in(20)
    assert TOO_MANY_SIGN_INS not in second.failed_sign_in(21)


def test_behind_the_proxy_a_client_cannot_choose_its_address(gunicorn, reverse_proxy):
    # The proxy appends the real address after whatever the client sent; only the real one counts.
    proxy = reverse_proxy(gunicorn(trusted_proxy_count=1))
    forger = Client(proxy, CLIENT_A)

    assert lookups_until_refused(forger, forging=True) > 30
    for attempt in range(20):
        forger.failed_sign_in(attempt, **forged(attempt))
    assert TOO_MANY_SIGN_INS in forger.failed_sign_in(20, **forged(20))


def test_talking_to_gunicorn_directly_x_forwarded_for_is_ignored(gunicorn):
    # Without a proxy (TRUSTED_PROXY_COUNT=0), the header is anyone's to send and is not read at all.
    port = gunicorn(trusted_proxy_count=0)
    forger, other = Client(port, CLIENT_C), Client(port, CLIENT_A)

    assert lookups_until_refused(forger, forging=True) > 30
    for attempt in range(20):
        forger.failed_sign_in(attempt, **forged(attempt))
    assert TOO_MANY_SIGN_INS in forger.failed_sign_in(20, **forged(20))
    # Another client at another address is not held up.
    assert other.get(LOOKUP).status == 200
    assert TOO_MANY_SIGN_INS not in other.failed_sign_in(21)
