"""Production refuses to start with what only suits one process on one machine: SMS printed to the console, or a
cache (and so the sign-in and look-up limits) kept in each process's memory, unless told so explicitly."""
import os
import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
REAL = {
    "DJANGO_SECRET_KEY": "a-long-random-looking-secret-for-this-test-only",
    "PERSONAL_DATA_KEY": "test-only",
    "CACHE_URL": "redis://127.0.0.1:6379/0",
    "SMS_BACKEND": "gateway.sms.Backend",
}


def load_production_settings(**environment) -> subprocess.CompletedProcess:
    """Load academy.settings.production in a fresh interpreter (settings are read once, at start); a variable
    given as None is left unset."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("CACHE_URL", "SMS_BACKEND", "ALLOW_CONSOLE_SMS", "ALLOW_LOCAL_CACHE")}
    env.update({key: value for key, value in environment.items() if value is not None})
    env["DJANGO_SETTINGS_MODULE"] = "academy.settings.production"
    return subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.SMS_BACKEND)"],
        cwd=REPOSITORY, env=env, capture_output=True, text=True, timeout=60,
    )


def test_a_real_sms_gateway_and_a_shared_cache_start():
    loaded = load_production_settings(**REAL)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "gateway.sms.Backend"


def test_the_console_sms_backend_is_refused():
    loaded = load_production_settings(**{**REAL, "SMS_BACKEND": None})
    assert loaded.returncode != 0
    assert "ImproperlyConfigured" in loaded.stderr and "SMS_BACKEND" in loaded.stderr


def test_the_console_sms_backend_starts_when_allowed():
    loaded = load_production_settings(**{**REAL, "SMS_BACKEND": None, "ALLOW_CONSOLE_SMS": "1"})
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "academy.accounts.sms.ConsoleSMSBackend"


def test_a_per_process_cache_is_refused():
    loaded = load_production_settings(**{**REAL, "CACHE_URL": None})
    assert loaded.returncode != 0
    assert "ImproperlyConfigured" in loaded.stderr and "CACHE_URL" in loaded.stderr


def test_a_per_process_cache_starts_when_allowed():
    loaded = load_production_settings(**{**REAL, "CACHE_URL": None, "ALLOW_LOCAL_CACHE": "1"})
    assert loaded.returncode == 0, loaded.stderr


def _wechat_apps(**environment) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("WECHAT_", "CACHE_URL", "SMS_"))}
    env.update({**REAL, **environment, "DJANGO_SETTINGS_MODULE": "academy.settings.production"})
    return subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; "
         "print([app['settings']['flow'] for app in settings.SOCIALACCOUNT_PROVIDERS['weixin']['APPS']])"],
        cwd=REPOSITORY, env=env, capture_output=True, text=True, timeout=60,
    )


def test_wechat_is_off_unless_its_app_id_is_set():
    loaded = _wechat_apps()
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "[]"
    loaded = _wechat_apps(WECHAT_APP_ID="wx1", WECHAT_APP_SECRET="s", WECHAT_WEB_APP_ID="wx2", WECHAT_WEB_APP_SECRET="t")
    assert loaded.stdout.strip() == "['official_account', 'website']", loaded.stderr


def test_wechat_half_configured_is_refused():
    loaded = _wechat_apps(WECHAT_APP_ID="wx1")
    assert loaded.returncode != 0 and "WECHAT_APP_SECRET" in loaded.stderr
    loaded = _wechat_apps(WECHAT_APP_ID="wx1", WECHAT_APP_SECRET="s", WECHAT_TEMPLATES="no_such_message=T")
    assert loaded.returncode != 0 and "no_such_message" in loaded.stderr
