from allauth.account.auth_backends import AuthenticationBackend as AllauthAuthenticationBackend
from django.contrib.auth import get_user_model


class AuthenticationBackend(AllauthAuthenticationBackend):
    """allauth's sign-in by mobile number or email. Every request then loads its user with the person and
    the administered region in the same query, since the menu and most pages need them, and the WeChat binding
    that the person's page shows."""

    def get_user(self, user_id):
        users = get_user_model()._default_manager.select_related("person", "admin_region", "wechat")
        user = users.filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
