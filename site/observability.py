"""What an operator watches: a request id in every log line, metrics for Prometheus, errors to Sentry.

- Every request and task has an id in its log lines (academy/request_id.py, academy.middleware.RequestIdMiddleware).
- ``/metrics`` gives Prometheus the request latencies counted by django-prometheus, the heartbeats counted by
  courses, and the background jobs by kind and status, counted from the database at each scrape. Under
  gunicorn each worker process writes its figures to PROMETHEUS_MULTIPROC_DIR and the scrape adds them up.
- With SENTRY_DSN set, errors of the web and of the workers go to Sentry (academy/sentry.py).
"""
import hmac
import os

from django.apps import apps
from django.conf import settings
from django.db.models import Count
from django.http import HttpResponse, HttpResponseForbidden
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from .http import client_ip
from .jobs import BackgroundJob

HEARTBEATS = Counter(
    "academy_heartbeats", "Heartbeats received from lesson pages, by what was made of them.", ["outcome"],
)


class JobsCollector:
    """Background jobs by kind and status, counted at each scrape: the database is the truth for jobs
    started by one process and ended by another."""

    def collect(self):
        gauge = GaugeMetricFamily("academy_jobs", "Background jobs by kind and status.", labels=["kind", "status"])
        for model in apps.get_models():
            if not issubclass(model, BackgroundJob):
                continue
            counts = dict(model.objects.values_list("status").annotate(count=Count("pk")).order_by())
            for status in model.Status.values:
                gauge.add_metric([model._meta.label_lower, status], counts.get(status, 0))
        yield gauge


def metrics_registry() -> CollectorRegistry:
    """The figures of every process: the files of PROMETHEUS_MULTIPROC_DIR under gunicorn, else this process's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        registry.register(_ThisProcess())
    registry.register(JobsCollector())
    return registry


class _ThisProcess:
    def collect(self):
        return REGISTRY.collect()


def metrics(request):
    """For Prometheus: with METRICS_TOKEN set, a scrape must carry it as a bearer token; without one, only this
    machine may scrape (the proxy keeps /metrics from the internet too)."""
    token = settings.METRICS_TOKEN
    if token:
        sent = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if not hmac.compare_digest(sent.encode(), token.encode()):
            return HttpResponseForbidden()
    elif client_ip(request) not in ("127.0.0.1", "::1"):
        return HttpResponseForbidden()
    return HttpResponse(generate_latest(metrics_registry()), content_type=CONTENT_TYPE_LATEST)

