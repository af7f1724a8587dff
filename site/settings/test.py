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

# Static files straight from the source folders, without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# The browser tests' live server answers in several threads at once (a lesson's heartbeats with the page). An
# in-memory SQLite database shared between threads fails at once with "table is locked" when two write together;
# a database file makes the second writer wait for the first, as SQLite does everywhere else.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" and os.environ.get("SQLITE_TEST_DATABASE_FILE"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["SQLITE_TEST_DATABASE_FILE"]}
