"""Scheduled reminders of the annual training plans (run daily and weekly by Celery beat, reminder_tasks.py).

- Trainees who have not completed an open plan are reminded as its deadline nears (REMINDER_DAYS_BEFORE:
  the first run once 14 days or fewer are left, again once 3 or fewer) and once a week while overdue, for
  OVERDUE_REMINDER_DAYS after the deadline.
- Tier administrators get a weekly digest of the untrained people of their region in each tier, read from
  the coverage counts.

Each message is sent through notify_once(), whose log makes a second run of the same day (or week) send
nothing, and a run after a crash send only what the crashed one had not. Users have no language of their
own: messages are written in the site's default language.
"""
import datetime
import logging
from collections import defaultdict

from django.conf import settings
from django.db.models import Exists, OuterRef, Sum
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext, ngettext

from academy.accounts import messages
from academy.accounts.messages import BoundTextMessage
from academy.accounts.models import SentReminder, User
from academy.accounts.notifications import notify_once
from academy.organisation.models import PostKind

from .models import CoverageCount, PlanAssignment, PlanStatus, TrainingPlan

logger = logging.getLogger(__name__)

REMINDER_DAYS_BEFORE = (14, 3)
OVERDUE_REMINDER_DAYS = 56  # eight weekly reminders after the deadline, then the plan is left to history
PLAN_TIERS = (PostKind.INSTITUTION_HEAD, PostKind.CHILD_SUPERVISOR, PostKind.CHILD_DIRECTOR)


def open_plans(*, today: datetime.date):
    """Plans whose window has opened and whose deadline is at most OVERDUE_REMINDER_DAYS ago."""
    return TrainingPlan.objects.filter(
        opens_on__lte=today, deadline__gte=today - datetime.timedelta(days=OVERDUE_REMINDER_DAYS)
    )


def _iso_week(day: datetime.date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def trainee_reminder_kind(*, plan: TrainingPlan, today: datetime.date) -> str | None:
    """Which reminder an unfinished trainee of ``plan`` is due today, or None. A reminder missed on its
    day (the job did not run) is sent on the next run, as long as the next one is not yet due."""
    days_left = (plan.deadline - today).days
    if days_left < 0:
        return f"overdue_{_iso_week(today)}"
    for days in sorted(REMINDER_DAYS_BEFORE):
        if days_left <= days:
            return f"due_{days}"
    return None


def _trainee_message(plan: TrainingPlan, today: datetime.date) -> tuple[str, str, BoundTextMessage]:
    days_left = (plan.deadline - today).days
    values = {"plan": plan.title, "deadline": formats.date_format(plan.deadline), "days": abs(days_left)}
    if days_left < 0:
        sms = messages.TRAINING_OVERDUE.bind(plan=plan.title, deadline=values["deadline"])
        title = gettext("Training overdue: %(plan)s") % values
        body = ngettext(
            "The deadline of “%(plan)s” was %(deadline)s, %(days)d day ago, and your training is not complete. "
            "Please complete it as soon as you can.",
            "The deadline of “%(plan)s” was %(deadline)s, %(days)d days ago, and your training is not complete. "
            "Please complete it as soon as you can.",
            values["days"],
        ) % values
    elif days_left == 0:
        sms = messages.TRAINING_DUE_TODAY.bind(plan=plan.title)
        title = gettext("Training due today: %(plan)s") % values
        body = gettext("Today, %(deadline)s, is the deadline of “%(plan)s”, and your training is not complete.") % values
    else:
        sms = messages.TRAINING_DUE.bind(plan=plan.title, deadline=values["deadline"], days=days_left)
        title = gettext("Training due soon: %(plan)s") % values
        body = ngettext(
            "The deadline of “%(plan)s” is %(deadline)s, in %(days)d day, and your training is not complete.",
            "The deadline of “%(plan)s” is %(deadline)s, in %(days)d days, and your training is not complete.",
            values["days"],
        ) % values
    return title, body, sms


def send_trainee_reminders(*, today: datetime.date | None = None) -> int:
    """Remind everyone with an account who has not completed an open plan and is due a reminder today.
    Returns the number of reminders sent."""
    today = today or timezone.localdate()
    sent = 0
    with translation.override(settings.LANGUAGE_CODE):
        for plan in open_plans(today=today):
            kind = trainee_reminder_kind(plan=plan, today=today)
            if kind is None:
                continue
            subject = f"plan:{plan.pk}"
            title, body, sms = _trainee_message(plan, today)
            already_sent = SentReminder.objects.filter(user=OuterRef("person__user"), kind=kind, subject=subject)
            assignments = (
                PlanAssignment.objects.filter(plan=plan, person__user__is_active=True)
                .exclude(status=PlanStatus.COMPLETED)
                .exclude(Exists(already_sent))
                .select_related("person__user")
                .order_by("pk")
            )
            url = reverse("courses:my_learning")
            for assignment in assignments.iterator(chunk_size=1000):
                sent += notify_once(
                    user=assignment.person.user, kind=kind, subject=subject, title=title, body=body, url=url, sms=sms,
                )
    logger.info("Sent %d training reminders", sent)
    return sent


def untrained_by_tier(*, region_codes, today: datetime.date) -> dict[str, list[dict]]:
    """For each region code, the open plans' figures summed per year and tier, in tier order:
    [{"year", "tier", "required", "untrained", "not_started", "in_progress"}]. One query."""
    rows = (
        CoverageCount.objects.filter(plan__in=open_plans(today=today), region_id__in=region_codes)
        .values("region_id", "plan__year", "plan__post_kind")
        .annotate(not_started=Sum("not_started"), in_progress=Sum("in_progress"), completed=Sum("completed"))
    )
    figures = defaultdict(list)
    for row in rows:
        untrained = row["not_started"] + row["in_progress"]
        figures[row["region_id"]].append({
            "year": row["plan__year"], "tier": row["plan__post_kind"], "required": untrained + row["completed"],
            "untrained": untrained, "not_started": row["not_started"], "in_progress": row["in_progress"],
        })
    tier_order = {tier: position for position, tier in enumerate(PLAN_TIERS)}
    for lines in figures.values():
        lines.sort(key=lambda line: (-line["year"], tier_order.get(line["tier"], len(tier_order))))
    return figures


def _digest_message(region, lines: list[dict]) -> tuple[str, str, BoundTextMessage]:
    title = gettext("Weekly training digest: %(region)s") % {"region": region.name}
    body_lines = [
        gettext(
            "%(year)s %(tier)s: %(untrained)s of %(required)s not yet trained "
            "(%(not_started)s not started, %(in_progress)s in progress)."
        ) % {**line, "tier": PostKind(line["tier"]).label}
        for line in lines
    ]
    untrained = sum(line["untrained"] for line in lines)
    return title, "\n".join(body_lines), messages.ADMINISTRATOR_DIGEST.bind(region=region.name, untrained=untrained)


def send_administrator_digests(*, today: datetime.date | None = None) -> int:
    """Send each active tier administrator this week's digest of their region (once per ISO week).
    Administrators whose region has no open plan get nothing. Returns the number of digests sent."""
    today = today or timezone.localdate()
    kind = f"digest_{_iso_week(today)}"
    administrators = list(
        User.objects.filter(is_active=True, admin_region__isnull=False)
        .exclude(Exists(SentReminder.objects.filter(user=OuterRef("pk"), kind=kind)))
        .order_by("pk")
    )
    figures = untrained_by_tier(region_codes={user.admin_region_id for user in administrators}, today=today)
    sent = 0
    url = reverse("analytics:home")  # the coverage pages of their scope
    with translation.override(settings.LANGUAGE_CODE):
        for user in administrators:
            lines = figures.get(user.admin_region_id)
            if not lines:
                continue
            title, body, sms = _digest_message(user.admin_region, lines)
            sent += notify_once(user=user, kind=kind, title=title, body=body, url=url, sms=sms)
    logger.info("Sent %d administrator digests", sent)
    return sent
