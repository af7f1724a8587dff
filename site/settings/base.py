"""Settings shared by every environment. Values that differ between machines come from the environment;
README.md lists every variable."""
import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from kombu import Queue
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

from academy.sentry import sentry_start
from academy.storage import media_origins, media_url_setting, storage_settings

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
    "allauth.socialaccount",
    "allauth.socialaccount.providers.weixin",
    "csp",
    "django_prometheus",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]

MIDDLEWARE = [
    "academy.middleware.LeanPathMiddleware",  # the lesson heartbeat takes LEAN_MIDDLEWARE only
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "academy.middleware.RequestIdMiddleware",
    "academy.middleware.RangeRequestMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "academy.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "academy.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "academy.accounts.middleware.SecondFactorRequiredMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "academy.urls"
# The addresses served with LEAN_MIDDLEWARE alone (academy.middleware.LeanPathMiddleware): the lesson heartbeat.
LEAN_URLCONF = "academy.lean_urls"
LEAN_MIDDLEWARE = [
    "academy.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "academy.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "academy.middleware.ChosenLanguageMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

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
                "academy.offline.offline",
                "academy.http.browser",
                "academy.home.context_processors.filing_numbers",
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
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite (the demo): every transaction takes the write lock when it begins, so that two requests writing at
    # once (a lesson's heartbeat and the answer to its attention check) wait for each other. By default the
    # second one to write after reading fails at once with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"
# PostgreSQL connections from a pool kept by each process (psycopg's pool through Django) instead of one
# connection per thread: DATABASE_POOL_MAX_SIZE connections at most per process, 0 for no pool.
DATABASE_POOL_MAX_SIZE = int(os.environ.get("DATABASE_POOL_MAX_SIZE", "0"))
if DATABASE_POOL_MAX_SIZE and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps connections; Django must not keep them too
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1, "max_size": DATABASE_POOL_MAX_SIZE, "timeout": 10,
    }
# PostgreSQL: the statements the code asks to prepare (the lesson heartbeat's, courses/progress.py) are prepared
# once per connection. Django's own cursors bind values on the client and never prepare, so no other statement
# is; the threshold only has to be a number for psycopg to prepare at all. DATABASE_PREPARED_STATEMENTS=0 for a
# pooler between the platform and PostgreSQL that cannot keep them (PgBouncer in transaction mode before 1.21).
DATABASE_PREPARED_STATEMENTS = os.environ.get("DATABASE_PREPARED_STATEMENTS", "1") == "1"
if DATABASE_PREPARED_STATEMENTS and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 2**31 - 1  # asked for only
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# A shared cache (Redis) in production, so that login rate limits hold across processes (academy/cache.py: Django's
# backend, keeping its redis-py client).
CACHES = {
    "default": (
        {"BACKEND": "academy.cache.RedisCache", "LOCATION": os.environ["CACHE_URL"]}
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
# "Send a new code" on the code page (twice at most): a text message lost or refused by the gateway is not the
# end of a sign-in. Each new code still counts against the request_login_code limits below.
ACCOUNT_LOGIN_BY_CODE_SUPPORTS_RESEND = True
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
        "img-src": [SELF, "data:", *media_origins(os.environ)],
        "media-src": [SELF, *media_origins(os.environ)],
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

# Where one-time codes and reminders go by SMS (academy/accounts/sms.py). The console backend prints them;
# academy.accounts.sms.AliyunSMSBackend and TencentSMSBackend send the catalogue's templates
# (academy/accounts/messages.py) through the gateways' official SDKs.
SMS_BACKEND = os.environ.get("SMS_BACKEND", "academy.accounts.sms.ConsoleSMSBackend")
SMS_ACCESS_KEY_ID = os.environ.get("SMS_ACCESS_KEY_ID", "")
SMS_ACCESS_KEY_SECRET = os.environ.get("SMS_ACCESS_KEY_SECRET", "")
SMS_SIGN_NAME = os.environ.get("SMS_SIGN_NAME", "")  # the approved signature, e.g. 浙江儿童福利培训
SMS_SDK_APP_ID = os.environ.get("SMS_SDK_APP_ID", "")  # Tencent Cloud only
SMS_REGION = os.environ.get("SMS_REGION", "ap-guangzhou")  # Tencent Cloud only
SMS_ENDPOINT = os.environ.get("SMS_ENDPOINT", "")  # empty: the gateway's public endpoint
SMS_PROTOCOL = os.environ.get("SMS_PROTOCOL", "https")
# The gateway's template code of each message of the catalogue: "sign_in_code=SMS_1234,mobile_changed=SMS_5678".
SMS_TEMPLATE_CODES = dict(
    item.strip().split("=", 1) for item in os.environ.get("SMS_TEMPLATE_CODES", "").split(",") if "=" in item
)
SMS_SEND_ATTEMPTS = int(os.environ.get("SMS_SEND_ATTEMPTS", "3"))  # tries when the gateway cannot be reached
SMS_RETRY_SECONDS = float(os.environ.get("SMS_RETRY_SECONDS", "1"))  # wait before the 2nd try; doubled, tripled…

# Sign in with WeChat (academy/accounts/wechat/): off unless WECHAT_APP_ID is set. Inside WeChat's browser the
# 公众号 (official account) WECHAT_APP_ID signs people in by its OAuth page and sends template messages; on a PC the
# website application WECHAT_WEB_APP_ID shows a QR code to scan. Nobody gets an account from WeChat: an identity
# WeChat vouches for is bound once to a roster account by a sign-in code (academy/accounts/wechat/binding.py).
WECHAT_APP_ID = os.environ.get("WECHAT_APP_ID", "")
WECHAT_APP_SECRET = os.environ.get("WECHAT_APP_SECRET", "")
WECHAT_WEB_APP_ID = os.environ.get("WECHAT_WEB_APP_ID", "")
WECHAT_WEB_APP_SECRET = os.environ.get("WECHAT_WEB_APP_SECRET", "")
# snsapi_userinfo (a consent page, and the unionid that recognises the person on a PC too) or snsapi_base (silent).
WECHAT_SCOPE = os.environ.get("WECHAT_SCOPE", "snsapi_userinfo")
WECHAT_OPEN_URL = os.environ.get("WECHAT_OPEN_URL", "https://open.weixin.qq.com")  # the pages people see
WECHAT_API_URL = os.environ.get("WECHAT_API_URL", "https://api.weixin.qq.com")  # the server-to-server API
# The 公众号's template of each message of the catalogue, with the template's keys in the order of the message's
# parameters: "training_due=TEMPLATE_ID/thing1/time2/number3,training_overdue=…"; no keys: the parameters' names.
WECHAT_TEMPLATES = {
    name.strip(): [part.strip() for part in value.split("/")]
    for name, _sep, value in (
        item.partition("=") for item in os.environ.get("WECHAT_TEMPLATES", "").split(",") if "=" in item
    )
}
if WECHAT_APP_ID:
    # 微信登录 posts to the platform, which sends the browser on to WeChat's page; form-action governs that redirect.
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"].append(WECHAT_OPEN_URL.rstrip("/"))
SOCIALACCOUNT_ADAPTER = "academy.accounts.adapters.SocialAccountAdapter"
SOCIALACCOUNT_AUTO_SIGNUP = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_PROVIDERS = {
    "weixin": {
        # allauth's provider, with WeChat's addresses from the settings above and the two flows (documented way
        # of customising a provider: provider_class).
        "provider_class": "academy.accounts.wechat.provider.WeChatProvider",
        "APPS": [
            {"client_id": app_id, "secret": secret, "settings": {"flow": flow}}
            for app_id, secret, flow in (
                (WECHAT_APP_ID, WECHAT_APP_SECRET, "official_account"),
                (WECHAT_WEB_APP_ID, WECHAT_WEB_APP_SECRET, "website"),
            )
            if app_id and WECHAT_APP_ID
        ],
    },
}

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
# Ours first; then the Chinese for the admin messages Wagtail's own zh_Hans catalogue leaves in English
# (tests/wagtail_catalogue.py lists them), which LOCALE_PATHS puts ahead of Wagtail's.
LOCALE_PATHS = [PROJECT_DIR / "locale", PROJECT_DIR / "locale_wagtail"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "var" / "static"))
STATICFILES_DIRS = [PROJECT_DIR / "static"]
# Public media and private files: local folders unless AWS_STORAGE_BUCKET_NAME names an S3-compatible bucket;
# public media through MEDIA_CDN_URL when set; private files by links signed for PRIVATE_LINK_SECONDS
# (academy/storage.py decides, from these variables).
MEDIA_URL = media_url_setting(os.environ)
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))
# Files with personal data (roster uploads, and later certificates and exports) live apart from the public
# media, are never served by the web server, and reach users only through views that check permissions
# (academy/storage.py).
PRIVATE_MEDIA_ROOT = Path(os.environ.get("PRIVATE_MEDIA_ROOT", BASE_DIR / "var" / "private"))
STORAGES = {
    **storage_settings(os.environ),
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
# Acknowledged once done, not when received: a worker that dies leaves its message to be delivered again. Every
# task is safe to run twice: each job task takes its job only from a waiting status (academy.jobs.job_start), so a
# second delivery does nothing; the beat tasks (reminders, purges, fan-outs, the sweep) check what is done already.
CELERY_TASK_ACKS_LATE = True
# Worker processes of each `celery worker` (deploy/systemd/academy-worker.service); unset: one per core.
CELERY_WORKER_CONCURRENCY = int(os.environ.get("CELERY_WORKER_CONCURRENCY") or 0) or None
# One message reserved per worker process: a worker that dies strands at most that many behind its running task.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A message whose worker process was killed goes back to the queue only for job tasks (JobTask sets it: a job
# taken already is left alone, so a task that kills its worker cannot loop). Other tasks are dropped and run again
# at their next beat.
CELERY_TASK_REJECT_ON_WORKER_LOST = False
# The time limits of each task (seconds: soft, then hard). At the soft limit the task gets an exception and its job
# is marked failed (retryable); at the hard limit the worker process is killed and the sweep fails the job.
CELERY_TASK_TIME_LIMITS = {
    "academy.job_tasks.sweep_jobs": (45, 55),  # ends before the next minute's
    "academy.organisation.tasks.validate_roster_import": (20 * 60, 22 * 60),  # 100,000 rows checked
    "academy.organisation.tasks.apply_roster_import": (30 * 60, 32 * 60),  # 100,000 rows in one transaction
    "analytics.tasks.run_export": (20 * 60, 22 * 60),  # a 100,000-row workbook
    "analytics.tasks.run_monthly_report": (15 * 60, 17 * 60),  # the province's dashboards as one PDF
    "analytics.tasks.generate_monthly_reports": (5 * 60, 6 * 60),  # records one job per region
    "analytics.tasks.delete_expired_exports": (10 * 60, 12 * 60),
    "certification.tasks.issue_certificates": (5 * 60, 6 * 60),  # plans the chunks
    "certification.tasks.issue_certificates_chunk": (10 * 60, 12 * 60),  # 50 PDFs
    "certification.tasks.send_notices": (30 * 60, 32 * 60),  # a full session's results, each on every channel
    "courses.tasks.run_plan_assignment": (45 * 60, 50 * 60),  # a national plan: 600,000 directors
    "courses.tasks.assign_current_year_plans": (5 * 60, 6 * 60),  # records one job per plan
    "courses.tasks.run_video_transcode": (45 * 60, 50 * 60),  # two renditions and a poster of an hour's lecture
    "courses.reminder_tasks.send_trainee_reminders": (30 * 60, 35 * 60),
    "courses.reminder_tasks.send_administrator_digests": (30 * 60, 35 * 60),
    "academy.audit.tasks.purge_expired_audit_entries": (30 * 60, 35 * 60),
}
CELERY_TASK_ANNOTATIONS = {
    name: {"soft_time_limit": soft, "time_limit": hard} for name, (soft, hard) in CELERY_TASK_TIME_LIMITS.items()
}
CELERY_TASK_SOFT_TIME_LIMIT, CELERY_TASK_TIME_LIMIT = 10 * 60, 12 * 60  # any task not listed
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Redis hands an unacknowledged message to another worker after this long. A message reserved behind a task
    # waits for it, then runs itself: twice the longest hard limit, so a live worker never sees its message handed
    # on. A dead worker's jobs do not wait for it: the sweep fails or resumes them within minutes.
    "visibility_timeout": 2 * max(hard for _soft, hard in CELERY_TASK_TIME_LIMITS.values()) + 10 * 60,
    # A request queuing a task while Redis is unreachable, or reachable but not answering, gives up within seconds;
    # its job waits for the sweep. (The worker's own reads wait at most 1 s for a message, well within this.)
    "socket_connect_timeout": 3,
    "socket_timeout": 5,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 3
# Publishing tries again twice, briefly, then the caller (academy.job_tasks.job_queue) leaves the job to the sweep.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
# Two queues, each served by workers of its own (README: Deployment): the jobs' (Celery's default queue), and
# housekeeping's, for short tasks that must run on time whatever the jobs do. Queued behind the jobs' long tasks, the
# sweep would find a dead worker's job only once they end.
CELERY_TASK_DEFAULT_QUEUE = "celery"
HOUSEKEEPING_QUEUE = "housekeeping"
# A worker started without -Q serves both (a small site, the demo); the deployment gives housekeeping its own.
CELERY_TASK_QUEUES = [Queue(name, routing_key=name) for name in (CELERY_TASK_DEFAULT_QUEUE, HOUSEKEEPING_QUEUE)]
CELERY_TASK_ROUTES = {
    "academy.job_tasks.sweep_jobs": {"queue": HOUSEKEEPING_QUEUE},
    "analytics.tasks.delete_expired_exports": {"queue": HOUSEKEEPING_QUEUE},
}
# The sweep's task lives outside any app's tasks.py, so autodiscovery would miss it.
CELERY_IMPORTS = ["academy.job_tasks"]
# Background jobs (academy.jobs): a running job writes a sign of life every JOBS_HEARTBEAT_SECONDS; one silent for
# JOBS_STALE_AFTER_SECONDS (several heartbeats) has lost its worker; a job the broker never took is sent again after
# JOBS_RESEND_AFTER_SECONDS; a batch resumed JOBS_MAX_RESUMES times without progress is failed instead.
JOBS_HEARTBEAT_SECONDS = int(os.environ.get("JOBS_HEARTBEAT_SECONDS", "20"))
JOBS_STALE_AFTER_SECONDS = int(os.environ.get("JOBS_STALE_AFTER_SECONDS", "120"))
JOBS_RESEND_AFTER_SECONDS = int(os.environ.get("JOBS_RESEND_AFTER_SECONDS", "60"))
JOBS_MAX_RESUMES = 3
JOBS_SWEEP_SECONDS = int(os.environ.get("JOBS_SWEEP_SECONDS", "60"))
# A checked roster file waits this long for its confirmation; then the sweep deletes it (it holds ID numbers).
ROSTER_IMPORT_CONFIRM_HOURS = int(os.environ.get("ROSTER_IMPORT_CONFIRM_HOURS", "24"))
CELERY_TIMEZONE = TIME_ZONE
# One place for every scheduled job, each safe to run twice.
CELERY_BEAT_SCHEDULE = {
    # Background jobs (academy.jobs): every minute, lost workers and unsent messages are recovered.
    # A sweep not taken before the next one is sent is dropped (a housekeeping worker that was down finds one, not
    # hundreds).
    "sweep-jobs": {
        "task": "academy.job_tasks.sweep_jobs", "schedule": JOBS_SWEEP_SECONDS, "options": {"expires": JOBS_SWEEP_SECONDS},
    },
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

# Logs: one JSON object per line in production (LOG_FORMAT=json), text in the demo; every line carries the id of
# the request or task it belongs to (academy/request_id.py).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "academy.request_id.RequestIdFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["request_id"], "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # Both log every page or task at INFO, which drowns what matters in bulk loads.
        "wagtail": {"level": "WARNING"},
        "django_tasks": {"level": "WARNING"},
    },
}

# Courses: the rules by which heartbeats from a lesson page count as study (courses/progress.py).
# How often a visible lesson page reports. The server is offered learners / interval heartbeats a second (bench/
# README.md: 20,000 learners at once on two cores are served within 300 ms at 60 s; at 30 s the two cores are
# full). Study time stays exact at any interval (courses/progress.py; the page also reports when it is hidden),
# and a lesson shows complete when its time is reached (the page reports then too); an attention check shows
# at the first report after its moment.
COURSES_HEARTBEAT_SECONDS = int(os.environ.get("COURSES_HEARTBEAT_SECONDS", "60"))
COURSES_HEARTBEAT_SLACK_SECONDS = 5  # network delay tolerated before a gap counts as a pause
COURSES_MAX_PLAYBACK_RATE = 1.5  # video watched faster than this does not count
COURSES_VIDEO_TOLERANCE_SECONDS = 5  # heartbeats delayed on a slow network, the player's clock
COURSES_VIDEO_SHARE_REQUIRED = 0.9  # share of every video that must really be watched
# The deployment's identity check on answers to attention checks (courses/attention.py): the dotted path of a
# callable check(request, *, person, lesson) -> bool. Empty: none.
COURSES_IDENTITY_CHECK = os.environ.get("COURSES_IDENTITY_CHECK", "")

# Monitoring (academy/observability.py): /metrics for Prometheus, open to this machine only unless a scrape
# carries METRICS_TOKEN; errors to Sentry when SENTRY_DSN is set.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
if SENTRY_DSN:
    sentry_start(
        dsn=SENTRY_DSN, environment=os.environ.get("SENTRY_ENVIRONMENT", "production"),
        traces_sample_rate=float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE", "0")),
    )
