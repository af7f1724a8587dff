"""The demo and local development: SQLite, background work done in process, console email and SMS."""
from .base import *  # noqa: F401,F403
from .base import MIDDLEWARE, PERSONAL_DATA_KEYS, SECRET_KEY

DEBUG = True
SECRET_KEY = SECRET_KEY or "dev-only-secret-key-not-for-production"
PERSONAL_DATA_KEYS = PERSONAL_DATA_KEYS or ["dev-only-personal-data-key"]
ALLOWED_HOSTS = ["*"]

# Static files straight from the source folders, without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Media through WhiteNoise too, for HTTP Range requests (video seeking on phones): see academy/middleware.py.
MIDDLEWARE = [
    "academy.middleware.DemoMediaWhiteNoiseMiddleware" if name == "whitenoise.middleware.WhiteNoiseMiddleware"
    else name
    for name in MIDDLEWARE
]
