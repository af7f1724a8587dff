"""Factories of accounts: users, and a user holding each role (regions must be loaded)."""
import factory
from django.contrib.auth.models import Permission

from academy.accounts.models import User
from academy.organisation.models import PostKind, Region

from .organisation import PostFactory


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.Sequence(lambda n: f"user{n}@example.org")
    password = factory.django.Password("correct-horse-battery")


# The roles of issue 2, each as a signed-in user; tier administrators get a default region of 上城区,
# 杭州市 and 浙江省 (regions must be loaded).
ROLE_ADMIN_REGIONS = {"county_admin": "330102", "city_admin": "3301", "province_admin": "33"}


def user_with_role(role: str, *, admin_region_code: str | None = None) -> User:
    """A user holding ``role``: trainee, assessor, editor, county_admin, city_admin, province_admin or
    system_admin."""
    if role == "trainee":
        post = PostFactory(kind=PostKind.CHILD_SUPERVISOR, region=Region.objects.get(code="330102001"))
        return UserFactory(person=post.person)
    if role == "assessor":
        return UserFactory(is_assessor=True)
    if role == "editor":
        user = UserFactory()
        user.user_permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
        return user
    if role in ROLE_ADMIN_REGIONS:
        code = admin_region_code or ROLE_ADMIN_REGIONS[role]
        return UserFactory(admin_region=Region.objects.get(code=code))
    if role == "system_admin":
        return UserFactory(is_superuser=True, is_staff=True)
    raise ValueError(f"unknown role {role!r}")
