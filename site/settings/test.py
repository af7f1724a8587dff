"""The test suite. DATABASE_URL chooses PostgreSQL for the integration run; SQLite otherwise."""
from .base import *  # noqa: F401,F403
from .base import PERSONAL_DATA_KEY

SECRET_KEY = "test-secret-key"
PERSONAL_DATA_KEY = PERSONAL_DATA_KEY or "test-personal-data-key"
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SMS_BACKEND = "academy.accounts.sms.OutboxSMSBackend"

# Static files straight from the source folders, without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
