"""Accounts for people on the roster. An account is created unusable-password; the person claims it by
signing in with a one-time code sent to their mobile number, then chooses a password."""
from .models import User


def account_for_person(*, person) -> User:
    """Create or update the trainee account of ``person``: its mobile number is the sign-in name."""
    user = User.objects.filter(person=person).first()
    if user is None:
        user = User(person=person, username=f"person-{person.pk}")
        user.set_unusable_password()
    user.phone = person.mobile or None
    user.save()
    return user


def account_phone_taken(*, phone: str, person=None) -> bool:
    """Whether ``phone`` already signs in someone other than ``person``."""
    others = User.objects.filter(phone=phone)
    if person is not None and person.pk:
        others = others.exclude(person=person)
    return others.exists()
