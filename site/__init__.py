"""The platform itself: settings, URLs, the organisation, accounts and home pages.

Imported as ``academy`` (see pyproject.toml): ``site`` is taken by the standard library.
"""
from .celery_app import app as celery_app

__all__ = ("celery_app",)
