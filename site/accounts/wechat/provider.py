"""allauth's weixin provider as this platform uses it (SOCIALACCOUNT_PROVIDERS["weixin"]["provider_class"])."""
from allauth.socialaccount.providers.weixin.provider import WeixinProvider
from django.conf import settings

from .views import OFFICIAL_ACCOUNT, QR_SCOPE, WeChatOAuth2Adapter


class WeChatProvider(WeixinProvider):
    oauth2_adapter_class = WeChatOAuth2Adapter

    def get_default_scope(self):
        if self.app.settings.get("flow") == OFFICIAL_ACCOUNT:
            return [settings.WECHAT_SCOPE]
        return [QR_SCOPE]

    def extract_uid(self, data):
        # The unionid is the same person in the 公众号 and in the website application (both under one WeChat Open
        # Platform account); the openid differs between them. Without a unionid, the openid of the flow used.
        return data.get("unionid") or data["openid"]

    def extract_common_fields(self, data):
        return {}  # nothing of WeChat's profile is written onto the account
