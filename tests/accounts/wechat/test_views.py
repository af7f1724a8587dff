"""allauth's weixin provider as fitted: WeChat's addresses from the settings, the flow chosen by the browser."""
from urllib.parse import parse_qs, urlsplit

from django.urls import reverse

from tests.fakes.wechat import APP_ID

from .conftest import PC_UA, WECHAT_UA, wechat_settings, wechat_sign_in


def test_inside_wechat_the_official_account_page_is_used(client, wechat, db):
    response = client.post(reverse("weixin_login"), {"process": "login"}, HTTP_USER_AGENT=WECHAT_UA)
    url = urlsplit(response.url)
    assert response.url.startswith(wechat.url + "/connect/oauth2/authorize?")
    assert url.fragment == "wechat_redirect"
    query = {key: values[0] for key, values in parse_qs(url.query).items()}
    assert query["appid"] == APP_ID and query["scope"] == "snsapi_userinfo" and query["response_type"] == "code"
    assert query["redirect_uri"] == "http://testserver/accounts/weixin/login/callback/" and query["state"]


def test_the_code_is_exchanged_with_the_secret_and_the_profile_read(client, wechat, db):
    wechat_sign_in(client)
    token, profile = [r for r in wechat.requests if r["path"] in ("/sns/oauth2/access_token", "/sns/userinfo")]
    assert token["method"] == "GET" and token["query"]["secret"] == "fake-official-account-secret"
    assert token["query"]["grant_type"] == "authorization_code"
    assert profile["query"]["openid"] == "o-official-1"


def test_a_silent_sign_in_reads_no_profile(client, settings, wechat, db):
    wechat_settings(settings, wechat, scope="snsapi_base")
    response = wechat_sign_in(client)
    assert response.url == reverse("accounts:wechat_bind")
    assert [r["query"]["scope"] for r in wechat.requests if r["path"] == "/connect/oauth2/authorize"] == ["snsapi_base"]
    assert not [r for r in wechat.requests if r["path"] == "/sns/userinfo"]


def test_a_code_used_twice_is_refused_and_signs_nobody_in(client, wechat, db):
    start = client.post(reverse("weixin_login"), {"process": "login"}, HTTP_USER_AGENT=WECHAT_UA)
    query = {key: values[0] for key, values in parse_qs(urlsplit(start.url).query).items()}
    back = urlsplit(wechat.authorize_redirect(query))
    wechat.codes.clear()  # as if the code had been used already
    response = client.get(back.path + "?" + back.query, HTTP_USER_AGENT=WECHAT_UA)
    assert response.status_code == 401 and "_auth_user_id" not in client.session  # allauth's sign-in error page


def test_the_sign_in_page_offers_wechat_only_when_configured(client, settings, wechat, db):
    assert "Sign in with WeChat" in client.get(reverse("account_login"), HTTP_USER_AGENT=PC_UA).content.decode()
    settings.SOCIALACCOUNT_PROVIDERS = {"weixin": {**settings.SOCIALACCOUNT_PROVIDERS["weixin"], "APPS": []}}
    assert "Sign in with WeChat" not in client.get(reverse("account_login"), HTTP_USER_AGENT=PC_UA).content.decode()
    response = client.post(reverse("weixin_login"), {"process": "login"}, HTTP_USER_AGENT=WECHAT_UA)
    assert response.status_code == 404
