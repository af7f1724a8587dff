"""The shared cache (Redis) as Django's own backend, with one redis-py client kept per server.

Django's RedisCacheClient makes a new ``redis.Redis`` object around its connection pool for every cache call, and
redis-py's constructor fills a table of some 170 response callbacks each time: on the lesson heartbeat (one
session read) that was about a tenth of the CPU of the whole request. A client is safe to share between threads
(its pool hands each command a connection), so each pool gets one, made when it is first used."""
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
