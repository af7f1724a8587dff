import re
from urllib.parse import urlsplit

import pytest
import requests
from django.urls import reverse

from tests.fakes.wechat import APP_ID, APP_SECRET, WEB_APP_ID, WEB_APP_SECRET, FakeWeChat

WECHAT_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN"
)
PC_UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"


def wechat_settings(settings, fake: FakeWeChat, *, scope: str = "snsapi_userinfo") -> None:
    """WeChat switched on and pointed at the fake, as the environment variables would (settings/base.py)."""
    settings.WECHAT_APP_ID, settings.WECHAT_APP_SECRET = APP_ID, APP_SECRET
    settings.WECHAT_WEB_APP_ID, settings.WECHAT_WEB_APP_SECRET = WEB_APP_ID, WEB_APP_SECRET
    settings.WECHAT_OPEN_URL = settings.WECHAT_API_URL = fake.url
    settings.WECHAT_SCOPE = scope
    settings.WECHAT_TEMPLATES = {"training_due": ["TPL-DUE", "thing1", "time2", "number3"], "training_overdue": ["TPL-OVERDUE"]}
    settings.SOCIALACCOUNT_PROVIDERS = {
        "weixin": {
            **settings.SOCIALACCOUNT_PROVIDERS["weixin"],
            "APPS": [
                {"client_id": APP_ID, "secret": APP_SECRET, "settings": {"flow": "official_account"}},
                {"client_id": WEB_APP_ID, "secret": WEB_APP_SECRET, "settings": {"flow": "website"}},
            ],
        }
    }


@pytest.fixture
def wechat(settings):
    with FakeWeChat() as fake:
        wechat_settings(settings, fake)
        yield fake


def wechat_sign_in(client, *, user_agent: str = WECHAT_UA):
    """Press 微信登录, agree on WeChat's page, come back: the response of the platform's callback."""
    start = client.post(reverse("weixin_login"), {"process": "login"}, HTTP_USER_AGENT=user_agent)
    assert start.status_code == 302, start.content
    page = requests.get(start.url.split("#")[0], timeout=5)
    assert page.status_code == 200, page.text
    back = re.search(r'id="allow" href="([^"]+)"', page.text).group(1).replace("&amp;", "&")
    callback = urlsplit(back)
    return client.get(callback.path + "?" + callback.query, HTTP_USER_AGENT=user_agent)


def code_in(text: str) -> str:
    return re.search(r"code is (\d{6})\b", text).group(1)


def bind_with_code(client, phone: str, sms_outbox, *, user_agent: str = WECHAT_UA):
    """On the binding page: the mobile number, then the code texted to it."""
    client.post(reverse("account_request_login_code"), {"login": phone}, HTTP_USER_AGENT=user_agent)
    sent_to, text = sms_outbox[-1]
    assert sent_to == phone
    return client.post(reverse("account_confirm_login_code"), {"code": code_in(text)}, HTTP_USER_AGENT=user_agent)
