"""Accounts for people on the roster. An account is created unusable-password; the person claims it by
signing in with a one-time code sent to their mobile number, then chooses a password."""
from .models import User


def _new_account(person) -> User:
    user = User(person=person, username=f"person-{person.pk}", phone=person.mobile or None)
    user.set_unusable_password()
    return user


def account_for_person(*, person) -> User:
    """Create or update the trainee account of ``person``: its mobile number is the sign-in name."""
    user = User.objects.filter(person=person).first() or _new_account(person)
    user.phone = person.mobile or None
    user.save()
    return user


def accounts_for_people(*, people) -> list[User]:
    """account_for_person for many people who have no account yet, in a few statements (roster imports
    and demo data create tens of thousands)."""
    return User.objects.bulk_create([_new_account(person) for person in people], batch_size=1000)


def account_phone_taken(*, phone: str, person=None) -> bool:
    """Whether ``phone`` already signs in someone other than ``person``."""
    others = User.objects.filter(phone=phone)
    if person is not None and person.pk:
        others = others.exclude(person=person)
    return others.exists()
