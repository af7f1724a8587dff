from django.db import models
from django.utils.translation import gettext_lazy as _


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
