"""What a load balancer and an operator ask of a running platform.

``/healthz`` answers as soon as the process serves requests (alive: nothing else is checked, so a database
outage does not make every web process look dead and get restarted). ``/readyz`` checks what a request and
a background job need: the database, the cache, the broker, a Celery worker answering, and the storages
files are written to. It answers 200 when all are well and 503 naming the one that is not; it names no host,
password or path, for it is open to the load balancer without signing in.
"""
import logging
import time
import uuid

from celery import current_app
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .storage import private_storage

logger = logging.getLogger(__name__)

# How long a check may wait for a broker or a worker before it counts as down: the load balancer's own
# timeout is usually a few seconds.
CHECK_TIMEOUT_SECONDS = 2.0


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def check_cache() -> str:
    key = f"readyz:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=10)
    if cache.get(key) != "1":
        raise RuntimeError("the cache did not keep a value")
    cache.delete(key)
    return "ok"


def check_broker() -> str:
    if current_app.conf.task_always_eager:
        return "in process"  # no broker configured: tasks run in the web process
    with current_app.connection_for_write() as broker:
        broker.ensure_connection(max_retries=1, timeout=CHECK_TIMEOUT_SECONDS)
    return "ok"


def check_worker() -> str:
    if current_app.conf.task_always_eager:
        return "in process"
    # Without a limit, ping gathers every worker's answer and so always waits the whole timeout: one is enough.
    if not current_app.control.ping(timeout=CHECK_TIMEOUT_SECONDS, limit=1):
        raise RuntimeError("no Celery worker answered")
    return "answering"


def check_storage() -> str:
    for storage in (default_storage, private_storage()):
        name = storage.save(f"readyz/{uuid.uuid4().hex}.txt", ContentFile(b"ok"))
        storage.delete(name)
    return "ok"


READINESS_CHECKS = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
    "worker": check_worker,
    "storage": check_storage,
}


@never_cache
@require_GET
def alive(request):
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def ready(request):
    results, ready_all = {}, True
    for name, check in READINESS_CHECKS.items():
        started = time.monotonic()
        try:
            state = check()
        except Exception as error:  # any failure makes the platform not ready; the log says why
            logger.warning("readiness check %s failed: %s", name, error)
            state, ready_all = f"failed: {type(error).__name__}", False
        results[name] = {"status": state, "milliseconds": round((time.monotonic() - started) * 1000)}
    return JsonResponse({"status": "ok" if ready_all else "failed", "checks": results}, status=200 if ready_all else 503)
