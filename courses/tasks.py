"""Background jobs of the courses app: the assignment of training plans. Each task loads by id and calls one
function of plans.py, where the work and its rules live; all are safe to run again (a retry, a message
delivered twice, the nightly run after a daytime one) because the job itself is idempotent."""
from celery import shared_task
from django.db import InterfaceError, OperationalError

from .models import TrainingPlan
from .plans import plan_assign
from .years import training_year

# Worth another try: the database went away or was locked; the next attempt starts from the database as it is.
RETRY_ON = (OperationalError, InterfaceError)


@shared_task(autoretry_for=RETRY_ON, max_retries=3, retry_backoff=30, retry_jitter=True)
def assign_plan(plan_id: int) -> None:
    plan = TrainingPlan.objects.filter(pk=plan_id).first()
    if plan is None:
        return  # deleted since it was queued
    plan_assign(plan=plan)


@shared_task
def assign_current_year_plans() -> None:
    """Nightly (Celery beat) and after a roster import: pick up people added, moved or gone since the last
    run, for every plan of the current training year, one task per plan."""
    for plan_id in TrainingPlan.objects.filter(year=training_year()).values_list("pk", flat=True):
        assign_plan.delay(plan_id)
