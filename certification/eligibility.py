"""Whether a person may sit a level, checked against the rule set and explained reason by reason.

Inputs: years in the occupation from the person's post history (overlapping posts count once), the
certificate of the level below, and training hours: every hour credited on the platform plus external
hours the applicant declares with a proof. The result is kept on the application as data (numbers and
yes/no), and worded in the reader's language when shown, so it reads the same in Chinese and English.
"""
import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum
from django.utils.translation import gettext as _

from academy.organisation.models import Post, PostKind
from courses.models import TrainingRecord

from .models import Certificate, CertificateStatus, Level, RuleSet
from .rules import level_rules

OCCUPATION_POSTS = frozenset({PostKind.CARER})
# Other work in a welfare institution, counted where a path allows related work.
RELATED_POSTS = frozenset({PostKind.INSTITUTION_STAFF, PostKind.INSTITUTION_HEAD})

DAYS_PER_YEAR = Decimal("365.25")


def years_in_posts(*, person, kinds, on: datetime.date) -> Decimal:
    """Years from the person's posts of these kinds up to ``on``, counting each day once."""
    intervals = sorted(
        (post.start_date, min(post.end_date or on, on))
        for post in Post.objects.filter(person=person, kind__in=kinds, start_date__lte=on)
    )
    days = 0
    current_start = current_end = None
    for start, end in intervals:
        if current_end is not None and start <= current_end + datetime.timedelta(days=1):
            current_end = max(current_end, end)
            continue
        if current_end is not None:
            days += (current_end - current_start).days + 1
        current_start, current_end = start, end
    if current_end is not None:
        days += (current_end - current_start).days + 1
    return (Decimal(days) / DAYS_PER_YEAR).quantize(Decimal("0.1"))


def platform_training_hours(*, person, on: datetime.date) -> Decimal:
    total = TrainingRecord.objects.filter(person=person, completed_on__lte=on).aggregate(total=Sum("credit_hours"))
    return total["total"] or Decimal(0)


def holds_certificate(*, person, level: int, on: datetime.date) -> bool:
    """A valid certificate of ``level`` or higher (a lower number), issued by ``on``."""
    return Certificate.objects.filter(
        person=person, level__lte=level, status=CertificateStatus.VALID, issued_on__lte=on
    ).exists()


def valid_certificate_held(*, person, level: int) -> Certificate | None:
    """The person's valid certificate of exactly ``level``; there is at most one (the database's
    certificate_one_valid_per_person_level), so passing the level again earns no second number."""
    return valid_certificates_held(people=[person], level=level).get(person.pk)


def valid_certificates_held(*, people, level: int) -> dict[int, Certificate]:
    """valid_certificate_held for many people at once (a batch's chunk): their valid certificates of exactly
    ``level``, by person id."""
    held = Certificate.objects.filter(person__in=people, level=level, status=CertificateStatus.VALID)
    return {certificate.person_id: certificate for certificate in held}


def eligibility_check(
    *, person, level: int, rule_set: RuleSet, on: datetime.date, external_hours: Decimal = Decimal(0),
    has_proof: bool = False,
) -> dict:
    """The check as data, stored on the application. ``eligible`` needs the level's training hours and any
    one of its ways to qualify."""
    rules = level_rules(rule_set=rule_set, level=level)
    occupation_years = years_in_posts(person=person, kinds=OCCUPATION_POSTS, on=on)
    with_related_years = years_in_posts(person=person, kinds=OCCUPATION_POSTS | RELATED_POSTS, on=on)
    paths = []
    for path in rules.paths:
        years = with_related_years if path.related_posts_count else occupation_years
        certificate_ok = None if path.prior_level is None else holds_certificate(
            person=person, level=path.prior_level, on=on
        )
        years_ok = years >= path.min_years
        paths.append({
            "prior_level": path.prior_level,
            "min_years": str(path.min_years),
            "related_posts_count": path.related_posts_count,
            "years": str(years),
            "years_ok": years_ok,
            "certificate_ok": certificate_ok,
            "ok": years_ok and certificate_ok is not False,
        })
    platform_hours = platform_training_hours(person=person, on=on)
    counted_external = external_hours if has_proof else Decimal(0)
    hours = platform_hours + counted_external
    hours_ok = hours >= rules.min_training_hours
    return {
        "level": level,
        "rule_set_version": rule_set.version,
        "checked_on": on.isoformat(),
        "paths": paths,
        "platform_hours": str(platform_hours),
        "external_hours": str(external_hours),
        "external_hours_counted": str(counted_external),
        "hours_needed": str(rules.min_training_hours),
        "hours_ok": hours_ok,
        "eligible": hours_ok and any(path["ok"] for path in paths),
    }


@dataclass(frozen=True)
class Reason:
    ok: bool
    text: str


def eligibility_reasons(check: dict) -> list[Reason]:
    """The stored check in words, one line per rule, in the reader's language."""
    reasons = []
    for path in check.get("paths", []):
        if path["prior_level"] is None:
            what = _("%(years)s years in the occupation") if not path["related_posts_count"] else _(
                "%(years)s years in the occupation or related work"
            )
            text = (what % {"years": path["min_years"]}) + _(": you have %(have)s.") % {"have": path["years"]}
        else:
            text = _("%(level)s certificate and %(years)s years in the occupation: ") % {
                "level": Level(path["prior_level"]).label, "years": path["min_years"],
            }
            text += (_("certificate held") if path["certificate_ok"] else _("no such certificate")) + _(
                ", %(have)s years."
            ) % {"have": path["years"]}
        reasons.append(Reason(ok=path["ok"], text=text))
    hours_text = _(
        "Training hours: %(needed)s needed; %(platform)s on the platform plus %(external)s external counted."
    ) % {"needed": check["hours_needed"], "platform": check["platform_hours"], "external": check["external_hours_counted"]}
    if Decimal(check["external_hours"]) and not Decimal(check["external_hours_counted"]):
        hours_text += " " + _("External hours count only with an uploaded proof.")
    reasons.append(Reason(ok=check["hours_ok"], text=hours_text))
    return reasons
