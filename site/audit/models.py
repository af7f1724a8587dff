"""The audit trail: one append-only table of who did or saw what to whose personal data, and when.

It sits on the ground floor of the apps (it imports none of them), so every service can record into it.
Entries are written only by ``academy.audit.services.audit_record`` and removed only by the retention
purge (``audit_purge_expired``); a saved entry refuses to be changed.
"""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    SIGN_IN = "sign_in", _("Signed in")
    SIGN_IN_FAILED = "sign_in_failed", _("Sign-in failed")
    SIGN_OUT = "sign_out", _("Signed out")
    MFA_ACTIVATED = "mfa_activated", _("Second factor turned on")
    MFA_DEACTIVATED = "mfa_deactivated", _("Second factor turned off")
    ID_NUMBER_VIEWED = "id_number_viewed", _("Full ID number viewed")
    PERSONAL_DATA_EXPORTED = "personal_data_exported", _("Personal data exported")
    PERSON_CREATED = "person_created", _("Person added")
    PERSON_CHANGED = "person_changed", _("Person changed")
    POST_CREATED = "post_created", _("Post added")
    POST_CHANGED = "post_changed", _("Post changed")
    MOBILE_CHANGE_REQUESTED = "mobile_change_requested", _("Mobile number change requested")
    MOBILE_CHANGED = "mobile_changed", _("Mobile number changed")
    MOBILE_CHANGE_DECLINED = "mobile_change_declined", _("Mobile number change declined")
    WECHAT_BOUND = "wechat_bound", _("WeChat bound")
    WECHAT_UNBOUND = "wechat_unbound", _("WeChat unbound")
    ROLE_CHANGED = "role_changed", _("Roles or scope changed")
    ROSTER_APPLIED = "roster_applied", _("Roster import applied")
    CERTIFICATE_ISSUED = "certificate_issued", _("Certificate issued")
    CERTIFICATE_DOWNLOADED = "certificate_downloaded", _("Certificate downloaded")
    CERTIFICATE_REVOKED = "certificate_revoked", _("Certificate revoked")
    RESULT_AMENDED = "result_amended", _("Result amended")
    AMENDMENT_APPROVED = "amendment_approved", _("Result amendment approved")
    AMENDMENT_REJECTED = "amendment_rejected", _("Result amendment rejected")
    RULE_SET_PUBLISHED = "rule_set_published", _("Certification rules published")
    KEY_ROTATED = "key_rotated", _("Personal-data key rotated")


class AuditEntry(models.Model):
    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("who"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    # Kept as text too: the entry must still say who it was after the account is gone.
    actor_label = models.CharField(_("who"), max_length=150, blank=True)
    action = models.CharField(_("what"), max_length=40, choices=AuditAction.choices, db_index=True)
    object_type = models.CharField(_("object type"), max_length=60, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_label = models.CharField(_("object"), max_length=200, blank=True)
    # The division code of the region the data belongs to: filters by prefix, like every scope.
    region_code = models.CharField(_("region"), max_length=12, blank=True, db_index=True)
    ip_address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        indexes = [models.Index(fields=["actor", "at"], name="audit_actor_at")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.get_action_display()} {self.object_label}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Audit entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit entries are removed only by the retention purge.")
