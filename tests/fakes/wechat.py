"""A local stand-in for WeChat, for the tests of academy/accounts/wechat/: an HTTP server in a thread speaking
the OAuth2 protocol of the 公众号 (/connect/oauth2/authorize) and of the website application's QR sign-in
(/connect/qrconnect), the code exchange (/sns/oauth2/access_token), the profile (/sns/userinfo), and the
template message API (/cgi-bin/token, /cgi-bin/message/template/send). It checks every parameter the way WeChat
does and keeps what was asked.

The authorisation pages show a button ("同意" / Allow) standing in for the person's consent in WeChat; pressing it
(or calling ``authorize_redirect``) sends the browser back to redirect_uri with a code and the state."""
import html
import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

APP_ID, APP_SECRET = "wx-fake-official-account", "fake-official-account-secret"
WEB_APP_ID, WEB_APP_SECRET = "wx-fake-website", "fake-website-secret"


class FakeWeChat:
    """``person``: who is "using WeChat" (openid per app id, unionid, nickname); change it between sign-ins.
    ``template_answers``: errcodes to answer the next template sends with, then 0 for ever."""

    def __init__(self):
        self.person = {"openids": {APP_ID: "o-official-1", WEB_APP_ID: "o-website-1"}, "unionid": "u-1", "nickname": "小王"}
        self.requests: list[dict] = []
        self.codes: dict[str, dict] = {}
        self.tokens: dict[str, dict] = {}
        self.client_tokens: list[str] = []
        self.sent: list[dict] = []
        self.template_answers: list[int] = []
        self.tokens_issued = 0
        fake = self

        class Handler(_Handler):
            wechat = fake

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def authorize_redirect(self, query: dict) -> str:
        """The address WeChat sends the browser back to once the person agreed: redirect_uri?code=…&state=…"""
        app_id, scope = query["appid"], query["scope"]
        code = secrets.token_hex(8)
        self.codes[code] = {"appid": app_id, "scope": scope, "redirect_uri": query["redirect_uri"]}
        return query["redirect_uri"] + "?" + urlencode({"code": code, "state": query.get("state", "")})

    def secret_of(self, app_id: str) -> str | None:
        return {APP_ID: APP_SECRET, WEB_APP_ID: WEB_APP_SECRET}.get(app_id)


AUTHORIZE_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>微信授权</title></head><body>
<h1>微信授权（测试）</h1><p>{app} 申请使用你的微信身份（{scope}）</p><a id="allow" href="{target}">同意</a></body></html>"""


class _Handler(BaseHTTPRequestHandler):
    wechat: FakeWeChat

    def log_message(self, *args):
        pass

    def _json(self, body: dict):
        data = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, errcode: int, errmsg: str):
        return self._json({"errcode": errcode, "errmsg": errmsg})

    def do_GET(self):
        url = urlsplit(self.path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        self.wechat.requests.append({"method": "GET", "path": url.path, "query": query})
        routes = {
            "/connect/oauth2/authorize": self._authorize_official_account,
            "/connect/qrconnect": self._authorize_qr,
            "/sns/oauth2/access_token": self._access_token,
            "/sns/userinfo": self._userinfo,
            "/cgi-bin/token": self._client_token,
        }
        handler = routes.get(url.path)
        if handler is None:
            self.send_error(404)
            return
        handler(query)

    def do_POST(self):
        url = urlsplit(self.path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.wechat.requests.append({"method": "POST", "path": url.path, "query": query, "body": body})
        if url.path != "/cgi-bin/message/template/send":
            self.send_error(404)
            return
        self._template_send(query, body)

    # OAuth2 -----------------------------------------------------------------------------------------------

    def _authorize_page(self, query: dict, *, app_id: str, scopes: set[str]):
        problems = []
        if query.get("appid") != app_id:
            problems.append(f"appid {query.get('appid')!r}")
        if query.get("response_type") != "code":
            problems.append("response_type")
        if query.get("scope") not in scopes:
            problems.append(f"scope {query.get('scope')!r}")
        if not query.get("redirect_uri", "").startswith("http"):
            problems.append("redirect_uri")
        if not query.get("state"):
            problems.append("state")
        if problems:
            body = ("参数错误: " + ", ".join(problems)).encode()
            self.send_response(400)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)
            return
        page = AUTHORIZE_PAGE.format(
            app=html.escape(app_id), scope=html.escape(query["scope"]),
            target=html.escape(self.wechat.authorize_redirect(query)),
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    def _authorize_official_account(self, query):
        self._authorize_page(query, app_id=APP_ID, scopes={"snsapi_base", "snsapi_userinfo"})

    def _authorize_qr(self, query):
        self._authorize_page(query, app_id=WEB_APP_ID, scopes={"snsapi_login"})

    def _access_token(self, query):
        code = self.wechat.codes.pop(query.get("code", ""), None)  # a code is good once
        if query.get("grant_type") != "authorization_code":
            return self._error(40002, "invalid grant_type")
        if code is None:
            return self._error(40029, "invalid code")
        if query.get("appid") != code["appid"] or query.get("secret") != self.wechat.secret_of(code["appid"]):
            return self._error(40125, "invalid appsecret")
        person = self.wechat.person
        openid = person["openids"][code["appid"]]
        token = secrets.token_hex(12)
        self.wechat.tokens[token] = {"openid": openid, "scope": code["scope"]}
        answer = {"access_token": token, "expires_in": 7200, "refresh_token": "r", "openid": openid, "scope": code["scope"]}
        if code["scope"] != "snsapi_base":
            answer["unionid"] = person["unionid"]
        return self._json(answer)

    def _userinfo(self, query):
        token = self.wechat.tokens.get(query.get("access_token", ""))
        if token is None:
            return self._error(40001, "invalid credential, access_token is invalid")
        if token["scope"] == "snsapi_base":
            return self._error(48001, "api unauthorized")
        if query.get("openid") != token["openid"]:
            return self._error(40003, "invalid openid")
        person = self.wechat.person
        return self._json({"openid": token["openid"], "nickname": person["nickname"], "headimgurl": "", "unionid": person["unionid"]})

    # Template messages ------------------------------------------------------------------------------------

    def _client_token(self, query):
        if query.get("grant_type") != "client_credential":
            return self._error(40002, "invalid grant_type")
        if query.get("appid") != APP_ID or query.get("secret") != APP_SECRET:
            return self._error(40125, "invalid appsecret")
        token = secrets.token_hex(12)
        self.wechat.client_tokens.append(token)
        self.wechat.tokens_issued += 1
        return self._json({"access_token": token, "expires_in": 7200})

    def _template_send(self, query, body):
        if query.get("access_token") not in self.wechat.client_tokens:
            return self._error(40001, "invalid credential, access_token is invalid")
        if self.wechat.template_answers:
            errcode = self.wechat.template_answers.pop(0)
            if errcode == 42001:
                self.wechat.client_tokens.remove(query["access_token"])  # the token expired at WeChat's end
            if errcode:
                return self._error(errcode, "refused by the fake WeChat")
        try:
            message = json.loads(body)
        except ValueError:
            return self._error(47001, "data format error")
        if not message.get("touser") or not message.get("template_id") or not isinstance(message.get("data"), dict):
            return self._error(47003, "argument invalid")
        if any(set(value) != {"value"} or not value["value"] for value in message["data"].values()):
            return self._error(47003, "argument invalid: data")
        if any(key.startswith("thing") and len(value["value"]) > 20 for key, value in message["data"].items()):
            return self._error(47003, "argument invalid! data.thing.value too long")
        self.wechat.sent.append(message)
        return self._json({"errcode": 0, "errmsg": "ok", "msgid": 1000 + len(self.wechat.sent)})
