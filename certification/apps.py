from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CertificationConfig(AppConfig):
    name = "certification"
    verbose_name = _("Skill-level certification")

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import receivers  # noqa: F401 (connects the receivers)

        post_migrate.connect(_seed_rules, sender=self)


def _seed_rules(sender, using="default", **kwargs):
    """Every database starts with version 1 of the rules, the defaults of the national standard template."""
    from django.db import connections

    from .rules import rule_set_seed_defaults

    # `migrate <other app>` may stop before the certification tables exist.
    if "certification_ruleset" in connections[using].introspection.table_names():
        rule_set_seed_defaults()
