"""The production settings with the floor's address added (bench/floor_urls.py): what bench/heartbeat_load.py
serves with gunicorn, so the platform and its floor are measured on one server in one run."""
from academy.settings.production import *  # noqa: F401,F403

ROOT_URLCONF = "floor_urls"
