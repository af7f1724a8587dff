"""Changes to an account's roles and scope, made in the CMS's users admin, go into the audit trail."""
import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from academy.accounts.models import ADMIN_LEVELS, User
from academy.accounts.roles import NO_ROLES, user_roles_record_change, user_roles_snapshot
from academy.audit.models import AuditAction, AuditEntry
from academy.organisation.models import Region, RegionLevel
from tests.factories import UserFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def system_admin(client):
    user = user_with_role("system_admin")
    client.force_login(user)
    return user


def edit_form(user: User, **changes) -> dict:
    data = {
        "username": user.username, "email": user.email or "", "first_name": user.first_name,
        "last_name": user.last_name, "password1": "", "password2": "", "is_active": "on" if user.is_active else "",
        "groups": [group.pk for group in user.groups.all()],
    }
    if user.is_superuser:
        data["is_superuser"] = "on"
    data.update(changes)
    return {name: value for name, value in data.items() if value not in ("", None) or name.startswith("password")}


def role_entries():
    return list(AuditEntry.objects.filter(action=AuditAction.ROLE_CHANGED))


def test_making_someone_a_system_administrator_and_an_editor_is_recorded(client, system_admin):
    editors = Group.objects.create(name="内容编辑")
    account = UserFactory(first_name="静", last_name="陈")

    response = client.post(
        reverse("wagtailusers_users:edit", args=[account.pk]),
        edit_form(account, is_superuser="on", groups=[editors.pk]),
    )

    assert response.status_code == 302, response.context["form"].errors
    [entry] = role_entries()
    assert entry.actor == system_admin
    assert (entry.object_type, entry.object_id, entry.object_label) == ("accounts.User", str(account.pk), "陈静")
    assert entry.detail == {
        "account": account.pk, "changes": {"system_admin": [False, True], "groups": [[], ["内容编辑"]]},
    }


def test_an_edit_that_leaves_the_roles_alone_records_nothing(client, system_admin):
    account = UserFactory(first_name="静", last_name="陈")
    response = client.post(reverse("wagtailusers_users:edit", args=[account.pk]), edit_form(account, first_name="强"))
    assert response.status_code == 302, response.context["form"].errors
    assert role_entries() == []


def test_deactivating_an_administrator_names_their_region(client, system_admin):
    account = UserFactory(first_name="静", last_name="陈", admin_region=Region.objects.get(code="330102"))
    data = edit_form(account)
    data.pop("is_active")
    response = client.post(reverse("wagtailusers_users:edit", args=[account.pk]), data)
    assert response.status_code == 302, response.context["form"].errors
    [entry] = role_entries()
    assert entry.region_code == "330102" and entry.detail["changes"] == {"active": [True, False]}


def test_deleting_an_account_records_the_roles_it_lost(client, system_admin):
    editors = Group.objects.create(name="内容编辑")
    account = UserFactory(first_name="静", last_name="陈")
    account.groups.add(editors)
    account_id = account.pk

    client.get(reverse("wagtailusers_users:delete", args=[account_id]))  # the confirmation page records nothing
    assert role_entries() == []
    response = client.post(reverse("wagtailusers_users:delete", args=[account_id]))

    assert response.status_code == 302 and not User.objects.filter(pk=account_id).exists()
    [entry] = role_entries()
    assert entry.object_label == "陈静" and entry.actor == system_admin
    assert entry.detail == {
        "account": account_id, "changes": {"active": [True, False], "groups": [["内容编辑"], []]},
    }


def test_scope_and_assessor_changes_are_part_of_the_record():
    account = UserFactory()
    before = user_roles_snapshot(account)
    account.admin_region = Region.objects.get(code="3301")
    account.is_assessor = True
    account.save()

    entry = user_roles_record_change(request=None, user=account, before=before, after=user_roles_snapshot(account))

    assert entry.region_code == "3301"
    assert entry.detail["changes"] == {"admin_region": ["", "3301"], "assessor": [False, True]}
    assert set(NO_ROLES) == set(before)


def test_administrators_are_appointed_at_the_province_city_and_county_levels():
    # accounts write the levels out (they sit below the organisation); they must stay RegionLevel's.
    assert ADMIN_LEVELS == (RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY)
