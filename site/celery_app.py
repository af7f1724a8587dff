import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

from .request_id import request_id_var

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "academy.settings.dev")

app = Celery("academy")
# Every Celery setting lives in Django settings under the CELERY_ prefix.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
def _log_under_the_task_id(task_id=None, **kwargs):
    # A task's log lines carry its id, as a request's carry the request's (academy/request_id.py).
    request_id_var.set(task_id or "-")


@task_postrun.connect
def _forget_the_task_id(**kwargs):
    request_id_var.set("-")
