"""System checks of the courses' settings (``manage.py check``, and every start of the site)."""
from django.conf import settings
from django.core.checks import Error, register
from django.utils.module_loading import import_string


@register()
def identity_check_setting(app_configs, **kwargs):
    """COURSES_IDENTITY_CHECK must name a callable, or every answer to an attention check would fail."""
    path = getattr(settings, "COURSES_IDENTITY_CHECK", "")
    if not path:
        return []
    try:
        check = import_string(path)
    except ImportError as error:
        return [Error(
            f"COURSES_IDENTITY_CHECK names {path!r}, which cannot be imported: {error}",
            hint="Give the dotted path of a callable check(request, *, person, lesson) -> bool, or leave it empty.",
            id="courses.E001",
        )]
    if not callable(check):
        return [Error(
            f"COURSES_IDENTITY_CHECK names {path!r}, which is not callable.",
            hint="Give the dotted path of a callable check(request, *, person, lesson) -> bool, or leave it empty.",
            id="courses.E002",
        )]
    return []
