"""The CMS's users admin (/cms/users/), where system administrators grant and withdraw roles: each change to an
account's roles goes into the audit trail (roles.py)."""
from wagtail import hooks

from .roles import NO_ROLES, user_roles_record_change, user_roles_snapshot


@hooks.register("before_edit_user")
def remember_roles_before_edit(request, user):
    # Runs before the form is read; the after hook compares with this.
    request.roles_before_edit = user_roles_snapshot(user)


@hooks.register("after_edit_user")
def record_roles_after_edit(request, user):
    user_roles_record_change(
        request=request, user=user, before=request.roles_before_edit, after=user_roles_snapshot(user)
    )


@hooks.register("after_create_user")
def record_roles_of_new_account(request, user):
    user_roles_record_change(request=request, user=user, before=NO_ROLES, after=user_roles_snapshot(user))


@hooks.register("before_delete_user")
def remember_roles_before_delete(request, user):
    # The account's groups can no longer be read once it is deleted.
    request.roles_before_delete = {**user_roles_snapshot(user), "account": user.pk}


@hooks.register("after_delete_user")
def record_roles_of_deleted_account(request, user):
    user_roles_record_change(request=request, user=user, before=request.roles_before_delete, after=NO_ROLES)
