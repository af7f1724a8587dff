"""The certification rules as versioned data: the defaults of domain.md §3, drafts, publishing, and the
look-ups every other module uses. Nothing else reads the rule tables directly."""
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from academy.audit.models import AuditAction
from academy.audit.services import audit_record

from .models import EligibilityPath, Level, LevelRule, Part, PartRule, RubricItem, RuleSet, WorkArea

# domain.md §3: minimum training hours per level.
DEFAULT_TRAINING_HOURS = {5: 180, 4: 160, 3: 140, 2: 120, 1: 100}
# Ways to qualify: (level, certificate of the level needed or None, years in the occupation, related work counts).
DEFAULT_PATHS = [
    (5, None, 1, True),
    (4, 5, 4, False),
    (4, None, 6, False),
    (3, 4, 5, False),
    (2, 3, 4, False),
    (1, 2, 4, False),
]
DEFAULT_PASS_MARK = Decimal("60")
# Levels 2 and 1 add a comprehensive review to the theory exam and the skill assessment.
REVIEW_LEVELS = frozenset({2, 1})
# The skill rubric: the work areas of domain.md §3, with points summing to 100 at every level. Critical items
# are those where a failure endangers a child.
DEFAULT_RUBRIC = [
    (WorkArea.DAILY_CARE, "生活照料：喂食、穿衣、如厕与个人卫生", 20, False),
    (WorkArea.NURSING, "基础护理与保健：体温、服药与常见症状观察", 15, False),
    (WorkArea.HYGIENE, "清洁、消毒与隔离", 10, False),
    (WorkArea.SAFETY, "安全防护：跌倒、窒息与烫伤的预防和处置", 20, True),
    (WorkArea.REHABILITATION, "康复训练配合", 15, False),
    (WorkArea.EDUCATION, "早期教育与游戏", 10, False),
    (WorkArea.PSYCHOLOGY, "心理支持与沟通", 10, False),
]
# A critical item fails below this share of its points.
CRITICAL_ITEM_PASS_SHARE = Decimal("0.6")


# Drafts made at the same moment as this one that a new draft steps over before giving up.
DRAFT_NUMBER_TRIES = 5


class RulesLocked(Exception):
    """A published rule set is never edited: make a new draft from it."""


@transaction.atomic
def rule_set_seed_defaults() -> RuleSet:
    """Publish version 1 with domain.md's defaults, unless some rule set exists already (idempotent)."""
    existing = RuleSet.objects.current()
    if existing is not None:
        return existing
    rule_set = RuleSet.objects.create(version=1, notes=_("Defaults of the national skill standard template."))
    for level in Level.values:
        LevelRule.objects.create(rule_set=rule_set, level=level, min_training_hours=DEFAULT_TRAINING_HOURS[level])
        for part in parts_by_default(level):
            PartRule.objects.create(rule_set=rule_set, level=level, part=part, pass_mark=DEFAULT_PASS_MARK)
        for order, (area, title, points, critical) in enumerate(DEFAULT_RUBRIC):
            RubricItem.objects.create(
                rule_set=rule_set, level=level, work_area=area, title=title, points=points, is_critical=critical,
                sort_order=order,
            )
    for order, (level, prior_level, years, related) in enumerate(DEFAULT_PATHS):
        EligibilityPath.objects.create(
            rule_set=rule_set, level=level, prior_level=prior_level, min_years=years, related_posts_count=related,
            sort_order=order,
        )
    rule_set.published_at = timezone.now()
    rule_set.save(update_fields=["published_at"])
    return rule_set


def parts_by_default(level: int) -> list[str]:
    parts = [Part.THEORY, Part.SKILL]
    if level in REVIEW_LEVELS:
        parts.append(Part.REVIEW)
    return parts


@transaction.atomic
def rule_set_draft_create(*, source: RuleSet) -> RuleSet:
    """A new draft, a copy of ``source`` (usually the current version), numbered after every version."""
    fields = {
        name: getattr(source, name)
        for name in (
            "candidates_per_invigilator", "min_invigilators_per_room", "min_skill_assessors", "min_review_panel",
            "review_panel_odd", "max_assessor_spread",
        )
    }
    draft = _draft_numbered(fields)
    for model, related_name in (
        (LevelRule, "level_rules"), (PartRule, "part_rules"), (EligibilityPath, "eligibility_paths"),
        (RubricItem, "rubric_items"),
    ):
        rows = list(getattr(source, related_name).all())
        for row in rows:
            row.pk = None
            row.rule_set = draft
        model.objects.bulk_create(rows)
    return draft


def _draft_numbered(fields: dict) -> RuleSet:
    """A rule set numbered after every version. Two administrators making drafts at the same moment both
    count the same next number; the version is unique, so the second one takes the number after."""
    for attempt in range(1, DRAFT_NUMBER_TRIES + 1):
        next_version = (RuleSet.objects.aggregate(Max("version"))["version__max"] or 0) + 1
        try:
            with transaction.atomic():
                return RuleSet.objects.create(version=next_version, **fields)
        except IntegrityError:
            if attempt == DRAFT_NUMBER_TRIES:
                raise


def rule_set_problems(rule_set: RuleSet) -> list[str]:
    """What stops a draft from being published, in words for the administrator."""
    problems = []
    levels = {rule.level: rule for rule in rule_set.level_rules.all()}
    parts = {(rule.level, rule.part) for rule in rule_set.part_rules.all()}
    path_levels = {path.level for path in rule_set.eligibility_paths.all()}
    points = {}
    for item in rule_set.rubric_items.all():
        points[item.level] = points.get(item.level, 0) + item.points
    for level in Level:
        name = level.label
        if level.value not in levels:
            problems.append(_("%(level)s has no minimum training hours.") % {"level": name})
        for part in (Part.THEORY, Part.SKILL):
            if (level.value, part) not in parts:
                problems.append(
                    _("%(level)s has no pass mark for the %(part)s.") % {"level": name, "part": part.label}
                )
        if level.value not in path_levels:
            problems.append(_("%(level)s has no way to qualify.") % {"level": name})
        if points.get(level.value, 0) != 100:
            problems.append(
                _("The skill rubric of %(level)s has %(points)s points; it needs 100.")
                % {"level": name, "points": points.get(level.value, 0)}
            )
    if rule_set.review_panel_odd and rule_set.min_review_panel % 2 == 0:
        problems.append(_("The review panel must be an odd number: its minimum is even."))
    return problems


@transaction.atomic
def rule_set_publish(*, rule_set: RuleSet, user) -> RuleSet:
    rule_set = RuleSet.objects.select_for_update().get(pk=rule_set.pk)
    if rule_set.is_published:
        raise RulesLocked(_("This version is already published."))
    problems = rule_set_problems(rule_set)
    if problems:
        raise ValueError(" ".join(problems))
    rule_set.published_at = timezone.now()
    rule_set.save(update_fields=["published_at"])
    audit_record(action=AuditAction.RULE_SET_PUBLISHED, actor=user, target=rule_set, detail={"version": rule_set.version})
    return rule_set


# --- Look-ups -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LevelRules:
    """Everything the rules say about one level, as one object."""

    level: int
    min_training_hours: Decimal
    retake_months: int
    pass_marks: dict[str, Decimal]  # part -> pass mark, in assessment order
    paths: list[EligibilityPath]
    rubric: list[RubricItem]

    @property
    def parts(self) -> list[str]:
        return list(self.pass_marks)

    @property
    def label(self) -> str:
        return Level(self.level).label

    @property
    def labelled_pass_marks(self) -> list[tuple[str, Decimal]]:
        return [(Part(part).label, mark) for part, mark in self.pass_marks.items()]


PART_ORDER = [Part.THEORY, Part.SKILL, Part.REVIEW]


def level_rules(*, rule_set: RuleSet, level: int) -> LevelRules:
    level_rule = rule_set.level_rules.get(level=level)
    marks = {rule.part: rule.pass_mark for rule in rule_set.part_rules.filter(level=level)}
    return LevelRules(
        level=level,
        min_training_hours=level_rule.min_training_hours,
        retake_months=level_rule.retake_months,
        pass_marks={part.value: marks[part] for part in PART_ORDER if part in marks},
        paths=list(rule_set.eligibility_paths.filter(level=level).order_by("sort_order", "pk")),
        rubric=list(rule_set.rubric_items.filter(level=level).order_by("sort_order", "pk")),
    )
