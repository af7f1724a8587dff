from django.contrib.auth.models import AbstractUser, Permission
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.db.models import Q
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from academy.organisation.models import RegionLevel

# The levels at which a tier administrator can be appointed: the three organisers of box 专栏6.
ADMIN_LEVELS = (RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY)


class Role(models.TextChoices):
    TRAINEE = "trainee", _("Trainee")
    TIER_ADMIN = "tier_admin", _("Tier administrator")
    ASSESSOR = "assessor", _("Assessor")
    EDITOR = "editor", _("Content editor")
    SYSTEM_ADMIN = "system_admin", _("System administrator")


class UserManager(DjangoUserManager):
    # Migrations see models without these relations: they get a plain manager.
    use_in_migrations = False

    def get_queryset(self):
        # Every request loads its user; the person and administered region come in the same query, since
        # the menu and most pages need them.
        return super().get_queryset().select_related("person", "admin_region")


class User(AbstractUser):
    """An account. People sign in with their mobile number or email; the username is internal only and
    never the resident ID number. Roles follow from the fields: a linked person makes a trainee, an
    administrative region a tier administrator, and so on (see ``roles``)."""

    email = models.EmailField(_("email address"), unique=True, null=True, blank=True)
    phone = models.CharField(_("mobile number"), max_length=11, unique=True, null=True, blank=True)
    phone_verified = models.BooleanField(_("mobile number verified"), default=False)
    person = models.OneToOneField(
        "organisation.Person", verbose_name=_("person"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="user",
    )
    admin_region = models.ForeignKey(
        "organisation.Region", verbose_name=_("administers"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="administrators",
        limit_choices_to={"level__in": ADMIN_LEVELS},
        help_text=_("A tier administrator manages this province, city or county."),
    )
    is_assessor = models.BooleanField(_("assessor"), default=False)

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.person_id:
            return self.person.name
        return (self.last_name + self.first_name).strip() or self.phone or self.email or self.username

    @cached_property
    def roles(self) -> set[Role]:
        roles = set()
        if self.person_id:
            roles.add(Role.TRAINEE)
        if self.admin_region_id:
            roles.add(Role.TIER_ADMIN)
        if self.is_assessor:
            roles.add(Role.ASSESSOR)
        if self.is_superuser:
            roles.add(Role.SYSTEM_ADMIN)
        elif self.is_active and self._may_use_wagtail_admin():
            roles.add(Role.EDITOR)
        return roles

    def _may_use_wagtail_admin(self) -> bool:
        # has_perm() would load every permission of the user and their groups (two queries) on every page
        # that shows the menu; the menu needs only this one.
        return Permission.objects.filter(
            Q(user=self) | Q(group__user=self), content_type__app_label="wagtailadmin", codename="access_admin"
        ).exists()
