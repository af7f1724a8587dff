"""The system checks of courses/checks.py."""
from courses.checks import identity_check_setting


def accept_everyone(request, *, person, lesson):
    return True


NOT_CALLABLE = "a string"


def test_no_identity_check_is_fine(settings):
    settings.COURSES_IDENTITY_CHECK = ""
    assert identity_check_setting(None) == []


def test_an_identity_check_that_imports_is_fine(settings):
    settings.COURSES_IDENTITY_CHECK = "tests.courses.test_checks.accept_everyone"
    assert identity_check_setting(None) == []


def test_an_identity_check_that_cannot_be_imported_or_called_stops_the_site(settings):
    settings.COURSES_IDENTITY_CHECK = "tests.courses.test_checks.no_such_function"
    assert [error.id for error in identity_check_setting(None)] == ["courses.E001"]
    settings.COURSES_IDENTITY_CHECK = "tests.courses.test_checks.NOT_CALLABLE"
    assert [error.id for error in identity_check_setting(None)] == ["courses.E002"]
