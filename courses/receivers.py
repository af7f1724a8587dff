"""The courses app listening: to its own services and to the organisation below it. Each receiver queues a
background job (courses/tasks.py); services never queue one themselves."""
from django.dispatch import receiver

from academy.organisation.signals import roster_applied

from .signals import plan_saved
from .tasks import assign_current_year_plans, assign_plan


@receiver(plan_saved, dispatch_uid="courses.assign_saved_plan")
def assign_saved_plan(sender, *, plan_id, **kwargs):
    """Who a plan requires and their statuses follow the plan as saved."""
    assign_plan.delay(plan_id)


@receiver(roster_applied, dispatch_uid="courses.assign_plans_after_roster_import")
def assign_plans_after_roster_import(sender, **kwargs):
    """People a roster import added or moved join this year's plans: the nightly job, run now."""
    assign_current_year_plans.delay()
