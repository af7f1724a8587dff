from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from academy.jobs import BackgroundJob
from academy.storage import private_storage


class ExportJob(BackgroundJob):
    """A coverage table or untrained list written to a file in the background; ``total`` and ``done`` count
    its rows. The file holds personal data: it lives in private storage, only its owner downloads it, and only
    until ``expires_at``."""

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

    # A file half written by a worker that died holds personal data nobody can download: deleted once failed.
    # A finished one is deleted when it expires (exports.exports_delete_expired).
    FILES_KEPT_WHILE = {"file": {Status.PENDING, Status.RUNNING, Status.DONE}}

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("export"), max_length=12, choices=Kind.choices)
    file_format = models.CharField(_("format"), max_length=4, choices=Format.choices)
    params = models.JSONField(_("filters"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    file = models.FileField(_("file"), upload_to="exports/", storage=private_storage, blank=True)
    expires_at = models.DateTimeField(_("expires"))

    class Meta(BackgroundJob.Meta):
        verbose_name = _("export")
        verbose_name_plural = _("exports")

    def __str__(self):
        return f"{self.get_kind_display()} · {self.created_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self):
        return reverse("analytics:export_detail", args=[self.pk])

    def is_expired(self, now) -> bool:
        return now >= self.expires_at


class Indicator(models.Model):
    """One line of the plan's indicator table (domain.md §4). The names are translated labels kept in code
    (analytics/indicators.py, by ``key``); the figures of the plan are kept here. "Recorded" indicators are
    entered each year by the province administrator; "platform" ones are computed from this platform's data."""

    class Unit(models.TextChoices):
        YUAN_PER_YEAR = "yuan_per_year", _("yuan a year")
        COUNT = "count", _("count")
        PERCENT = "percent", _("per cent")

    class Source(models.TextChoices):
        RECORDED = "recorded", _("Recorded by the province")
        PLATFORM = "platform", _("Computed by the platform")

    key = models.SlugField(_("key"), max_length=50, unique=True)
    unit = models.CharField(_("unit"), max_length=20, choices=Unit.choices)
    baseline_2020 = models.DecimalField(_("2020 baseline"), max_digits=12, decimal_places=2, null=True, blank=True)
    target_2022 = models.DecimalField(_("2022 target"), max_digits=12, decimal_places=2, null=True, blank=True)
    target_2025 = models.DecimalField(_("2025 target"), max_digits=12, decimal_places=2, null=True, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.RECORDED)

    class Meta:
        ordering = ["order", "key"]
        verbose_name = _("plan indicator")
        verbose_name_plural = _("plan indicators")

    def __str__(self):
        return self.key


class IndicatorValue(models.Model):
    """The value of a recorded indicator in one year, province-wide, in the indicator's unit (30 for 30%)."""

    indicator = models.ForeignKey(Indicator, verbose_name=_("indicator"), on_delete=models.CASCADE, related_name="values")
    year = models.PositiveSmallIntegerField(_("year"))
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=2)
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now=True)

    class Meta:
        ordering = ["indicator", "year"]
        verbose_name = _("indicator value")
        verbose_name_plural = _("indicator values")
        constraints = [models.UniqueConstraint(fields=["indicator", "year"], name="indicator_value_once_a_year")]

    def __str__(self):
        return f"{self.indicator_id} · {self.year}"


class MonthlyReport(models.Model):
    """The PDF of every dashboard for one region (a province, city or county) and month, kept for its
    administrators to open again and emailed to them once. One per region and month, however often or
    concurrently the job runs (analytics/monthly.py)."""

    region = models.ForeignKey(
        "organisation.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="monthly_reports"
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month reported on."))
    pdf = models.FileField(_("PDF"), upload_to="monthly-reports/", storage=private_storage)
    size = models.PositiveIntegerField(_("size in bytes"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    emailed_at = models.DateTimeField(_("emailed"), null=True, blank=True)

    class Meta:
        ordering = ["-month", "region_id"]
        verbose_name = _("monthly report")
        verbose_name_plural = _("monthly reports")
        constraints = [models.UniqueConstraint(fields=["region", "month"], name="monthly_report_once")]

    def __str__(self):
        return f"{self.region_id} · {self.month:%Y-%m}"

    def get_absolute_url(self):
        return reverse("analytics:report_download", args=[self.pk])


class MonthlyReportJob(BackgroundJob):
    """Making one region's monthly report (analytics/monthly.py) in the background: one job per region and month,
    so that the beat's fan-out can run twice and a failed report is retried from the archive page."""

    region = models.ForeignKey(
        "organisation.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month reported on."))
    report = models.ForeignKey(
        MonthlyReport, verbose_name=_("report"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(BackgroundJob.Meta):
        verbose_name = _("monthly report job")
        verbose_name_plural = _("monthly report jobs")
        constraints = [models.UniqueConstraint(fields=["region", "month"], name="monthly_report_job_once")]

    def __str__(self):
        return f"{self.region_id} · {self.month:%Y-%m}"
