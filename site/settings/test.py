"""The test suite. DATABASE_URL chooses PostgreSQL for the integration run; SQLite otherwise."""
import os

from .base import *  # noqa: F401,F403
from .base import DATABASES, PERSONAL_DATA_KEYS

SECRET_KEY = "test-secret-key"
PERSONAL_DATA_KEYS = PERSONAL_DATA_KEYS or ["test-personal-data-key"]
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SMS_BACKEND = "academy.accounts.sms.OutboxSMSBackend"

# The tests' heartbeat timings are written for a 10-second interval (production: 30).
COURSES_HEARTBEAT_SECONDS = 10

# Static files straight from the source folders, without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# The browser tests' live server answers in several threads at once (a lesson's heartbeats with the page). An
# in-memory SQLite database shared between threads fails at once with "table is locked" when two write together;
# a database file makes the second writer wait for the first, as SQLite does everywhere else.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" and os.environ.get("SQLITE_TEST_DATABASE_FILE"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["SQLITE_TEST_DATABASE_FILE"]}

# Tests that sign an editor or a system administrator in with force_login test their pages, not the second
# factor; the tests of the second factor (tests/accounts/test_second_factor.py, tests/browser/test_mfa.py) turn
# the requirement back on, as it is everywhere else.
SECOND_FACTOR_REQUIRED = False
