"""Production: every secret and address comes from the environment; nothing has a usable default."""
import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F401,F403
from academy.accounts.messages import CATALOGUE as SMS_CATALOGUE

from .base import (
    CACHES, LOGGING, MEDIA_ROOT, PERSONAL_DATA_KEYS, PRIVATE_MEDIA_ROOT, SECRET_KEY, SMS_ACCESS_KEY_ID,
    SMS_ACCESS_KEY_SECRET, SMS_BACKEND, SMS_SIGN_NAME, SMS_TEMPLATE_CODES, STATIC_ROOT, STORAGES, WECHAT_APP_ID,
    WECHAT_APP_SECRET, WECHAT_TEMPLATES, WECHAT_WEB_APP_ID, WECHAT_WEB_APP_SECRET,
)

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
# A real gateway sends approved templates only: every message of the catalogue needs its template code.
if SMS_BACKEND in ("academy.accounts.sms.AliyunSMSBackend", "academy.accounts.sms.TencentSMSBackend"):
    missing = sorted(set(SMS_CATALOGUE) - set(SMS_TEMPLATE_CODES))
    if missing:
        raise ImproperlyConfigured(f"SMS_TEMPLATE_CODES has no template code for: {', '.join(missing)}.")
    if not (SMS_ACCESS_KEY_ID and SMS_ACCESS_KEY_SECRET and SMS_SIGN_NAME):
        raise ImproperlyConfigured("SMS_ACCESS_KEY_ID, SMS_ACCESS_KEY_SECRET and SMS_SIGN_NAME must be set for the SMS gateway.")
# WeChat is optional: off unless WECHAT_APP_ID is set; once set, half a configuration is refused.
if WECHAT_APP_ID and not WECHAT_APP_SECRET:
    raise ImproperlyConfigured("WECHAT_APP_SECRET must be set with WECHAT_APP_ID.")
if WECHAT_WEB_APP_ID and not WECHAT_WEB_APP_SECRET:
    raise ImproperlyConfigured("WECHAT_WEB_APP_SECRET must be set with WECHAT_WEB_APP_ID.")
unknown_templates = sorted(set(WECHAT_TEMPLATES) - set(SMS_CATALOGUE))
if unknown_templates:
    raise ImproperlyConfigured(f"WECHAT_TEMPLATES names messages the catalogue does not have: {', '.join(unknown_templates)}.")
if CACHES["default"]["BACKEND"].endswith(("LocMemCache", "DummyCache")) and os.environ.get("ALLOW_LOCAL_CACHE") != "1":
    raise ImproperlyConfigured(
        "CACHE_URL must name the shared Redis cache in production, so that rate limits hold across processes "
        "(or set ALLOW_LOCAL_CACHE=1 to keep a cache in each process)."
    )
# nginx serves MEDIA_ROOT and STATIC_ROOT to anyone: files with personal data inside either would be public.
for public_name, public_root in (("MEDIA_ROOT", MEDIA_ROOT), ("STATIC_ROOT", STATIC_ROOT)):
    if PRIVATE_MEDIA_ROOT.resolve().is_relative_to(public_root.resolve()):
        raise ImproperlyConfigured(
            f"PRIVATE_MEDIA_ROOT must not lie inside {public_name}, which the web server serves to anyone."
        )

DEBUG = False
# One JSON object per log line, for the log collector, unless LOG_FORMAT says otherwise.
LOGGING["handlers"]["console"]["formatter"] = os.environ.get("LOG_FORMAT", "json")
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = os.environ.get("DJANGO_SECURE_SSL_REDIRECT", "1") == "1"
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
