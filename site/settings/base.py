"""Settings shared by every environment. Values that differ between machines come from the environment;
README.md lists every variable."""
import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

PROJECT_DIR = Path(__file__).resolve().parent.parent  # site/
BASE_DIR = PROJECT_DIR.parent  # the repository

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
DEBUG = False
ALLOWED_HOSTS = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "academy.audit",
    "academy.accounts",
    "academy.organisation",
    "academy.home",
    "courses",
    "certification",
    "analytics",
    "academy.demo",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "csp",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "academy.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "academy.accounts.middleware.SecondFactorRequiredMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "academy.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "wagtail.contrib.settings.context_processors.settings",
                "academy.accounts.context_processors.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "academy.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# A shared cache (Redis) in production, so that login rate limits hold across processes.
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": os.environ["CACHE_URL"]}
        if os.environ.get("CACHE_URL")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Sessions are read from the cache (Redis in production) and written through to the database: one query
# fewer on every page and heartbeat.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

AUTH_USER_MODEL = "accounts.User"
# One way to sign in for the whole site, the CMS included: allauth's, by mobile number or email, with its rate
# limits and second factor. Django's ModelBackend is left out: it would accept the internal usernames
# (person-<n>, guessable) wherever authenticate() is called.
AUTHENTICATION_BACKENDS = ["academy.accounts.backends.AuthenticationBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "accounts:home"

# django-allauth: accounts come from the roster, nobody signs up. People sign in with their mobile
# number or email and a password; a first sign-in (claiming the account) is by a one-time code.
ACCOUNT_ADAPTER = "academy.accounts.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"phone", "email"}
# Nobody signs up; "phone" is listed (not required) because allauth needs it for phone sign-in, and a
# required phone would bar the accounts that have only an email (administrators) from signing in.
# allauth warns (account.W001) that no sign-in field is required at signup: with signup closed it can't matter.
ACCOUNT_SIGNUP_FIELDS = ["phone", "email", "password1*"]
SILENCED_SYSTEM_CHECKS = ["account.W001"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_PHONE_VERIFICATION_ENABLED = False
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = 10 * 60
ACCOUNT_LOGIN_ON_PASSWORD_RESET = True
ACCOUNT_PREVENT_ENUMERATION = True
# An address not on the roster gets no email at all (allauth would send it an "unknown account" mail);
# the page says the same for known and unknown addresses, so nothing is revealed either way.
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_FORMS = {
    "login": "academy.accounts.forms.LoginForm",
    "request_login_code": "academy.accounts.forms.RequestLoginCodeForm",
    "confirm_login_code": "academy.accounts.forms.ConfirmLoginCodeForm",
}
# Tight per account ("key": the mobile number or email), looser per address, because a whole township
# office or a training room shares one public IP address and claims its accounts together.
ACCOUNT_RATE_LIMITS = {
    "login_failed": "20/5m/ip,5/5m/key",
    "login": "60/m/ip",
    "request_login_code": "30/10m/ip,3/10m/key",
    "reset_password": "20/10m/ip,3/10m/key",
    "change_password": "5/m/user",
}

# How many reverse proxies of our own stand in front of gunicorn, each appending to X-Forwarded-For (README,
# deployment). 0: gunicorn faces the clients and the header is ignored. Every per-address limit (allauth's
# through its adapter, django-ratelimit's through this key) and the audit trail read academy.http.client_ip.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
RATELIMIT_IP_META_KEY = "academy.http.client_ip"

# Content-Security-Policy (django-csp): scripts, styles, images, media and fonts from this site only, and no
# inline script, event handler or style attribute anywhere the public and the roles see (they live in
# site/static/). The CMS (/cms/) alone also allows inline script and style: Wagtail's admin initialises its
# date pickers, inline panels and choosers with inline <script> elements (academy/middleware.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "media-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [SELF],
    },
}
# The CMS neither loads avatars from gravatar.com nor asks wagtail.org for new releases: the policy would
# block both, and a government network may not reach them.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAIL_ENABLE_UPDATE_CHECK = False

# The second factor (allauth.mfa): an authenticator app's six-digit codes, with recovery codes for a lost phone.
# System administrators and content editors must set one up before anything else (academy/accounts/
# second_factor.py); tier administrators and assessors are offered one on their page. Codes one period (30 s)
# early or late are accepted, for phones whose clock drifts. Wrong codes count as failed sign-ins
# (ACCOUNT_RATE_LIMITS "login_failed", per account).
MFA_ADAPTER = "academy.accounts.second_factor.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_TOLERANCE = 1
SECOND_FACTOR_REQUIRED = True

# Where one-time codes and reminders go by SMS. The console backend prints them; a deployment names
# a class with a ``send(phone, text)`` method that talks to its SMS gateway.
SMS_BACKEND = os.environ.get("SMS_BACKEND", "academy.accounts.sms.ConsoleSMSBackend")

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", "") == "1"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "noreply@localhost")

# Resident ID numbers are kept encrypted, with a keyed digest for look-ups, so a database dump does not
# reveal them. The key is a secret of its own. To rotate it, PERSONAL_DATA_KEY lists several, comma-separated:
# the first writes, all read, until `manage.py rotate_personal_data_key` has rewritten every number with the first.
PERSONAL_DATA_KEYS = [key.strip() for key in os.environ.get("PERSONAL_DATA_KEY", "").split(",") if key.strip()]

# The audit trail (academy/audit) keeps its entries this many days; never fewer than 180 (six months).
AUDIT_RETENTION_DAYS = int(os.environ.get("AUDIT_RETENTION_DAYS", "365"))

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PROJECT_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "var" / "static"))
STATICFILES_DIRS = [PROJECT_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))
# Files with personal data (roster uploads, and later certificates and exports) live apart from the public
# media, are never served by the web server, and reach users only through views that check permissions
# (academy/storage.py).
PRIVATE_MEDIA_ROOT = Path(os.environ.get("PRIVATE_MEDIA_ROOT", BASE_DIR / "var" / "private"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

# Celery: with no broker configured, tasks run in the web process (the demo needs no server).
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A background job waiting or running with no sign of life for this long has lost its worker (academy.jobs).
JOBS_STALE_AFTER_SECONDS = 30 * 60
CELERY_TIMEZONE = TIME_ZONE
# One place for every scheduled job, each safe to run twice.
CELERY_BEAT_SCHEDULE = {
    # Expired export files hold personal data: delete them within the hour (analytics/exports.py).
    "delete-expired-exports": {"task": "analytics.tasks.delete_expired_exports", "schedule": crontab(minute=15)},
}
# Training reminders (courses/reminders.py), at 08:00 China Standard Time (CELERY_TIMEZONE): trainees daily,
# administrators' digests on Mondays. Both are safe to run twice.
CELERY_BEAT_SCHEDULE["training-reminders"] = {
    "task": "courses.reminder_tasks.send_trainee_reminders", "schedule": crontab(hour=8, minute=0),
}
CELERY_BEAT_SCHEDULE["administrator-digests"] = {
    "task": "courses.reminder_tasks.send_administrator_digests", "schedule": crontab(hour=8, minute=0, day_of_week=1),
}
# Training plans (courses/plans.py): every night, the current year's plans pick up people added, moved or gone,
# before the morning's reminders read the statuses.
CELERY_BEAT_SCHEDULE["assign-training-plans"] = {
    "task": "courses.tasks.assign_current_year_plans", "schedule": crontab(hour=2, minute=30),
}
# Monthly reports (analytics/monthly.py): on the 1st at 06:00 China Standard Time, the month just ended, one
# per region with an administrator, archived and emailed once however often it runs.
CELERY_BEAT_SCHEDULE["monthly-reports"] = {
    "task": "analytics.tasks.generate_monthly_reports", "schedule": crontab(day_of_month=1, hour=6, minute=0),
}
# The audit trail (academy/audit): every night at 03:15 China time, entries past AUDIT_RETENTION_DAYS are deleted.
CELERY_BEAT_SCHEDULE["purge-audit-trail"] = {
    "task": "academy.audit.tasks.purge_expired_audit_entries", "schedule": crontab(hour=3, minute=15),
}

WAGTAIL_SITE_NAME = _("Child Welfare Workforce Academy")
# The CMS signs people in, out and back in through allauth's pages (site/urls.py closes Wagtail's own);
# passwords are changed and reset there too, and emails come from the roster.
WAGTAILADMIN_LOGIN_URL = "account_login"
WAGTAIL_PASSWORD_MANAGEMENT_ENABLED = False
WAGTAIL_PASSWORD_RESET_ENABLED = False
WAGTAIL_EMAIL_MANAGEMENT_ENABLED = False
WAGTAILADMIN_BASE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")
WAGTAIL_I18N_ENABLED = False
WAGTAIL_CONTENT_LANGUAGES = [("zh-hans", "简体中文")]
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "txt", "zip"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # Both log every page or task at INFO, which drowns what matters in bulk loads.
        "wagtail": {"level": "WARNING"},
        "django_tasks": {"level": "WARNING"},
    },
}

# Courses: the rules by which heartbeats from a lesson page count as study (courses/progress.py).
COURSES_HEARTBEAT_SECONDS = 10  # how often a visible lesson page reports
COURSES_HEARTBEAT_SLACK_SECONDS = 5  # network delay tolerated before a gap counts as a pause
COURSES_MAX_PLAYBACK_RATE = 1.5  # video watched faster than this does not count
COURSES_VIDEO_TOLERANCE_SECONDS = 5  # heartbeats delayed on a slow network, the player's clock
COURSES_VIDEO_SHARE_REQUIRED = 0.9  # share of every video that must really be watched
