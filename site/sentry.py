"""Errors of the web and of the workers to Sentry, when the settings name a DSN. Started from the settings, so
that it is in place before Django and Celery start: it imports nothing of the project."""
import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration


def sentry_start(*, dsn: str, environment: str, traces_sample_rate: float) -> None:
    """No personal data leaves: no cookies, no user, no request body (send_default_pii off)."""
    sentry_sdk.init(
        dsn=dsn, environment=environment, traces_sample_rate=traces_sample_rate, send_default_pii=False,
        max_request_body_size="never", integrations=[DjangoIntegration(), CeleryIntegration()],
    )
