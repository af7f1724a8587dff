"""django-allauth, fitted to a roster-driven platform: nobody signs up; accounts are created from the
roster and claimed by a one-time code sent to the mobile number (or email) on file."""
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.fields import PhoneField
from django.urls import reverse
from django.utils.translation import gettext

from . import phone as mobile
from .models import User
from .sms import send_sms


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        return False

    def phone_form_field(self, **kwargs):
        kwargs.setdefault("validators", [mobile.validate])
        kwargs.setdefault("label", gettext("Mobile number"))
        return PhoneField(**kwargs)

    def clean_phone(self, phone: str) -> str:
        return mobile.normalise(phone)

    def send_verification_code_sms(self, user, phone: str, code: str, **kwargs) -> None:
        send_sms(
            phone,
            gettext("Your sign-in code is %(code)s. It is valid for 10 minutes; do not share it.") % {"code": code},
        )

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

    def get_login_redirect_url(self, request):
        # Someone claiming a roster account signs in by code first, then chooses a password.
        if not request.user.has_usable_password():
            return reverse("account_set_password")
        return super().get_login_redirect_url(request)
