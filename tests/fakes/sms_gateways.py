"""Local stand-ins for Aliyun's and Tencent Cloud's SMS APIs, for the tests of academy/accounts/sms.py: an HTTP
server in a thread that checks each request's signature the way the real gateway does (Aliyun's ACS3-HMAC-SHA256,
Tencent Cloud's TC3-HMAC-SHA256) with the test's secret, keeps what was asked, and answers as told."""
import datetime
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, urlsplit

ACCESS_KEY_ID = "fake-access-key-id"
ACCESS_KEY_SECRET = "fake-access-key-secret"


class FakeGateway:
    """``answers``: what to answer next, in order — "ok", an error code, or "500"; then "ok" for ever."""

    def __init__(self, handler_class):
        self.requests: list[dict] = []
        self.answers: list[str] = []
        gateway = self

        class Handler(handler_class):
            def gateway(self):
                return gateway

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.server.server_port}"

    def next_answer(self) -> str:
        return self.answers.pop(0) if self.answers else "ok"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _reply(self, status: int, body: dict):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class AliyunHandler(_Handler):
    """dysmsapi 2017-05-25 SendSms, signed with ACS3-HMAC-SHA256."""

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        url = urlsplit(self.path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        signature_valid = self._signature_valid(url.path or "/", query, body)
        self.gateway().requests.append({"query": query, "headers": dict(self.headers), "signature_valid": signature_valid})
        if not signature_valid:
            return self._reply(400, {"Code": "SignatureDoesNotMatch", "Message": "signature", "RequestId": "r"})
        answer = self.gateway().next_answer()
        if answer == "500":
            return self._reply(500, {"Code": "ServiceUnavailable", "Message": "unavailable", "RequestId": "r"})
        if answer != "ok":
            return self._reply(200, {"Code": answer, "Message": "refused by the fake gateway", "RequestId": "r"})
        return self._reply(200, {"Code": "OK", "Message": "OK", "BizId": f"biz-{len(self.gateway().requests)}", "RequestId": "r"})

    def _signature_valid(self, path: str, query: dict, body: bytes) -> bool:
        authorization = self.headers.get("Authorization", "")
        algorithm, _, fields = authorization.partition(" ")
        parts = dict(field.split("=", 1) for field in fields.split(",") if "=" in field)
        if algorithm != "ACS3-HMAC-SHA256" or parts.get("Credential") != ACCESS_KEY_ID:
            return False
        if self.headers.get("x-acs-content-sha256") != hashlib.sha256(body).hexdigest():
            return False
        signed = parts["SignedHeaders"].split(";")
        canonical_headers = "".join(f"{name}:{self.headers.get(name, '').strip()}\n" for name in signed)
        canonical_query = "&".join(f"{key}={quote(query[key], safe='~')}" for key in sorted(query))
        canonical_request = "\n".join([
            self.command, path, canonical_query, canonical_headers, parts["SignedHeaders"],
            self.headers["x-acs-content-sha256"],
        ])
        to_sign = f"ACS3-HMAC-SHA256\n{hashlib.sha256(canonical_request.encode()).hexdigest()}"
        expected = hmac.new(ACCESS_KEY_SECRET.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, parts.get("Signature", ""))


class TencentHandler(_Handler):
    """SMS 2021-01-11 SendSms, signed with TC3-HMAC-SHA256."""

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        payload = json.loads(body or b"{}")
        signature_valid = self._signature_valid(body)
        self.gateway().requests.append({"payload": payload, "headers": dict(self.headers), "signature_valid": signature_valid})
        if not signature_valid:
            return self._reply(200, {"Response": {"Error": {"Code": "AuthFailure.SignatureFailure", "Message": "signature"}, "RequestId": "r"}})
        answer = self.gateway().next_answer()
        if answer == "500":
            return self._reply(500, {})
        if answer != "ok":
            status = {"SerialNo": "", "PhoneNumber": payload["PhoneNumberSet"][0], "Fee": 0, "SessionContext": "",
                      "Code": answer, "Message": "refused by the fake gateway", "IsoCode": "CN"}
        else:
            status = {"SerialNo": f"serial-{len(self.gateway().requests)}", "PhoneNumber": payload["PhoneNumberSet"][0],
                      "Fee": 1, "SessionContext": "", "Code": "Ok", "Message": "send success", "IsoCode": "CN"}
        return self._reply(200, {"Response": {"SendStatusSet": [status], "RequestId": "r"}})

    def _signature_valid(self, body: bytes) -> bool:
        authorization = self.headers.get("Authorization", "")
        algorithm, _, fields = authorization.partition(" ")
        parts = dict(field.strip().split("=", 1) for field in fields.split(",") if "=" in field)
        credential = parts.get("Credential", "").split("/")
        if algorithm != "TC3-HMAC-SHA256" or len(credential) != 4 or credential[0] != ACCESS_KEY_ID:
            return False
        timestamp = self.headers["X-TC-Timestamp"]
        date = datetime.datetime.fromtimestamp(int(timestamp), datetime.timezone.utc).strftime("%Y-%m-%d")
        if credential[1] != date or credential[2] != "sms":
            return False
        canonical_request = "\n".join([
            "POST", "/", "", f"content-type:{self.headers['Content-Type']}\nhost:{self.headers['Host']}\n",
            "content-type;host", hashlib.sha256(body).hexdigest(),
        ])
        to_sign = "\n".join([
            "TC3-HMAC-SHA256", timestamp, f"{date}/sms/tc3_request", hashlib.sha256(canonical_request.encode()).hexdigest(),
        ])
        key = ("TC3" + ACCESS_KEY_SECRET).encode()
        for part in (date, "sms", "tc3_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, parts.get("Signature", ""))
