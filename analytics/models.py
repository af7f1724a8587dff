import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from academy.storage import private_storage


class CoverageCount(models.Model):
    """How many people a plan requires in a region (its own and everything under it) and how far they are.
    Kept up to date as assignments change (analytics/coverage.py), so a coverage page reads a handful of
    rows whatever the number of people."""

    plan = models.ForeignKey("courses.TrainingPlan", on_delete=models.CASCADE, related_name="coverage_counts")
    region = models.ForeignKey("organisation.Region", on_delete=models.CASCADE, related_name="+")
    not_started = models.PositiveIntegerField(_("not started"), default=0)
    in_progress = models.PositiveIntegerField(_("in progress"), default=0)
    completed = models.PositiveIntegerField(_("completed"), default=0)

    class Meta:
        verbose_name = _("coverage count")
        verbose_name_plural = _("coverage counts")
        constraints = [models.UniqueConstraint(fields=["plan", "region"], name="coverage_count_once")]

    def __str__(self):
        return f"{self.plan} · {self.region_id}"

    @property
    def required(self) -> int:
        return self.not_started + self.in_progress + self.completed

    @property
    def rate(self) -> float:
        """Completed ÷ required, 0 to 1; a region that requires nobody is fully covered."""
        return self.completed / self.required if self.required else 1.0


class ExportJob(models.Model):
    """A coverage table or untrained list written to a file in the background. The file holds personal
    data: it lives in private storage, only its owner downloads it, and only until ``expires_at``."""

    class Kind(models.TextChoices):
        COVERAGE = "coverage", _("Coverage table")
        UNTRAINED = "untrained", _("People not yet trained")

    class Format(models.TextChoices):
        XLSX = "xlsx", _("Excel")
        CSV = "csv", _("CSV")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Writing")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("export"), max_length=12, choices=Kind.choices)
    file_format = models.CharField(_("format"), max_length=4, choices=Format.choices)
    params = models.JSONField(_("filters"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows written"), default=0)
    file = models.FileField(_("file"), upload_to="exports/", storage=private_storage, blank=True)
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("export")
        verbose_name_plural = _("exports")

    def __str__(self):
        return f"{self.get_kind_display()} · {self.created_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self):
        return reverse("analytics:export_detail", args=[self.pk])

    @property
    def is_running(self) -> bool:
        return self.status in {self.Status.PENDING, self.Status.RUNNING}

    @property
    def progress(self) -> int:
        """Percent of the rows written."""
        if self.status == self.Status.DONE:
            return 100
        if not self.total_rows:
            return 0
        return min(100, self.processed_rows * 100 // self.total_rows)

    def is_expired(self, now) -> bool:
        return now >= self.expires_at
