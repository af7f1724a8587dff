from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from .second_factor import has_second_factor, second_factor_required

# What someone who must still set up their authenticator app may reach: the set-up page, the confirmation of
# their password that allauth asks for before it, the language switch and signing out.
SET_UP_PAGES = frozenset({
    "mfa_activate_totp", "account_reauthenticate", "mfa_reauthenticate", "account_logout", "wagtailadmin_logout",
    "set_language",
})


class SecondFactorRequiredMiddleware:
    """Sends a signed-in system administrator or content editor who has no authenticator app yet to set one
    up, whatever page they ask for. allauth offers the second factor but has no way to require it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated or request.resolver_match.url_name in SET_UP_PAGES:
            return None
        if second_factor_required(user) and not has_second_factor(user):
            messages.info(request, _("Your account can change the whole platform: set up an authenticator app first."))
            return redirect("mfa_activate_totp")
        return None
