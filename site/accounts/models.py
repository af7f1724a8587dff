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


class SentMessageRecord(models.Model):
    """What every record of a message handed to an outside channel holds: which catalogue message, to whom, with
    which parameters, how it went and after how many attempts (one table per channel, below)."""

    class Status(models.TextChoices):
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    created_at = models.DateTimeField(_("sent at"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        User, verbose_name=_("user"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.CharField(_("message"), max_length=60)
    parameters = models.JSONField(_("parameters"), default=dict)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices)
    error = models.CharField(_("error"), max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=1)

    class Meta:
        abstract = True
        ordering = ["-created_at"]


class TextMessageRecord(SentMessageRecord):
    """One text message handed to the SMS gateway (accounts/sms.py): which message, to whom, how it went. The
    number is masked and one-time codes are hidden: the record shows that a code was sent, never the code."""

    phone = models.CharField(_("mobile number"), max_length=20, help_text=_("Masked."))
    backend = models.CharField(_("gateway"), max_length=60)
    gateway_id = models.CharField(_("gateway's id"), max_length=100, blank=True)

    class Meta(SentMessageRecord.Meta):
        verbose_name = _("text message sent")
        verbose_name_plural = _("text messages sent")

    def __str__(self):
        return f"{self.message} → {self.phone} ({self.status})"


class WeChatBinding(models.Model):
    """A WeChat identity bound to an account (accounts/wechat/binding.py): one per account and one account per
    identity, both kept by the database. The identity itself is allauth's SocialAccount (provider "weixin", its
    uid the unionid or openid), which signs the person in; this row adds what the platform needs of it."""

    user = models.OneToOneField(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="wechat")
    account = models.OneToOneField(
        "socialaccount.SocialAccount", verbose_name=_("WeChat identity"), on_delete=models.CASCADE, related_name="+"
    )
    # The 公众号's openid, to which template messages go: known once the person has signed in inside WeChat.
    official_account_openid = models.CharField(_("official account openid"), max_length=64, blank=True)
    nickname = models.CharField(_("WeChat nickname"), max_length=100, blank=True)
    bound_at = models.DateTimeField(_("bound"), auto_now_add=True)

    class Meta:
        verbose_name = _("WeChat binding")
        verbose_name_plural = _("WeChat bindings")

    def __str__(self):
        return f"{self.user_id} · {self.nickname or self.account_id}"


class WeChatMessageRecord(SentMessageRecord):
    """One template message handed to the 公众号 (accounts/wechat/official_account.py): which message, to whom,
    how it went. Codes are never sent this way; the parameters are those of the catalogue message."""

    template_id = models.CharField(_("template"), max_length=100)
    msgid = models.CharField(_("WeChat's message id"), max_length=40, blank=True)

    class Meta(SentMessageRecord.Meta):
        verbose_name = _("WeChat message sent")
        verbose_name_plural = _("WeChat messages sent")

    def __str__(self):
        return f"{self.message} → {self.user_id} ({self.status})"
