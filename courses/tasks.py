"""Background jobs of the courses app: the assignment of training plans, and the renditions of lesson videos.
Each task loads by id and calls one function of plans.py or renditions.py, where the work and its rules live;
all are safe to run again (a retry, a message delivered twice, the nightly run after a daytime one) because the
work itself is idempotent and a job is taken only once."""
from celery import shared_task
from django.db import InterfaceError, OperationalError

from academy.job_tasks import JobTask

from . import plans, renditions
from .models import PlanAssignmentJob, VideoTranscodeJob

# Worth another try: the database went away or was locked; the next attempt starts from the database as it is.
RETRY_ON = (OperationalError, InterfaceError)


@shared_task(
    base=JobTask, job_model=PlanAssignmentJob, autoretry_for=RETRY_ON, max_retries=3, retry_backoff=30,
    retry_jitter=True,
)
def run_plan_assignment(job_id: str) -> None:
    plans.plan_assignment_run(job_id=job_id)


@shared_task(
    base=JobTask, job_model=VideoTranscodeJob, autoretry_for=RETRY_ON + (OSError,), max_retries=3, retry_backoff=30,
    retry_jitter=True,
)
def run_video_transcode(job_id: str) -> None:
    """ffmpeg's own failures (a file it cannot read, ffmpeg missing) are not retried: the job fails with the
    reason; a storage or database that went away is."""
    renditions.video_transcode_run(job_id=job_id)


@shared_task
def assign_current_year_plans() -> int:
    """Nightly (Celery beat): one assignment job per plan of the current training year, to pick up people added,
    moved or gone since the last run."""
    return len(plans.plans_assignment_start_current_year())
