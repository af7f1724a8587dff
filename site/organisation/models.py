import hashlib
import json

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _, gettext_noop

from academy.jobs import BackgroundJob, JobExpiry
from academy.storage import private_storage

from . import resident_id


class RegionLevel(models.TextChoices):
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    COUNTY = "county", _("County")
    TOWNSHIP = "township", _("Township")
    VILLAGE = "village", _("Village")


# Length of the division code at each level: a code's prefix is its ancestors' code.
CODE_LENGTHS = {
    RegionLevel.PROVINCE: 2,
    RegionLevel.CITY: 4,
    RegionLevel.COUNTY: 6,
    RegionLevel.TOWNSHIP: 9,
    RegionLevel.VILLAGE: 12,
}


class Region(models.Model):
    """An administrative division. The code is the key, so 'everything under 330102' is a prefix match
    on the code column itself, with no join."""

    code = models.CharField(_("division code"), max_length=12, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=10, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    is_synthetic = models.BooleanField(
        _("synthetic"), default=False, help_text=_("Generated for demonstration or load tests; not a real division.")
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("organisation:region_detail", args=[self.code])

    def ancestor_codes(self) -> list[str]:
        return [self.code[:length] for length in CODE_LENGTHS.values() if length < len(self.code)]


class InstitutionKind(models.TextChoices):
    CHILDREN_WELFARE = "children_welfare", _("Children's welfare institution")
    MINOR_PROTECTION = "minor_protection", _("Minor rescue and protection centre")
    OTHER = "other", _("Other institution")


class RunLevel(models.TextChoices):
    """The level of government that runs an institution; it decides which administrators manage it."""

    PROVINCE = "province", _("Province-run")
    CITY = "city", _("City-run")
    COUNTY = "county", _("County-run")


class Institution(models.Model):
    code = models.CharField(
        _("institution code"), max_length=32, unique=True, help_text=_("For example the unified social credit code.")
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("type"), max_length=20, choices=InstitutionKind.choices)
    run_level = models.CharField(_("run by"), max_length=10, choices=RunLevel.choices)
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="institutions")

    class Meta:
        ordering = ["region_id", "name"]
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("organisation:institution_detail", args=[self.pk])


class Sex(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")


class ProfessionalCategory(models.TextChoices):
    NONE = "none", _("None")
    TEACHER = "teacher", _("Teacher")
    DOCTOR = "doctor", _("Doctor")
    NURSE = "nurse", _("Nurse")
    SOCIAL_WORKER = "social_worker", _("Social worker")
    COUNSELLOR = "counsellor", _("Psychological counsellor")
    THERAPIST = "therapist", _("Rehabilitation therapist")


class Person(models.Model):
    """Someone on the roster. The resident ID number is never stored in clear: see resident_id.py."""

    name = models.CharField(_("name"), max_length=50)
    sex = models.CharField(_("sex"), max_length=6, choices=Sex.choices)
    id_number_encrypted = models.TextField(_("resident ID number (encrypted)"), editable=False)
    id_number_digest = models.CharField(max_length=64, unique=True, editable=False)
    id_number_masked = models.CharField(_("resident ID number"), max_length=18, editable=False)
    # Which PERSONAL_DATA_KEY wrote the number and its digest ("" before keys were recorded): the rotation
    # command rewrites every row whose key is not the current one.
    id_number_key = models.CharField(max_length=12, blank=True, db_default="", db_index=True, editable=False)
    mobile = models.CharField(_("mobile number"), max_length=11, blank=True, db_index=True)
    professional_category = models.CharField(
        _("professional category"), max_length=20, choices=ProfessionalCategory.choices,
        default=ProfessionalCategory.NONE,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("person")
        verbose_name_plural = _("people")
        # The people list is sorted by name: without this, the database sorts every person for page 1.
        indexes = [models.Index(fields=["name", "id"], name="person_name")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("organisation:person_detail", args=[self.pk])

    @property
    def id_number(self) -> str:
        return resident_id.decrypt(self.id_number_encrypted)

    def set_id_number(self, number: str) -> None:
        number = resident_id.normalise(number)
        self.id_number_encrypted = resident_id.encrypt(number)
        self.id_number_digest = resident_id.digest(number)
        self.id_number_masked = resident_id.mask(number)
        self.id_number_key = resident_id.key_id()


class PostKind(models.TextChoices):
    INSTITUTION_HEAD = "institution_head", _("Institution head")
    CHILD_SUPERVISOR = "child_supervisor", _("Child supervisor")
    CHILD_DIRECTOR = "child_director", _("Child director")
    CARER = "carer", _("Carer of orphaned and disabled children")
    INSTITUTION_STAFF = "institution_staff", _("Other institution staff")


# Posts held in an institution; the others are held in a region of the level given here.
INSTITUTION_POSTS = frozenset({PostKind.INSTITUTION_HEAD, PostKind.CARER, PostKind.INSTITUTION_STAFF})
REGION_POST_LEVELS = {PostKind.CHILD_SUPERVISOR: RegionLevel.TOWNSHIP, PostKind.CHILD_DIRECTOR: RegionLevel.VILLAGE}


class PostQuerySet(models.QuerySet):
    def held_between(self, start, end):
        """Posts held on at least one day from ``start`` to ``end`` inclusive."""
        return self.filter(Q(end_date__isnull=True) | Q(end_date__gte=start), start_date__lte=end)

    def current(self, on):
        return self.held_between(on, on)


class Post(models.Model):
    """A person's post over a period. For a post in an institution, ``region`` is the institution's
    region, so every scope filter is one prefix match on ``region``."""

    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="posts")
    kind = models.CharField(_("post"), max_length=20, choices=PostKind.choices)
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="posts")
    institution = models.ForeignKey(
        Institution, verbose_name=_("institution"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="posts",
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True, help_text=_("Empty while the post is held."))

    objects = PostQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date", "pk"]
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        indexes = [models.Index(fields=["kind", "region"], name="post_kind_region")]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="post_ends_after_start",
            ),
            # sorted(): a frozenset's order changes from run to run, and makemigrations saw a new constraint.
            models.CheckConstraint(
                condition=Q(kind__in=sorted(INSTITUTION_POSTS), institution__isnull=False)
                | (~Q(kind__in=sorted(INSTITUTION_POSTS)) & Q(institution__isnull=True)),
                name="post_institution_matches_kind",
            ),
            # One open post of a kind per person and place: two administrators giving the same people the same
            # post at the same moment made two (issue 12). An institution post's place is its institution.
            models.UniqueConstraint(
                fields=["person", "kind", "region"], condition=Q(end_date__isnull=True, institution__isnull=True),
                name="post_one_open_per_person_kind_region",
            ),
            models.UniqueConstraint(
                fields=["person", "kind", "institution"],
                condition=Q(end_date__isnull=True, institution__isnull=False),
                name="post_one_open_per_person_kind_institution",
            ),
        ]

    def __str__(self):
        return f"{self.person} · {self.get_kind_display()}"

    def is_held_on(self, day) -> bool:
        return self.start_date <= day and (self.end_date is None or self.end_date >= day)


class RosterImport(BackgroundJob):
    """One uploaded roster file and what became of it. The state lives here, not in the browser, so an
    administrator can leave while a large file is checked or applied and come back to the result. Its
    ``total`` and ``done`` count the file's rows; the steps are checking and applying."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        VALIDATING = "validating", _("Checking")
        INVALID = "invalid", _("Has errors")
        VALID = "valid", _("Ready to apply")
        CONFIRMED = "confirmed", _("Waiting to apply")
        APPLYING = "applying", _("Applying")
        DONE = "done", _("Applied")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")

    # A worker checks a new file, and applies a confirmed one (academy.jobs).
    WAITING = {Status.PENDING: "validate", Status.CONFIRMED: "apply"}
    RUNNING = {Status.VALIDATING: Status.PENDING, Status.APPLYING: Status.CONFIRMED}
    # The upload holds resident ID numbers in clear: kept only until the import is over (done, refused or failed).
    FILES_KEPT_WHILE = {"file": {Status.PENDING, Status.VALIDATING, Status.VALID, Status.CONFIRMED, Status.APPLYING}}
    # A preview nobody confirms does not keep that upload for ever: after ROSTER_IMPORT_CONFIRM_HOURS the sweep
    # deletes it; the administrator uploads the file again.
    EXPIRY = JobExpiry(
        statuses=frozenset({Status.VALID}), hours_setting="ROSTER_IMPORT_CONFIRM_HOURS", status=Status.EXPIRED,
        message=gettext_noop(
            "This file was not confirmed in time, so it was deleted: it holds ID numbers. Upload it again to import it."
        ),
    )

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT,
        related_name="roster_imports",
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    file = models.FileField(_("file"), upload_to="roster-imports/", storage=private_storage)
    file_name = models.CharField(_("file name"), max_length=255)
    language = models.CharField(
        _("language"), max_length=10, blank=True,
        help_text=_("The uploader's language: the error messages are written in it."),
    )
    errors = models.JSONField(_("errors"), default=list, blank=True, help_text=_("Each bad row: row, column, message."))
    summary = models.JSONField(
        _("summary"), default=dict, blank=True,
        help_text=_(
            "people_created, people_updated, people_moved, posts_opened, posts_closed, posts_updated, posts_reopened"
        ),
    )
    # What the preview lists row by row because it may undo a later change (issue 12): see roster.RosterPlan.
    changes = models.JSONField(
        _("changes to look at"), default=list, blank=True,
        help_text=_("Each row that reopens a closed post, moves a person or changes a name."),
    )
    reopen_closed_posts = models.BooleanField(
        _("reopen closed posts"), null=True, blank=True,
        help_text=_("The administrator's choice when confirming, if the file would reopen closed posts."),
    )
    rechecked_at = models.DateTimeField(
        _("preview shown again"), null=True, blank=True,
        help_text=_("When applying found the roster changed since the preview and showed a new preview instead."),
    )

    class Meta(BackgroundJob.Meta):
        verbose_name = _("roster import")
        verbose_name_plural = _("roster imports")

    def __str__(self):
        return self.file_name

    def get_absolute_url(self):
        return reverse("organisation:import_detail", args=[self.pk])

    @property
    def changes_digest(self) -> str:
        """Names the preview an administrator confirms, so that a confirmation sent from an older page (the
        preview was shown again since) is not taken for a choice about the rows listed now."""
        text = json.dumps(self.changes, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @property
    def reopenings(self) -> int:
        """The closed posts the file would reopen if the administrator chooses so."""
        return sum(1 for change in self.changes if change["change"] == "reopen" and not change["blocked_by_place"])
