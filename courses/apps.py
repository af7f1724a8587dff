from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = _("Courses and training")

    def ready(self):
        # Connect the receivers; register the system checks; and Celery's autodiscovery finds only modules named
        # "tasks": register the reminder jobs here.
        from . import checks, receivers, reminder_tasks  # noqa: F401
