"""allauth's sign-in forms with one box, "login", for the mobile number or, on request, the email address.
They are named in settings.ACCOUNT_FORMS."""
from allauth.account import forms as allauth_forms
from allauth.account.adapter import get_adapter
from allauth.account.fields import EmailField
from allauth.core import context
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import phone as mobile


def _login_box(form: forms.Form) -> None:
    """The sign-in pages open with a box for the mobile number, which brings up a phone's number pad; the few
    who sign in by email (some staff) follow a link to the same page with ?by=email, which shows an email box
    instead. Either box posts "login", and the forms read a mobile number or an email address from it, whichever
    was typed, so allauth's flow is the same for both."""
    request = getattr(form, "request", None) or context.request
    form.by_email = request.GET.get("by") == "email"
    field = form.fields["login"]
    if form.by_email:
        field.label = _("Email")
        field.widget = forms.EmailInput(attrs={"autocomplete": "email", "autocapitalize": "none", "spellcheck": "false"})
    else:
        field.label = _("Mobile number")
        field.widget = mobile.widget()


class LoginForm(allauth_forms.LoginForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _login_box(self)
        # The sign-in page shows the way in by code prominently, under the form.
        self.fields["password"].help_text = ""

    def clean_login(self) -> str:
        """A number that cannot be a mobile number is named as the problem, on its box; otherwise allauth
        answers "username and/or password not correct", and there are no usernames. Says nothing of accounts."""
        login = super().clean_login()
        if "@" not in login:
            mobile.validate(login)
        return login


class RequestLoginCodeForm(allauth_forms.RequestLoginCodeForm):
    """allauth's form has a box for the mobile number and another for the email; this one has a single
    box and fills in whichever of the two the visitor typed, so allauth's checks (rate limit, look-up
    without revealing whether the account exists) run unchanged."""

    login = forms.CharField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.pop("email", None)
        self.fields.pop("phone", None)
        _login_box(self)
        self._user = None

    def clean(self):
        cleaned_data = super().clean()
        login = (cleaned_data.get("login") or "").strip()
        if not login:
            return cleaned_data
        try:
            if "@" in login:
                cleaned_data["email"] = EmailField().clean(login)
                self.clean_email()
            else:
                cleaned_data["phone"] = get_adapter().phone_form_field(required=True).clean(login)
                self.clean_phone()
        except ValidationError as error:
            self.add_error("login", error)
        return cleaned_data


class ConfirmLoginCodeForm(allauth_forms.ConfirmLoginCodeForm):
    """Phones show the number pad and offer the code from the text message."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].label = _("Sign-in code")
        self.fields["code"].widget.attrs.update(
            {"inputmode": "numeric", "autocomplete": "one-time-code", "placeholder": ""}
        )


class MobileChangeCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Confirmation code"), max_length=6, min_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
        error_messages={"min_length": _("The code has 6 digits.")},
    )


class WeChatBindForm(forms.Form):
    """Shown on the WeChat binding page; it posts to allauth's code sign-in, whose form checks it."""

    login = forms.CharField(
        label=_("Mobile number"), max_length=20, widget=mobile.widget(),
    )
