from decimal import Decimal

import pytest
from django.db import connection

from academy.audit.models import AuditAction, AuditEntry
from certification import rules
from certification.models import Part, PartRule, RuleSet
from tests.factories import UserFactory
from tests.races import race


def test_defaults_follow_the_national_template(rule_set):
    assert rule_set.version == 1 and rule_set.is_published
    level_4 = rules.level_rules(rule_set=rule_set, level=4)
    assert level_4.min_training_hours == 160
    assert level_4.pass_marks == {Part.THEORY: Decimal(60), Part.SKILL: Decimal(60)}
    assert sorted((path.prior_level or 0, path.min_years) for path in level_4.paths) == [(0, 6), (5, 4)]
    assert sum(item.points for item in level_4.rubric) == 100
    assert any(item.is_critical for item in level_4.rubric)
    assert rules.level_rules(rule_set=rule_set, level=1).parts == [Part.THEORY, Part.SKILL, Part.REVIEW]
    assert rules.level_rules(rule_set=rule_set, level=1).min_training_hours == 100


def test_seeding_twice_makes_one_version(rule_set):
    assert rules.rule_set_seed_defaults() == rule_set
    assert RuleSet.objects.count() == 1


def test_a_draft_copies_every_rule_and_publishing_makes_it_current(rule_set):
    draft = rules.rule_set_draft_create(source=rule_set)
    assert draft.version == 2 and not draft.is_published
    assert draft.part_rules.count() == rule_set.part_rules.count()
    assert draft.rubric_items.count() == rule_set.rubric_items.count()
    assert RuleSet.objects.current() == rule_set  # a draft judges nothing

    PartRule.objects.filter(rule_set=draft, level=5, part=Part.THEORY).update(pass_mark=70)
    publisher = UserFactory(is_superuser=True)
    rules.rule_set_publish(rule_set=draft, user=publisher)
    assert RuleSet.objects.current() == draft
    entry = AuditEntry.objects.get(action=AuditAction.RULE_SET_PUBLISHED)
    assert entry.actor == publisher and entry.detail == {"version": 2}
    # The old version is untouched: what was judged under it stays as it was.
    assert rules.level_rules(rule_set=rule_set, level=5).pass_marks[Part.THEORY] == 60
    assert rules.level_rules(rule_set=draft, level=5).pass_marks[Part.THEORY] == 70


def test_a_published_version_cannot_be_published_again(rule_set):
    with pytest.raises(rules.RulesLocked):
        rules.rule_set_publish(rule_set=rule_set, user=UserFactory())


def test_a_draft_with_a_broken_rubric_is_not_published(rule_set):
    draft = rules.rule_set_draft_create(source=rule_set)
    draft.rubric_items.filter(level=3).first().delete()
    draft.min_review_panel = 4
    draft.save()
    problems = rules.rule_set_problems(draft)
    assert any("100" in problem for problem in problems)
    assert any("odd" in problem for problem in problems)
    with pytest.raises(ValueError):
        rules.rule_set_publish(rule_set=draft, user=UserFactory())
    assert RuleSet.objects.current() == rule_set


def test_every_new_database_has_the_default_rules(db):
    """Seeded after migrate (post_migrate), so a fresh installation can open sessions at once."""
    assert RuleSet.objects.current() is not None


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="two connections at once need PostgreSQL")
def test_two_administrators_making_drafts_at_once_get_a_version_each():
    # Both count the same next version; the versions are unique, so the second takes the one after.
    rule_set = rules.rule_set_seed_defaults()
    first, second = race(
        lambda: rules.rule_set_draft_create(source=rule_set),
        lambda: rules.rule_set_draft_create(source=rule_set),
    )
    assert (first.version, second.version) == (2, 3)
    assert second.part_rules.count() == rule_set.part_rules.count()
    assert sorted(RuleSet.objects.values_list("version", flat=True)) == [1, 2, 3]
