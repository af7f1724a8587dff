import pytest


@pytest.fixture(autouse=True)
def _files_in_tmp(settings, tmp_path):
    """Uploaded and generated files, public and private, go to a temporary folder in every test."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


@pytest.fixture(autouse=True)
def _empty_cache():
    """Counts and rate limits kept in the cache never leak from one test into the next."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
