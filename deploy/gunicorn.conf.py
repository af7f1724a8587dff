"""gunicorn's settings for the platform's web processes:

    gunicorn --config deploy/gunicorn.conf.py academy.wsgi

Threads (gthread) rather than more processes: a request mostly waits on PostgreSQL and Redis, and a heartbeat is
short. Each process holds at most GUNICORN_THREADS requests at once, so its database pool
(DATABASE_POOL_MAX_SIZE) needs at least as many connections. Logs go to stdout/stderr (the journal under systemd).
"""
import os
import shutil
from pathlib import Path

from prometheus_client import multiprocess

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")  # only nginx may reach it (TRUSTED_PROXY_COUNT)
workers = int(os.environ.get("GUNICORN_WORKERS", str(2 * (os.cpu_count() or 1))))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Each thread may hold a database connection: a smaller pool makes requests wait for one, then fail.
_pool = int(os.environ.get("DATABASE_POOL_MAX_SIZE", "0"))
if 0 < _pool < threads:
    raise SystemExit(f"DATABASE_POOL_MAX_SIZE ({_pool}) must be at least GUNICORN_THREADS ({threads}).")
# A request running longer than this is killed with its worker: exports and reports run in Celery, not here.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30  # a restart lets running requests finish
keepalive = 5  # nginx opens a connection per request (deploy/nginx/academy.conf); this is for other clients
# A worker is replaced after this many requests (with jitter, so that not all at once): memory stays bounded.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# nginx's access log records the client; gunicorn's the request id and the time taken (microseconds). The path
# only: query strings can hold personal data (a mobile number searched for).
# Last, the worker's process id: which worker served what (nginx spreads requests over them: deploy/nginx).
access_log_format = '"%(m)s %(U)s" %(s)s %(B)s %(D)sus %({x-request-id}i)s %(p)s'
proc_name = "academy-web"
# systemd manages the processes (HUP reloads, TERM stops): no control socket in the service user's home, where
# two gunicorns of one user would also share it.
control_socket_disable = True


def on_starting(server):
    """Every start begins with an empty metrics folder: figures of processes gone would be added up forever."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        Path(folder).mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):
    """A worker gone: its gauges leave the sum (prometheus_client's multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
