"""django-allauth, fitted to a roster-driven platform: nobody signs up; accounts are created from the
roster and claimed by a one-time code sent to the mobile number (or email) on file."""
import time

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.authentication import get_authentication_records
from allauth.account.fields import PhoneField
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp
from django.conf import settings
from django.contrib import messages as django_messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.crypto import get_random_string
from django.utils.translation import gettext

from academy.http import client_ip

from . import phone as mobile
from .models import MobileChange, User
from . import messages
from .sms import SmsFailed, sms_send
from .wechat.binding import BindingRefused, wechat_pending_bind, wechat_pending_keep, wechat_signed_in
from .wechat.views import flow_for

# How long after signing in with a one-time code someone may choose a new password without typing the
# old one: the code proved they hold the mobile number or mailbox, which is what a reset link proves.
NEW_PASSWORD_WINDOW_SECONDS = 15 * 60


def signed_in_by_code_recently(request) -> bool:
    """Whether the last way this session proved who it is was a one-time code, within the window."""
    records = get_authentication_records(request, request.user)
    latest = records[-1] if records else None
    return bool(
        latest and latest.get("method") == "code" and time.time() - latest.get("at", 0) < NEW_PASSWORD_WINDOW_SECONDS
    )


def six_digit_code() -> str:
    """Codes as people here know them from every other service: six digits, typed on the phone's number
    pad. Guessing is bounded by allauth's limit of three tries per code."""
    return get_random_string(6, allowed_chars="0123456789")


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        return False

    def get_client_ip(self, request) -> str:
        # The address allauth's sign-in limits count by: the same one as every other per-address limit.
        return client_ip(request)

    def phone_form_field(self, **kwargs):
        kwargs.setdefault("validators", [mobile.validate])
        kwargs.setdefault("widget", mobile.widget())
        kwargs.setdefault("label", gettext("Mobile number"))
        return PhoneField(**kwargs)

    def clean_phone(self, phone: str) -> str:
        return mobile.normalise(phone)

    def generate_login_code(self) -> str:
        return six_digit_code()

    def generate_phone_verification_code(self, *, user, phone: str) -> str:
        return six_digit_code()

    def send_verification_code_sms(self, user, phone: str, code: str, **kwargs) -> None:
        message = messages.SIGN_IN_CODE.bind(code=code, minutes=settings.ACCOUNT_LOGIN_BY_CODE_TIMEOUT // 60)
        try:
            sms_send(phone=phone, message=message, user=user)
        except SmsFailed:
            # Recorded and logged by sms_send; the person is told, and may ask for a new code at once.
            django_messages.error(self.request, gettext(
                "The text message with your code could not be sent. Please wait a minute, then press “Send a new code”."
            ))

    def send_unknown_account_sms(self, phone: str, **kwargs) -> None:
        # A number that is not on the roster gets nothing: no text to a stranger, and the page the
        # visitor sees is the same as for a known number, so it reveals nothing either.
        return None

    def set_phone(self, user, phone: str, verified: bool) -> None:
        user.phone = mobile.normalise(phone)
        user.phone_verified = verified
        user.save(update_fields=["phone", "phone_verified"])

    def get_phone(self, user):
        return (user.phone, user.phone_verified) if user.phone else None

    def set_phone_verified(self, user, phone: str) -> None:
        user.phone_verified = True
        user.save(update_fields=["phone_verified"])

    def get_user_by_phone(self, phone: str):
        return User.objects.filter(phone=mobile.normalise(phone), is_active=True).first()

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        # allauth counts failed logins per email or username only; a phone login would fall into one
        # key shared by every mobile number, so that five failures anywhere locked out everyone.
        phone = credentials.get("phone")
        if phone:
            return super()._get_login_attempts_cache_key(request, username="phone:" + mobile.normalise(phone))
        return super()._get_login_attempts_cache_key(request, **credentials)

    def get_login_redirect_url(self, request):
        # Someone claiming a roster account signs in by code first, then chooses a password; someone with
        # a new mobile number waiting is asked to confirm it; someone who has a password and still signed
        # in by code has most likely forgotten it, and is offered a new one.
        if not request.user.has_usable_password():
            return reverse("account_set_password")
        if MobileChange.objects.filter(user=request.user).exists():
            return reverse("accounts:mobile_change")
        if signed_in_by_code_recently(request):
            return reverse("accounts:new_password")
        return super().get_login_redirect_url(request)

    def post_login(self, request, user, **kwargs):
        # A WeChat identity waiting in the session is bound now if this sign-in was by a code (wechat/binding.py).
        try:
            if wechat_pending_bind(request=request, user=user):
                django_messages.success(request, gettext(
                    "WeChat is bound to your account: next time “Sign in with WeChat” signs you in directly."
                ))
        except BindingRefused as refusal:
            django_messages.error(request, str(refusal))
        return super().post_login(request, user, **kwargs)

    def get_password_change_redirect_url(self, request):
        return reverse("accounts:home")


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """WeChat signs in only people whose account it is bound to; nobody gets an account from WeChat alone."""

    def is_open_for_signup(self, request, sociallogin):
        return False

    def is_auto_signup_allowed(self, request, sociallogin):
        return False

    def get_app(self, request, provider, client_id=None):
        # Two WeChat applications may be configured, one per flow: the browser decides which (wechat/views.py).
        if provider != "weixin" or client_id:
            return super().get_app(request, provider, client_id=client_id)
        flow = flow_for(request)
        apps = [app for app in self.list_apps(request, provider=provider) if app.settings.get("flow") == flow]
        if not apps:
            raise SocialApp.DoesNotExist()
        return apps[0]

    def pre_social_login(self, request, sociallogin):
        if sociallogin.is_existing:
            wechat_signed_in(account=sociallogin.account)
            return
        # An identity no account knows: keep it, and ask for the mobile number whose code will bind it.
        wechat_pending_keep(request=request, account=sociallogin.account)
        raise ImmediateHttpResponse(redirect("accounts:wechat_bind"))
