"""manage.py second_factor_reset MOBILE_OR_EMAIL: for someone who lost both their phone's authenticator app
and their recovery codes, once a system administrator has checked who they are."""
from django.core.management.base import BaseCommand, CommandError

from academy.accounts import phone as mobile
from academy.accounts.models import User
from academy.accounts.second_factor import second_factor_reset


class Command(BaseCommand):
    help = "Remove the authenticator app and recovery codes of the account signing in with this mobile number or email."

    def add_arguments(self, parser):
        parser.add_argument("login", help="the mobile number or email the person signs in with")

    def handle(self, *args, login, **options):
        if "@" in login:
            user = User.objects.filter(email__iexact=login.strip()).first()
        else:
            user = User.objects.filter(phone=mobile.normalise(login)).first()
        if user is None:
            raise CommandError(f"No account signs in with {login}.")
        if second_factor_reset(user=user):
            self.stdout.write(f"Removed the authenticator app and recovery codes of {user.display_name}.")
        else:
            self.stdout.write(f"{user.display_name} has no authenticator app.")
