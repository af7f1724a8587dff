"""allauth's weixin adapter with WeChat's addresses read from the settings (allauth fixes all but the
authorisation page), and the flow chosen by the browser: WeChat's own browser goes through the 公众号's OAuth
page, any other browser shows the website application's QR code. Both legs of a sign-in (the redirect and the
callback) come from the same browser, so they agree on the flow and on the application."""
from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from allauth.socialaccount.providers.weixin.client import WeixinOAuth2Client
from allauth.socialaccount.providers.weixin.views import WeixinOAuth2Adapter
from django.conf import settings
from django.http import Http404

OFFICIAL_ACCOUNT, WEBSITE = "official_account", "website"
QR_SCOPE = "snsapi_login"


def in_wechat(request) -> bool:
    """Whether the page is open in WeChat's own browser, which sends "MicroMessenger" in its user agent."""
    return "micromessenger" in request.headers.get("User-Agent", "").lower()


def flow_for(request) -> str:
    return OFFICIAL_ACCOUNT if in_wechat(request) else WEBSITE


def wechat_available(request) -> bool:
    """Whether a WeChat application is configured for this browser's flow (the sign-in page's button)."""
    if not settings.WECHAT_APP_ID:
        return False  # WeChat is off: no look-up of allauth's applications at all
    return any(
        app.settings.get("flow") == flow_for(request)
        for app in get_adapter(request).list_apps(request, provider="weixin")
    )


class WeChatOAuth2Client(WeixinOAuth2Client):
    def get_redirect_url(self, authorization_url, scope, extra_params):
        url = super().get_redirect_url(authorization_url, scope, extra_params)
        # The 公众号's page insists on this fragment, WeChat's documentation says; the QR page ignores it.
        return url + "#wechat_redirect" if authorization_url.endswith("/connect/oauth2/authorize") else url


class WeChatOAuth2Adapter(WeixinOAuth2Adapter):
    client_class = WeChatOAuth2Client
    access_token_method = "GET"  # WeChat's documented method: the parameters in the query string

    @property
    def authorize_url(self):
        path = "/connect/oauth2/authorize" if in_wechat(self.request) else "/connect/qrconnect"
        return settings.WECHAT_OPEN_URL.rstrip("/") + path

    @property
    def access_token_url(self):
        return settings.WECHAT_API_URL.rstrip("/") + "/sns/oauth2/access_token"

    @property
    def profile_url(self):
        return settings.WECHAT_API_URL.rstrip("/") + "/sns/userinfo"

    def complete_login(self, request, app, token, **kwargs):
        response = kwargs.get("response", {})
        if response.get("scope") == "snsapi_base":
            # A silent sign-in may not read the profile: the openid (and a unionid when given) is all there is.
            data = {key: response[key] for key in ("openid", "unionid") if response.get(key)}
        else:
            with get_adapter().get_requests_session() as session:
                answer = session.get(
                    self.profile_url, params={"access_token": token.token, "openid": response.get("openid")}, timeout=10
                )
                answer.raise_for_status()
                profile = answer.json()
            # Kept: who it is, and the nickname to show on the person's page. Nothing else of the profile.
            data = {key: profile[key] for key in ("openid", "unionid", "nickname") if profile.get(key)}
        data["flow"] = flow_for(request)
        return self.get_provider().sociallogin_from_response(request, data)


def _configured(view):
    def wrapped(request, *args, **kwargs):
        # Without an application for this browser's flow WeChat is off here: no page, not a server error.
        if not wechat_available(request):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


oauth2_login = _configured(OAuth2LoginView.adapter_view(WeChatOAuth2Adapter))
oauth2_callback = _configured(OAuth2CallbackView.adapter_view(WeChatOAuth2Adapter))
