from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrganisationConfig(AppConfig):
    name = "academy.organisation"
    label = "organisation"
    verbose_name = _("Organisation")

    def ready(self):
        from . import receivers  # noqa: F401 (connects the receivers)
