"""Production: every secret and address comes from the environment; nothing has a usable default."""
import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F401,F403
from .base import CACHES, PERSONAL_DATA_KEYS, SECRET_KEY, SMS_BACKEND, STORAGES

if not SECRET_KEY:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set in production.")
if not PERSONAL_DATA_KEYS:
    raise ImproperlyConfigured("PERSONAL_DATA_KEY must be set in production.")
if len(set(PERSONAL_DATA_KEYS)) != len(PERSONAL_DATA_KEYS):
    raise ImproperlyConfigured("PERSONAL_DATA_KEY lists the same key twice.")
# What suits the demo would fail quietly in production: one-time codes printed to a console nobody reads, and
# sign-in and look-up limits counted apart in each process. Either takes an explicit "yes, on purpose".
if SMS_BACKEND == "academy.accounts.sms.ConsoleSMSBackend" and os.environ.get("ALLOW_CONSOLE_SMS") != "1":
    raise ImproperlyConfigured(
        "SMS_BACKEND must name the SMS gateway's backend in production (or set ALLOW_CONSOLE_SMS=1 to print "
        "one-time codes to the console)."
    )
if CACHES["default"]["BACKEND"].endswith(("LocMemCache", "DummyCache")) and os.environ.get("ALLOW_LOCAL_CACHE") != "1":
    raise ImproperlyConfigured(
        "CACHE_URL must name the shared Redis cache in production, so that rate limits hold across processes "
        "(or set ALLOW_LOCAL_CACHE=1 to keep a cache in each process)."
    )

DEBUG = False
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = os.environ.get("DJANGO_SECURE_SSL_REDIRECT", "1") == "1"
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
