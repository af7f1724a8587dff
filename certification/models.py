"""Skill-level certification of carers of orphaned and disabled children (孤残儿童护理员职业技能等级认定).

The rules (levels, parts, pass marks, eligibility, training hours, staffing, rubrics) are records in a
versioned rule set: an administrator edits a draft and publishes it as a new version. A published version is
never edited again, and every session and application records the version it is judged under, so changing the
rules never changes a past result.
"""
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.models import Orderable

from academy.jobs import BackgroundJob
from academy.storage import private_storage

# The occupation printed on every certificate (domain.md §3).
OCCUPATION = "孤残儿童护理员"


class Level(models.IntegerChoices):
    """National vocational skill levels, 5 the lowest. The labels are the national names, as certificates
    print them ("四级/中级工")."""

    LEVEL_5 = 5, _("Level 5 / Junior worker")
    LEVEL_4 = 4, _("Level 4 / Intermediate worker")
    LEVEL_3 = 3, _("Level 3 / Senior worker")
    LEVEL_2 = 2, _("Level 2 / Technician")
    LEVEL_1 = 1, _("Level 1 / Senior technician")


# The national names, printed on certificates in Chinese whatever the reader's language.
LEVEL_NATIONAL_NAMES = {5: "五级/初级工", 4: "四级/中级工", 3: "三级/高级工", 2: "二级/技师", 1: "一级/高级技师"}


class Part(models.TextChoices):
    THEORY = "theory", _("Theory knowledge exam")
    SKILL = "skill", _("Skill operation assessment")
    REVIEW = "review", _("Comprehensive review")


class WorkArea(models.TextChoices):
    """The main work areas a skill rubric assesses (domain.md §3)."""

    DAILY_CARE = "daily_care", _("Daily-life care")
    NURSING = "nursing", _("Basic nursing and health care")
    HYGIENE = "hygiene", _("Cleaning, disinfection and isolation")
    SAFETY = "safety", _("Safety protection")
    REHABILITATION = "rehabilitation", _("Rehabilitation support")
    EDUCATION = "education", _("Early education and play")
    PSYCHOLOGY = "psychology", _("Psychological support")


# --- Rules ---------------------------------------------------------------------------------------------


class RuleSetQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published_at__isnull=False)

    def current(self):
        """The newest published version, which new sessions are judged under."""
        return self.published().order_by("-version").first()


class RuleSet(ClusterableModel):
    """One version of the certification rules. Drafts are edited; published versions are read only."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    notes = models.TextField(_("what changed"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True, editable=False)
    # Staffing rules (domain.md §3 defaults).
    candidates_per_invigilator = models.PositiveSmallIntegerField(
        _("theory candidates per invigilator"), default=15, validators=[MinValueValidator(1)],
        help_text=_("At least one invigilator for this many theory candidates."),
    )
    min_invigilators_per_room = models.PositiveSmallIntegerField(
        _("invigilators per room, at least"), default=2, validators=[MinValueValidator(1)]
    )
    min_skill_assessors = models.PositiveSmallIntegerField(
        _("skill assessors, at least"), default=3, validators=[MinValueValidator(1)],
        help_text=_("Counted per candidate: assessors from the candidate's own institution do not count."),
    )
    min_review_panel = models.PositiveSmallIntegerField(
        _("review panel members, at least"), default=3, validators=[MinValueValidator(1)]
    )
    review_panel_odd = models.BooleanField(_("review panel of an odd number"), default=True)
    max_assessor_spread = models.DecimalField(
        _("largest spread between assessors"), max_digits=5, decimal_places=1, default=Decimal("15"),
        help_text=_("A larger spread between two assessors' scores for one candidate is flagged to the chief assessor."),
    )

    objects = RuleSetQuerySet.as_manager()

    panels = [
        FieldPanel("notes"),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("candidates_per_invigilator"), FieldPanel("min_invigilators_per_room")]),
                FieldRowPanel([FieldPanel("min_skill_assessors"), FieldPanel("min_review_panel")]),
                FieldRowPanel([FieldPanel("review_panel_odd"), FieldPanel("max_assessor_spread")]),
            ],
            heading=_("Staffing"),
        ),
        InlinePanel("level_rules", heading=_("Levels"), label=_("Level")),
        InlinePanel("part_rules", heading=_("Parts and pass marks"), label=_("Part")),
        InlinePanel("eligibility_paths", heading=_("Eligibility"), label=_("Way to qualify")),
        InlinePanel("rubric_items", heading=_("Skill rubric"), label=_("Rubric item")),
    ]

    class Meta:
        ordering = ["-version"]
        verbose_name = _("certification rule set")
        verbose_name_plural = _("certification rule sets")

    def __str__(self):
        state = _("published") if self.is_published else _("draft")
        return f"{_('Rules')} v{self.version} ({state})"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class LevelRule(Orderable):
    rule_set = ParentalKey(RuleSet, related_name="level_rules", on_delete=models.CASCADE)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    min_training_hours = models.DecimalField(
        _("minimum training hours"), max_digits=6, decimal_places=1, validators=[MinValueValidator(0)]
    )
    retake_months = models.PositiveSmallIntegerField(
        _("retake period (months)"), default=12,
        help_text=_("A failed part may be retaken alone in a session held within this many months."),
    )

    class Meta(Orderable.Meta):
        verbose_name = _("level rule")
        constraints = [models.UniqueConstraint(fields=["rule_set", "level"], name="level_rule_once")]

    def __str__(self):
        return self.get_level_display()


class PartRule(Orderable):
    """A part assessed at a level, scored out of 100, and its pass mark."""

    rule_set = ParentalKey(RuleSet, related_name="part_rules", on_delete=models.CASCADE)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    part = models.CharField(_("part"), max_length=10, choices=Part.choices)
    pass_mark = models.DecimalField(
        _("pass mark"), max_digits=5, decimal_places=1, default=Decimal("60"),
        validators=[MinValueValidator(0), MaxValueValidator(100)], help_text=_("Out of 100."),
    )

    class Meta(Orderable.Meta):
        verbose_name = _("part rule")
        constraints = [models.UniqueConstraint(fields=["rule_set", "level", "part"], name="part_rule_once")]

    def __str__(self):
        return f"{self.get_level_display()} · {self.get_part_display()}"


class EligibilityPath(Orderable):
    """One way to qualify for a level: years in the occupation, with or without the level below's
    certificate. A candidate qualifies through any one path (and the level's training hours)."""

    rule_set = ParentalKey(RuleSet, related_name="eligibility_paths", on_delete=models.CASCADE)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    prior_level = models.PositiveSmallIntegerField(
        _("certificate required"), choices=Level.choices, null=True, blank=True,
        help_text=_("Empty: no certificate is needed on this path."),
    )
    min_years = models.DecimalField(
        _("years in the occupation"), max_digits=4, decimal_places=1, validators=[MinValueValidator(0)]
    )
    related_posts_count = models.BooleanField(
        _("related work counts"), default=False,
        help_text=_("Years in other institution posts count towards the years in the occupation."),
    )

    class Meta(Orderable.Meta):
        verbose_name = _("eligibility path")

    def __str__(self):
        return f"{self.get_level_display()} · {self.min_years}"


class RubricItem(Orderable):
    """An item of a level's skill rubric. A critical item scored below its pass share fails the skill part
    whatever the total."""

    rule_set = ParentalKey(RuleSet, related_name="rubric_items", on_delete=models.CASCADE)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    work_area = models.CharField(_("work area"), max_length=20, choices=WorkArea.choices)
    title = models.CharField(_("item"), max_length=200)
    points = models.PositiveSmallIntegerField(_("points"), validators=[MinValueValidator(1), MaxValueValidator(100)])
    is_critical = models.BooleanField(
        _("critical"), default=False, help_text=_("Failing this item fails the skill part.")
    )

    class Meta(Orderable.Meta):
        verbose_name = _("rubric item")

    def __str__(self):
        return self.title


# --- Assessment centres and sessions -------------------------------------------------------------------


class CentreKind(models.TextChoices):
    """The first letter of a certificate number."""

    EMPLOYER = "Y", _("Employer-run assessment (Y)")
    SOCIAL = "S", _("Social assessment organisation (S)")


class AssessmentCentre(models.Model):
    """The organisation that assesses and issues certificates, with the codes its numbers carry."""

    name = models.CharField(_("issuing organisation"), max_length=200)
    kind = models.CharField(_("type"), max_length=1, choices=CentreKind.choices, default=CentreKind.SOCIAL)
    organisation_code = models.CharField(
        _("organisation code"), max_length=4, validators=[RegexValidator(r"^\d{4}$", _("Four digits."))],
        help_text=_("Four digits, as registered for the national certificate numbers."),
    )
    province_code = models.CharField(
        _("province code"), max_length=2, default="33", validators=[RegexValidator(r"^\d{2}$", _("Two digits."))]
    )
    site_serial = models.CharField(
        _("site serial"), max_length=6, validators=[RegexValidator(r"^\d{6}$", _("Six digits."))],
        help_text=_("Six digits, the assessment site's registered serial."),
    )
    region = models.ForeignKey(
        "organisation.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+",
        help_text=_("Administrators of this region organise the centre's sessions."),
    )
    verification_note = models.CharField(
        _("where to verify"), max_length=200, blank=True,
        help_text=_("Printed on certificates besides this platform's verification page, e.g. a national site."),
    )

    panels = [
        FieldPanel("name"), FieldPanel("kind"),
        FieldRowPanel([FieldPanel("organisation_code"), FieldPanel("province_code"), FieldPanel("site_serial")]),
        FieldPanel("region"), FieldPanel("verification_note"),
    ]

    class Meta:
        ordering = ["name"]
        verbose_name = _("assessment centre")
        verbose_name_plural = _("assessment centres")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "organisation_code", "province_code", "site_serial"], name="centre_codes_unique"
            )
        ]

    def __str__(self):
        return self.name

    @property
    def number_prefix(self) -> str:
        """The first 13 characters of its certificate numbers."""
        return f"{self.kind}{self.organisation_code}{self.province_code}{self.site_serial}"


class SessionStatus(models.TextChoices):
    OPEN = "open", _("Open for applications")
    CLOSED = "closed", _("Applications closed")
    SCORING = "scoring", _("Scoring")
    SIGNED_OFF = "signed_off", _("Signed off")


class AssessmentSession(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    centre = models.ForeignKey(
        AssessmentCentre, verbose_name=_("assessment centre"), on_delete=models.PROTECT, related_name="sessions"
    )
    rule_set = models.ForeignKey(
        RuleSet, verbose_name=_("rules"), on_delete=models.PROTECT, related_name="sessions",
        help_text=_("The published rules the session is judged under."),
    )
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    title = models.CharField(_("title"), max_length=200)
    venue = models.CharField(_("venue"), max_length=200)
    applications_close_on = models.DateField(_("applications close"))
    theory_starts_at = models.DateTimeField(_("theory exam starts"))
    theory_ends_at = models.DateTimeField(_("theory exam ends"))
    skill_date = models.DateField(_("skill assessment date"))
    review_date = models.DateField(_("review date"), null=True, blank=True, help_text=_("Levels 2 and 1."))
    capacity = models.PositiveIntegerField(_("capacity"), validators=[MinValueValidator(1)])
    theory_exam = models.ForeignKey(
        "courses.ExamPage", verbose_name=_("online theory exam"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", help_text=_("Empty: the theory exam is on paper and invigilators enter the scores."),
    )
    theory_code = models.CharField(
        _("theory exam code"), max_length=8, blank=True,
        help_text=_("Candidates enter it to open the online exam during the slot."),
    )
    status = models.CharField(_("status"), max_length=12, choices=SessionStatus.choices, default=SessionStatus.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    signed_off_at = models.DateTimeField(_("signed off"), null=True, blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("signed off by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["-theory_starts_at", "pk"]
        verbose_name = _("assessment session")
        verbose_name_plural = _("assessment sessions")
        constraints = [
            # A candidate opens the online theory exam by typing the code alone: it must name one session.
            models.UniqueConstraint(fields=["theory_code"], condition=~Q(theory_code=""), name="theory_code_unique"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("certification:session_detail", args=[self.public_id])

    @property
    def is_signed_off(self) -> bool:
        return self.status == SessionStatus.SIGNED_OFF


class Room(models.Model):
    session = models.ForeignKey(AssessmentSession, on_delete=models.CASCADE, related_name="rooms")
    name = models.CharField(_("room"), max_length=100)
    capacity = models.PositiveIntegerField(_("seats"), validators=[MinValueValidator(1)])

    class Meta:
        ordering = ["name"]
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        constraints = [models.UniqueConstraint(fields=["session", "name"], name="room_name_unique")]

    def __str__(self):
        return self.name


class StaffRole(models.TextChoices):
    INVIGILATOR = "invigilator", _("Invigilator")
    SKILL_ASSESSOR = "skill_assessor", _("Skill assessor")
    REVIEW_PANEL = "review_panel", _("Review panel member")
    CHIEF = "chief", _("Chief assessor")


# Which part each scoring role scores.
ROLE_PART = {StaffRole.SKILL_ASSESSOR: Part.SKILL, StaffRole.REVIEW_PANEL: Part.REVIEW}


class StaffAssignment(models.Model):
    session = models.ForeignKey(AssessmentSession, on_delete=models.CASCADE, related_name="staff")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assessor"), on_delete=models.PROTECT, related_name="assessment_roles"
    )
    role = models.CharField(_("role"), max_length=16, choices=StaffRole.choices)
    room = models.ForeignKey(
        Room, verbose_name=_("room"), null=True, blank=True, on_delete=models.CASCADE, related_name="invigilators",
        help_text=_("Invigilators only."),
    )

    class Meta:
        ordering = ["role", "pk"]
        verbose_name = _("staff assignment")
        verbose_name_plural = _("staff assignments")
        constraints = [
            models.UniqueConstraint(fields=["session", "user", "role"], name="staff_role_once"),
            models.UniqueConstraint(fields=["session"], condition=Q(role="chief"), name="one_chief_per_session"),
        ]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()}"


# --- Applications, scores and results ------------------------------------------------------------------


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Outcome(models.TextChoices):
    PENDING = "", _("Not yet decided")
    PASSED = "passed", _("Passed")
    FAILED = "failed", _("Failed")
    ABSENT = "absent", _("Absent")


class Application(models.Model):
    """A person's application for a level in a session; once approved, a candidate. ``eligibility`` keeps the
    automatic check, reason by reason, as it stood when the application was made."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    session = models.ForeignKey(
        AssessmentSession, verbose_name=_("session"), on_delete=models.PROTECT, related_name="applications"
    )
    person = models.ForeignKey(
        "organisation.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="certification_applications"
    )
    institution = models.ForeignKey(
        "organisation.Institution", verbose_name=_("institution"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", help_text=_("Where the candidate works: assessors from it never score the candidate."),
    )
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("applied by"), on_delete=models.PROTECT, related_name="+"
    )
    applied_at = models.DateTimeField(_("applied"), auto_now_add=True)
    external_hours = models.DecimalField(
        _("external training hours"), max_digits=6, decimal_places=1, default=Decimal("0"),
        validators=[MinValueValidator(0)], help_text=_("Training done outside the platform, with proof."),
    )
    external_hours_proof = models.FileField(
        _("proof of external training"), upload_to="certification/proofs/", storage=private_storage, blank=True
    )
    photo = models.ImageField(
        _("photo"), upload_to="certification/photos/", storage=private_storage, blank=True,
        help_text=_("A recent head-and-shoulders photo, printed on the certificate."),
    )
    eligibility = models.JSONField(_("eligibility check"), default=dict)
    is_eligible = models.BooleanField(_("eligible"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=ApplicationStatus.choices, default=ApplicationStatus.SUBMITTED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_reason = models.TextField(_("reason"), blank=True)
    parts = models.JSONField(_("parts to take"), default=list, help_text=_("The others are carried from a retake."))
    room = models.ForeignKey(Room, verbose_name=_("room"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    theory_attempt = models.OneToOneField(
        "courses.ExamAttempt", null=True, blank=True, on_delete=models.SET_NULL, related_name="certification_application"
    )
    outcome = models.CharField(_("result"), max_length=8, choices=Outcome.choices, default=Outcome.PENDING, blank=True)

    class Meta:
        ordering = ["session", "person__name", "pk"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        constraints = [models.UniqueConstraint(fields=["session", "person"], name="one_application_per_session")]

    def __str__(self):
        return f"{self.person} · {self.session}"

    def get_absolute_url(self):
        return reverse("certification:application_detail", args=[self.public_id])


class Score(models.Model):
    """One score for one part of one candidate: an assessor's (skill, review) or the theory exam's (online
    attempt or paper, entered by an invigilator; then ``assessor`` is empty)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="scores")
    part = models.CharField(_("part"), max_length=10, choices=Part.choices)
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assessor"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    value = models.DecimalField(
        _("score"), max_digits=5, decimal_places=1, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    # {"rubric item id": points}: the skill part's item by item scores.
    items = models.JSONField(_("item scores"), default=dict, blank=True)
    critical_failed = models.BooleanField(_("critical item failed"), default=False)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("entered by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", help_text=_("Empty for an online theory exam, scored by the platform."),
    )
    entered_at = models.DateTimeField(_("entered"), auto_now=True)

    class Meta:
        ordering = ["part", "pk"]
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "part", "assessor"], condition=Q(assessor__isnull=False),
                name="score_once_per_assessor",
            ),
            models.UniqueConstraint(
                fields=["application", "part"], condition=Q(assessor__isnull=True), name="theory_score_once"
            ),
        ]

    def __str__(self):
        return f"{self.application} · {self.get_part_display()} · {self.value}"


class PartResult(models.Model):
    """A part's result, written when the session is signed off (and by amendments). ``carried_from`` marks a
    part passed in an earlier session and carried to a retake."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="part_results")
    part = models.CharField(_("part"), max_length=10, choices=Part.choices)
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=1, null=True, blank=True)
    pass_mark = models.DecimalField(_("pass mark"), max_digits=5, decimal_places=1)
    passed = models.BooleanField(_("passed"), default=False)
    critical_failed = models.BooleanField(_("critical item failed"), default=False)
    carried_from = models.ForeignKey(
        "self", verbose_name=_("carried from"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["application", "part"]
        verbose_name = _("part result")
        verbose_name_plural = _("part results")
        constraints = [models.UniqueConstraint(fields=["application", "part"], name="part_result_once")]

    def __str__(self):
        return f"{self.application} · {self.get_part_display()}"


class AmendmentStatus(models.TextChoices):
    APPLIED = "applied", pgettext_lazy("amendment", "Applied")
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class AuditEntry(models.Model):
    """A change to a signed-off session's results: who, when, why, and the values before and after. A change
    that turns a fail into a pass waits (``pending``) until one of the session's organisers, a second person,
    approves it; only then is it applied."""

    session = models.ForeignKey(AssessmentSession, on_delete=models.PROTECT, related_name="audit_entries")
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="audit_entries")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("when"), auto_now_add=True)
    action = models.CharField(_("change"), max_length=40)
    reason = models.TextField(_("reason"))
    before = models.JSONField(_("before"))
    after = models.JSONField(_("after"))
    status = models.CharField(
        _("status"), max_length=8, choices=AmendmentStatus.choices, default=AmendmentStatus.APPLIED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_reason = models.TextField(_("reason for the decision"), blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        constraints = [
            models.UniqueConstraint(
                fields=["application"], condition=Q(status="pending"), name="one_pending_amendment_per_application"
            )
        ]

    def __str__(self):
        return f"{self.application} · {self.action}"

    @property
    def part(self) -> str:
        return self.action.removeprefix("amend_")

    @property
    def is_pending(self) -> bool:
        return self.status == AmendmentStatus.PENDING


# --- Certificates --------------------------------------------------------------------------------------


class CertificateSerial(models.Model):
    """The last serial used for one prefix (centre codes + year + level). Issuing locks this row, so two
    workers never take the same serial; it only ever goes up, so a number is never reused."""

    prefix = models.CharField(max_length=16, unique=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("certificate serial")

    def __str__(self):
        return f"{self.prefix} · {self.last}"


class CertificateStatus(models.TextChoices):
    VALID = "valid", _("Valid")
    REVOKED = "revoked", _("Revoked")


class Certificate(models.Model):
    """A 职业技能等级证书. The holder's details are copied at issue, as printed; the public link is
    ``public_id`` and survives a regenerated PDF."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(_("certificate number"), max_length=22, unique=True)
    application = models.OneToOneField(
        Application, verbose_name=_("application"), on_delete=models.PROTECT, related_name="certificate"
    )
    person = models.ForeignKey(
        "organisation.Person", verbose_name=_("holder"), on_delete=models.PROTECT, related_name="certificates"
    )
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    holder_name = models.CharField(_("holder's name"), max_length=50)
    work_type = models.CharField(_("work type"), max_length=50, default="--")
    issuer = models.CharField(_("issuing organisation"), max_length=200)
    issued_on = models.DateField(_("issued"))
    pdf = models.FileField(_("PDF"), upload_to="certification/certificates/", storage=private_storage, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    # The PDF drawn as one PNG, for WeChat (which cannot show or save a PDF); made from the PDF when first asked.
    image = models.FileField(
        _("image"), upload_to="certification/certificates/", storage=private_storage, blank=True
    )
    status = models.CharField(_("status"), max_length=8, choices=CertificateStatus.choices, default=CertificateStatus.VALID)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("revoked by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    revocation_reason = models.TextField(_("reason for revocation"), blank=True)

    class Meta:
        ordering = ["-issued_on", "number"]
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        constraints = [
            # One valid certificate of a level per person: passing the level again (another session) issues no
            # second number. A revoked certificate no longer counts, so its holder may be certified anew.
            models.UniqueConstraint(
                fields=["person", "level"], condition=Q(status="valid"), name="certificate_one_valid_per_person_level"
            ),
        ]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse("certification:verify_certificate", args=[self.public_id])

    @property
    def is_valid(self) -> bool:
        return self.status == CertificateStatus.VALID


class IssueJob(BackgroundJob):
    """Issuing a signed-off session's certificates, run by Celery workers; the page polls its progress.
    ``total`` counts the certificates to issue, ``done`` those issued."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Issuing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    # Its chunks issue what is missing, whoever ran before: a job whose worker was lost is planned again and its
    # missing chunks queued (academy.jobs), rather than left stalled or failed.
    RESUME_WHEN_STALE = True

    session = models.ForeignKey(AssessmentSession, on_delete=models.CASCADE, related_name="issue_jobs")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)

    class Meta(BackgroundJob.Meta):
        verbose_name = _("certificate issuing job")
        verbose_name_plural = _("certificate issuing jobs")

    def __str__(self):
        return f"{self.session} · {self.created_at:%Y-%m-%d %H:%M}"


class NoticeJob(BackgroundJob):
    """Notices owed (notices.py): a signed-off session's results to its candidates, a result amended since to
    its candidate, or newly issued certificates to their holders. Recorded in the transaction that makes them owed
    (the sign-off, the amendment, the PDFs kept), so that they are owed whatever becomes of the broker: a job it
    never took is sent again by the sweep. ``total`` counts the notices sent."""

    class Kind(models.TextChoices):
        RESULTS = "results", _("Results of a session")
        CERTIFICATES = "certificates", _("Certificates issued")
        AMENDED_RESULT = "amended", _("Amended result")

    # Run again, it tells only those not yet told (notify_once): a job whose worker was lost is sent again
    # rather than failed, which nobody would see.
    RESUME_WHEN_STALE = True

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    # The session signed off (results), or whose certificates were issued.
    session = models.ForeignKey(AssessmentSession, on_delete=models.CASCADE, related_name="notice_jobs")
    # The certificates issued (certificates): those whose PDFs one chunk kept.
    certificate_ids = models.JSONField(_("certificates"), default=list, blank=True)
    # The amendment that changed a candidate's outcome after sign-off (amended result).
    amendment = models.ForeignKey(
        "AuditEntry", verbose_name=_("amendment"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta(BackgroundJob.Meta):
        verbose_name = _("notice job")
        verbose_name_plural = _("notice jobs")

    def __str__(self):
        return f"{self.get_kind_display()} · {self.session}"


class IssueFailure(models.Model):
    """A candidate whose certificate a job could not issue, and why. The job issues the others regardless, and
    its page lists these; issuing again tries them once more."""

    job = models.ForeignKey(IssueJob, on_delete=models.CASCADE, related_name="failures")
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="+")
    reason = models.TextField(_("reason"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["job", "application"], name="issue_failure_once_per_job")]
        verbose_name = _("certificate not issued")
        verbose_name_plural = _("certificates not issued")

    def __str__(self):
        return f"{self.job} · {self.application_id}"
