from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.models import AbstractUser, Permission
from django.db import models
from django.db.models import Q
from django.utils.crypto import salted_hmac
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from .phone import mask

# The levels at which a tier administrator can be appointed: the three organisers of box 专栏6. Values of
# organisation.models.RegionLevel, written out because accounts sit below the organisation.
ADMIN_LEVELS = ("province", "city", "county")


class Role(models.TextChoices):
    TRAINEE = "trainee", _("Trainee")
    TIER_ADMIN = "tier_admin", _("Tier administrator")
    ASSESSOR = "assessor", _("Assessor")
    EDITOR = "editor", _("Content editor")
    SYSTEM_ADMIN = "system_admin", _("System administrator")


# An account is claimed once its holder has used it: signed in (by code or password) or set a password.
# Until then it is a roster entry whose mobile number an administrator may still correct.
CLAIMED = ~Q(password__startswith=UNUSABLE_PASSWORD_PREFIX) | Q(last_login__isnull=False)


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
    sessions_ended_at = models.DateTimeField(
        _("signed out everywhere"), null=True, blank=True,
        help_text=_("Sessions signed in before this moment have ended (the sign-in number changed)."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.display_name

    def _get_session_auth_hash(self, secret=None):
        # Django ends a session whose stored hash no longer matches this one on its next request, whether
        # the session is read from the cache or the database. Its hash covers the password only; ending
        # the sessions also moves it (accounts.services.account_mobile_confirm). Accounts never signed
        # out everywhere keep Django's hash, so existing sessions survive this code's deployment.
        if self.sessions_ended_at is None:
            return super()._get_session_auth_hash(secret=secret)
        return salted_hmac(
            "academy.accounts.User.session_auth_hash", f"{self.password}|{self.sessions_ended_at.isoformat()}",
            secret=secret, algorithm="sha256",
        ).hexdigest()

    @property
    def is_claimed(self) -> bool:
        """Whether the holder has used the account (see CLAIMED)."""
        return self.has_usable_password() or self.last_login is not None

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


class Notification(models.Model):
    """A message in a user's notification centre (/me/notifications/). Reminders and digests are stored
    here first; email and SMS copies are sent from it (accounts/notifications.py)."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="notifications")
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_unread")]

    def __str__(self):
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class SentReminder(models.Model):
    """The log that makes scheduled reminders idempotent: one row per user, kind and subject, written in
    the same transaction as the notification, so a job run twice (or re-run after a crash) finds what it
    already sent. ``kind`` says which reminder ("due_14", "overdue_2025-W07", "digest_2025-W07");
    ``subject`` what it is about ("plan:42", or "" for a digest)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=40)
    subject = models.CharField(max_length=60, blank=True)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("sent reminder")
        verbose_name_plural = _("sent reminders")
        constraints = [models.UniqueConstraint(fields=["user", "kind", "subject"], name="reminder_sent_once")]

    def __str__(self):
        return f"{self.user_id} · {self.kind} · {self.subject}"


class MobileChange(models.Model):
    """A new mobile number an administrator entered for a claimed account. It is not the sign-in number
    until the holder, signed in, types the code sent to it (accounts.services); until then no sign-in
    code ever goes to it. One per account: a newer entry replaces it."""

    user = models.OneToOneField(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="mobile_change")
    phone = models.CharField(_("new mobile number"), max_length=11)
    requested_by = models.ForeignKey(
        User, verbose_name=_("entered by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(_("entered"))
    code_digest = models.CharField(max_length=64)
    code_sent_at = models.DateTimeField()
    codes_sent = models.PositiveSmallIntegerField(default=1)
    attempts = models.PositiveSmallIntegerField(default=0)  # codes typed since the last one was sent

    class Meta:
        verbose_name = _("pending mobile number change")
        verbose_name_plural = _("pending mobile number changes")

    def __str__(self):
        return f"{self.user_id} · {self.phone_masked}"

    @property
    def phone_masked(self) -> str:
        return mask(self.phone)
