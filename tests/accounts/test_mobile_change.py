"""A new mobile number for an account its holder has claimed waits for the holder: nobody but the person
ever receives a code that signs them in (issue 10, section 1)."""
import datetime
import re

import pytest
from django.contrib.auth import get_user
from django.db import connection
from django.test import Client
from django.urls import reverse

from academy.accounts import services
from academy.accounts.models import MobileChange, User
from academy.accounts.services import account_for_person
from academy.audit.models import AuditAction, AuditEntry
from academy.organisation.services import person_update
from tests.factories import PersonFactory, make_scope_world, user_with_role
from tests.races import race

REQUEST_CODE = reverse("account_request_login_code")
CONFIRM_CODE = reverse("account_confirm_login_code")
MOBILE_CHANGE = reverse("accounts:mobile_change")
NEW = "13911112222"


@pytest.fixture
def world(db):
    return make_scope_world()


@pytest.fixture
def trainee(world):
    """上城主任 has claimed her account: she signed in and chose a password."""
    user = account_for_person(person=world.home_director)
    user.email = "director@example.org"
    user.set_password("a-long-secret-phrase")
    user.save()
    return user


@pytest.fixture
def chief_assessor(world):
    """The head of the provincial children's home is a chief assessor with a claimed account."""
    user = account_for_person(person=world.province_head)
    user.is_assessor = True
    user.set_password("a-long-secret-phrase")
    user.save()
    return user


@pytest.fixture
def commits(django_capture_on_commit_callbacks):
    """Runs what the code leaves for after its transaction commits (texts and emails)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def edit_mobile(client, person, mobile):
    return client.post(reverse("organisation:person_edit", args=[person.pk]), {
        "name": person.name, "sex": person.sex, "mobile": mobile, "professional_category": "none",
    })


def codes_sent_to(sms_outbox, phone) -> list[str]:
    return [code for to, text in sms_outbox if to == phone for code in re.findall(r"\b\d{6}\b", text)]


def try_to_sign_in_by_code(phone, sms_outbox, commits) -> Client:
    """What an administrator holding ``phone`` would do: ask for a sign-in code and type every code that
    reached the phone."""
    attacker = Client()
    with commits():
        attacker.post(REQUEST_CODE, {"login": phone})
    for code in codes_sent_to(sms_outbox, phone):
        attacker.post(CONFIRM_CODE, {"code": code})
    return attacker


def sign_in(client, login="13900000001", password="a-long-secret-phrase"):
    return client.post(reverse("account_login"), {"login": login, "password": password})


# The two reproductions of the issue.

def test_a_county_administrator_cannot_sign_in_as_a_trainee_by_changing_her_mobile(
    client, world, trainee, sms_outbox, commits
):
    client.force_login(user_with_role("county_admin"))
    with commits():
        edit_mobile(client, world.home_director, NEW)
    attacker = try_to_sign_in_by_code(NEW, sms_outbox, commits)
    assert get_user(attacker).pk != trainee.pk
    assert not get_user(attacker).is_authenticated
    trainee.refresh_from_db()
    assert trainee.phone == "13900000001"


def test_a_province_administrator_cannot_sign_in_as_a_chief_assessor_by_changing_his_mobile(
    client, world, chief_assessor, sms_outbox, commits
):
    client.force_login(user_with_role("province_admin"))
    with commits():
        edit_mobile(client, world.province_head, NEW)
    attacker = try_to_sign_in_by_code(NEW, sms_outbox, commits)
    assert not get_user(attacker).is_authenticated
    chief_assessor.refresh_from_db()
    assert chief_assessor.phone == "13900000007"


def test_a_roster_update_of_a_claimed_account_leaves_the_number_pending(world, trainee, sms_outbox, commits):
    # What a roster import does: the person's number written, then the account brought in line.
    person = world.home_director
    person.mobile = NEW
    with commits():
        account_for_person(person=person)
    person.refresh_from_db()
    trainee.refresh_from_db()
    assert person.mobile == trainee.phone == "13900000001"
    assert trainee.mobile_change.phone == NEW
    assert not get_user(try_to_sign_in_by_code(NEW, sms_outbox, commits)).is_authenticated


# The change requested.

def test_the_request_sends_a_code_to_the_new_number_and_tells_the_old_one_and_the_email(
    client, world, trainee, sms_outbox, mailoutbox, commits
):
    admin = user_with_role("county_admin")
    client.force_login(admin)
    with commits():
        response = edit_mobile(client, world.home_director, NEW)
    assert response.status_code == 302
    world.home_director.refresh_from_db()
    assert world.home_director.mobile == "13900000001"  # the roster keeps the number she signs in with

    to_new = [text for phone, text in sms_outbox if phone == NEW]
    assert len(to_new) == 1 and "does not sign you in" in to_new[0]
    to_old = [text for phone, text in sms_outbox if phone == "13900000001"]
    assert len(to_old) == 1 and "139****2222" in to_old[0] and NEW not in to_old[0]
    assert [mail.to for mail in mailoutbox] == [["director@example.org"]]
    assert trainee.notifications.filter(url=MOBILE_CHANGE).exists()

    entry = AuditEntry.objects.get(action=AuditAction.MOBILE_CHANGE_REQUESTED)
    assert entry.actor == admin and entry.object_id == str(trainee.pk)
    assert codes_sent_to(sms_outbox, NEW)[0] not in str(entry.detail)

    page = client.get(reverse("organisation:person_detail", args=[world.home_director.pk])).content.decode()
    assert "139****2222" in page and "waiting for the holder" in page


def test_the_same_number_entered_again_sends_nothing_more(client, world, trainee, sms_outbox, commits):
    client.force_login(user_with_role("county_admin"))
    with commits():
        edit_mobile(client, world.home_director, NEW)
        world.home_director.mobile = NEW
        account_for_person(person=world.home_director)
    assert len(codes_sent_to(sms_outbox, NEW)) == 1


def test_a_claimed_accounts_number_can_be_replaced_but_not_removed(client, world, trainee):
    client.force_login(user_with_role("county_admin"))
    response = edit_mobile(client, world.home_director, "")
    assert "can be replaced, not removed" in str(response.context["form"].errors["mobile"])
    trainee.refresh_from_db()
    assert trainee.phone == "13900000001"


def test_an_unclaimed_account_is_corrected_at_once_and_claimed_with_the_new_number(
    client, world, sms_outbox, commits
):
    account = account_for_person(person=world.home_director)  # never signed in, no password
    client.force_login(user_with_role("county_admin"))
    edit_mobile(client, world.home_director, NEW)
    account.refresh_from_db()
    assert account.phone == NEW and not MobileChange.objects.exists()
    assert AuditEntry.objects.get(action=AuditAction.MOBILE_CHANGED).detail["claimed"] is False

    holder = Client()
    holder.post(REQUEST_CODE, {"login": NEW})
    holder.post(CONFIRM_CODE, {"code": codes_sent_to(sms_outbox, NEW)[0]})
    assert get_user(holder).pk == account.pk


def test_an_account_signed_in_by_code_without_a_password_counts_as_claimed(world, commits):
    account = account_for_person(person=world.home_director)
    User.objects.filter(pk=account.pk).update(last_login=datetime.datetime(2025, 3, 1, tzinfo=datetime.UTC))
    with commits():
        person_update(person=world.home_director, actor=None, mobile=NEW)
    account.refresh_from_db()
    assert account.phone == "13900000001" and account.mobile_change.phone == NEW


# The holder confirms or declines.

@pytest.fixture
def pending(client, world, trainee, sms_outbox, commits):
    """上城主任's county administrator has entered a new number for her; returns its code."""
    admin_client = Client()
    admin_client.force_login(user_with_role("county_admin"))
    with commits():
        edit_mobile(admin_client, world.home_director, NEW)
    code = codes_sent_to(sms_outbox, NEW)[0]
    sms_outbox.clear()
    return code


def test_the_holder_is_asked_at_sign_in_and_confirms_with_the_code(
    client, world, trainee, pending, sms_outbox, commits
):
    elsewhere = Client()
    sign_in(elsewhere)  # her other phone, signed in before the change

    response = sign_in(client)
    assert response.url == MOBILE_CHANGE
    assert "139****2222" in client.get(MOBILE_CHANGE).content.decode()
    with commits():
        response = client.post(MOBILE_CHANGE, {"code": pending})
    assert response.url == reverse("accounts:home")

    trainee.refresh_from_db()
    world.home_director.refresh_from_db()
    assert trainee.phone == world.home_director.mobile == NEW and trainee.phone_verified
    assert not MobileChange.objects.exists()
    assert [phone for phone, _text in sms_outbox] == ["13900000001"]  # the old number is told
    entry = AuditEntry.objects.get(action=AuditAction.MOBILE_CHANGED)
    assert entry.actor == trainee and entry.detail["claimed"] is True and pending not in str(entry.detail)

    assert get_user(client).pk == trainee.pk  # the session that confirmed goes on
    assert client.get(reverse("accounts:home")).status_code == 200
    assert get_user(elsewhere).is_authenticated is False  # every other session has ended
    assert elsewhere.get(reverse("accounts:home")).status_code == 302

    client.logout()
    assert sign_in(client, login=NEW).status_code == 302
    assert get_user(client).pk == trainee.pk


def test_the_code_confirms_nothing_without_the_holders_sign_in(client, world, trainee, pending):
    client.force_login(user_with_role("county_admin"))
    response = client.post(MOBILE_CHANGE, {"code": pending})
    assert response.url == reverse("accounts:home")
    trainee.refresh_from_db()
    assert trainee.phone == "13900000001"


def test_a_wrong_code_is_refused_and_three_end_the_code(client, trainee, pending, sms_outbox, commits):
    client.force_login(trainee)
    wrong = "000000" if pending != "000000" else "111111"
    response = client.post(MOBILE_CHANGE, {"code": wrong})
    assert "Incorrect code." in response.content.decode()
    client.post(MOBILE_CHANGE, {"code": wrong})
    client.post(MOBILE_CHANGE, {"code": wrong})
    response = client.post(MOBILE_CHANGE, {"code": pending})
    assert "Too many wrong codes" in response.content.decode()
    trainee.refresh_from_db()
    assert trainee.phone == "13900000001"

    MobileChange.objects.update(code_sent_at=MobileChange.objects.get().code_sent_at - datetime.timedelta(minutes=2))
    with commits():
        client.post(reverse("accounts:mobile_change_code"))
    client.post(MOBILE_CHANGE, {"code": codes_sent_to(sms_outbox, NEW)[0]})
    trainee.refresh_from_db()
    assert trainee.phone == NEW


def test_a_code_expires(client, trainee, pending):
    MobileChange.objects.update(code_sent_at=MobileChange.objects.get().code_sent_at - datetime.timedelta(minutes=16))
    client.force_login(trainee)
    response = client.post(MOBILE_CHANGE, {"code": pending})
    assert "This code has expired" in response.content.decode()
    trainee.refresh_from_db()
    assert trainee.phone == "13900000001"


def test_new_codes_are_limited(client, trainee, pending, sms_outbox, commits):
    client.force_login(trainee)
    response = client.post(reverse("accounts:mobile_change_code"), follow=True)
    assert "less than a minute ago" in response.content.decode()
    for _ in range(services.MOBILE_CODES_PER_CHANGE - 1):
        MobileChange.objects.update(code_sent_at=datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC))
        with commits():
            client.post(reverse("accounts:mobile_change_code"))
    MobileChange.objects.update(code_sent_at=datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC))
    response = client.post(reverse("accounts:mobile_change_code"), follow=True)
    assert "No more codes can be sent" in response.content.decode()
    assert len(codes_sent_to(sms_outbox, NEW)) == services.MOBILE_CODES_PER_CHANGE - 1


def test_the_holder_declines_a_number_that_is_not_hers(client, trainee, pending):
    client.force_login(trainee)
    response = client.post(reverse("accounts:mobile_change_decline"))
    assert response.url == reverse("accounts:home")
    trainee.refresh_from_db()
    assert trainee.phone == "13900000001" and not MobileChange.objects.exists()
    admin = AuditEntry.objects.get(action=AuditAction.MOBILE_CHANGE_REQUESTED).actor
    assert admin.notifications.filter(title="A new mobile number was declined").exists()
    assert AuditEntry.objects.filter(action=AuditAction.MOBILE_CHANGE_DECLINED, actor=trainee).exists()


def test_a_number_taken_meanwhile_is_not_confirmed(client, trainee, pending):
    account_for_person(person=PersonFactory(mobile=NEW))
    client.force_login(trainee)
    response = client.post(MOBILE_CHANGE, {"code": pending})
    assert "signs in to another account" in response.content.decode()
    trainee.refresh_from_db()
    assert trainee.phone == "13900000001"


def test_my_page_offers_the_confirmation(client, trainee, pending):
    client.force_login(trainee)
    page = client.get(reverse("accounts:home")).content.decode()
    assert MOBILE_CHANGE in page and "139****2222" in page


def test_sessions_end_when_the_number_changes_whatever_the_store_holds(trainee, pending):
    """The store's cached copy of a session still holds the old hash; the check on each request fails."""
    other = Client()
    other.force_login(trainee)
    assert get_user(other).is_authenticated
    services.mobile_change_confirm(user=trainee, code=pending)
    assert not get_user(other).is_authenticated



@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="two connections at once need PostgreSQL")
def test_two_holders_confirming_the_same_number_at_once_leave_it_to_one(zhejiang_regions, world, trainee, sms_outbox):
    # The same new number was entered by mistake for two people; both confirm it at the same moment. Sign-in
    # numbers are unique: the first holder gets it, the second is told, and keeps her own number.
    other = account_for_person(person=world.neighbour_director)
    other.set_password("another-long-secret-phrase")
    other.save()
    for user in (trainee, other):
        services.mobile_change_request(user=user, phone=NEW)
    first_code, second_code = codes_sent_to(sms_outbox, NEW)
    first, second = race(
        lambda: services.mobile_change_confirm(user=trainee, code=first_code),
        lambda: services.mobile_change_confirm(user=other, code=second_code),
    )
    assert first == trainee
    assert isinstance(second, services.MobileChangeRefused)
    assert str(second) == "This number now signs in to another account. Ask your administrator to check it."
    assert dict(User.objects.filter(pk__in=[trainee.pk, other.pk]).values_list("pk", "phone")) == {
        trainee.pk: NEW, other.pk: "13900000005",
    }
    assert MobileChange.objects.get().user == other  # hers still waits, for her administrator to sort out
