from django.core.cache import caches
from django.test import override_settings

REDIS = {"default": {"BACKEND": "academy.cache.RedisCache", "LOCATION": "redis://127.0.0.1:6379/0"}}


@override_settings(CACHES=REDIS)
def test_the_redis_cache_keeps_one_client_per_server():
    """Django's backend made a redis-py client (and its table of callbacks) for every call. No connection is
    opened here: a client connects on its first command."""
    cache = caches["default"]
    client = cache._cache.get_client("key")
    assert cache._cache.get_client("other key", write=True) is client
    assert client.connection_pool is cache._cache._get_connection_pool(write=False)
