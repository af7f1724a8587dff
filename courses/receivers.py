"""The courses app listening: to its own services and to the organisation below it. A plan's assignment job
and a video's transcoding job, once announced (plans.py, renditions.py), are queued for a worker (tasks.py);
with the broker unreachable they wait, unqueued, for the sweep (academy.job_tasks.job_queue)."""
from django.dispatch import receiver

from academy.job_tasks import job_queue
from academy.jobs import job_ready
from academy.organisation.signals import people_renamed, roster_applied

from . import plans
from .models import PlanAssignmentJob, VideoTranscodeJob
from .tasks import run_plan_assignment, run_video_transcode


@receiver(job_ready, sender=PlanAssignmentJob, dispatch_uid="courses.queue_plan_assignment")
def queue_plan_assignment(sender, *, job_id: str, **kwargs) -> None:
    job_queue(run_plan_assignment, PlanAssignmentJob, job_id)


@receiver(job_ready, sender=VideoTranscodeJob, dispatch_uid="courses.queue_video_transcode")
def queue_video_transcode(sender, *, job_id: str, **kwargs) -> None:
    job_queue(run_video_transcode, VideoTranscodeJob, job_id)


@receiver(roster_applied, dispatch_uid="courses.assign_plans_after_roster_import")
def assign_plans_after_roster_import(sender, **kwargs) -> None:
    """People a roster import added or moved join this year's plans: the nightly job, run now. Called inside the
    roster's transaction: the jobs are recorded with it, and queued once it commits."""
    plans.plans_assignment_start_current_year()


@receiver(people_renamed, dispatch_uid="courses.rename_plan_assignments")
def rename_plan_assignments(sender, *, person_ids, **kwargs) -> None:
    """The untrained list sorts by the name each assignment copies: renamed people keep their place in it."""
    plans.assignment_names_refresh(person_ids=person_ids)
