"""Reminders of the training plans: trainees before the deadline and when overdue, administrators' weekly
digests; run twice, they send nothing twice."""
import datetime
from unittest import mock

import pytest
from django.core import mail

from academy.accounts import notifications
from academy.accounts.models import Notification
from academy.organisation.models import PostKind, Region
from courses import plans, reminder_tasks
from courses.models import CoverageCount, PlanAssignment, PlanStatus, TrainingPlan
from courses.reminders import send_administrator_digests, send_trainee_reminders
from tests.factories import PersonFactory, PostFactory, UserFactory

DEADLINE = datetime.date(2025, 6, 30)  # a Monday
DAY = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def _english(settings):
    """The jobs write in the site's default language; the tests read the English msgids."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def run(django_capture_on_commit_callbacks, sms_outbox):
    """Run a job and let its email and SMS go out, as they do once each recipient's transaction commits."""

    def run(job, today):
        with django_capture_on_commit_callbacks(execute=True):
            return job(today=today)

    return run


def make_plan(region_code="330102", post_kind=PostKind.CHILD_DIRECTOR, title="2025年儿童主任年度培训", **dates):
    return TrainingPlan.objects.create(
        year=2025, post_kind=post_kind, organiser_region=Region.objects.get(code=region_code), title=title,
        opens_on=dates.get("opens_on", datetime.date(2025, 3, 1)), deadline=dates.get("deadline", DEADLINE),
        join_cutoff=datetime.date(2025, 5, 1), leave_cutoff=datetime.date(2025, 3, 31),
    )


def assign(plan, *, name, mobile, email=None, account=True, status=PlanStatus.NOT_STARTED):
    township = Region.objects.get(code="330102001")
    person = PersonFactory(name=name, mobile=mobile)
    PostFactory(person=person, kind=plan.post_kind, region=township)
    if account:
        UserFactory(person=person, phone=mobile, email=email)
    return PlanAssignment.objects.create(
        plan=plan, person=person, region=township, status=status,
        **plans.assignment_copies(plan=plan, person_name=person.name),
    )


@pytest.fixture
def plan(db):
    return make_plan()


@pytest.fixture
def director(plan):
    return assign(plan, name="李春燕", mobile="13900000001", email="li@example.org")


def sent(sms_outbox):
    return Notification.objects.count(), len(mail.outbox), len(sms_outbox)


def test_no_reminder_more_than_14_days_before_the_deadline(run, director, sms_outbox):
    assert run(send_trainee_reminders, DEADLINE - 15 * DAY) == 0
    assert sent(sms_outbox) == (0, 0, 0)


def test_a_trainee_is_reminded_14_days_before_by_site_email_and_sms(run, director, sms_outbox):
    assert run(send_trainee_reminders, DEADLINE - 14 * DAY) == 1
    notification = Notification.objects.get()
    assert notification.user == director.person.user
    assert notification.title == "Training due soon: 2025年儿童主任年度培训"
    assert "in 14 days" in notification.body and "June 30, 2025" in notification.body
    assert mail.outbox[0].to == ["li@example.org"] and mail.outbox[0].subject == notification.title
    assert sms_outbox[0][0] == "13900000001" and "2025年儿童主任年度培训" in sms_outbox[0][1]


def test_running_twice_on_the_same_day_sends_nothing_twice(run, director, sms_outbox):
    run(send_trainee_reminders, DEADLINE - 14 * DAY)
    assert run(send_trainee_reminders, DEADLINE - 14 * DAY) == 0
    assert sent(sms_outbox) == (1, 1, 1)


def test_the_14_day_reminder_is_sent_once_then_the_3_day_one(run, director, sms_outbox):
    for days_left in range(14, 2, -1):
        run(send_trainee_reminders, DEADLINE - days_left * DAY)
    assert sent(sms_outbox) == (2, 2, 2)
    latest = Notification.objects.first()
    assert "in 3 days" in latest.body


def test_a_reminder_missed_on_its_day_is_sent_on_the_next_run(run, director, sms_outbox):
    assert run(send_trainee_reminders, DEADLINE - 10 * DAY) == 1
    assert "in 10 days" in Notification.objects.get().body


def test_a_plan_opening_close_to_its_deadline_sends_only_the_3_day_reminder(run, db, sms_outbox):
    short = make_plan(opens_on=DEADLINE - 2 * DAY)
    assign(short, name="王芳", mobile="13900000002")
    assert run(send_trainee_reminders, DEADLINE - 2 * DAY) == 1
    assert run(send_trainee_reminders, DEADLINE - 1 * DAY) == 0


def test_overdue_trainees_are_reminded_once_a_week(run, director, sms_outbox):
    assert run(send_trainee_reminders, DEADLINE + 1 * DAY) == 1  # Tuesday
    assert "Training overdue" in Notification.objects.get().title
    for day in range(2, 7):  # the rest of that week
        assert run(send_trainee_reminders, DEADLINE + day * DAY) == 0
    assert run(send_trainee_reminders, DEADLINE + 7 * DAY) == 1  # next Monday
    assert sent(sms_outbox) == (2, 2, 2)


def test_overdue_reminders_stop_after_the_overdue_period(run, director, sms_outbox):
    assert run(send_trainee_reminders, DEADLINE + 60 * DAY) == 0


def test_no_reminder_after_completion(run, plan, sms_outbox):
    assign(plan, name="已完成", mobile="13900000003", status=PlanStatus.COMPLETED)
    in_progress = assign(plan, name="学习中", mobile="13900000004", status=PlanStatus.IN_PROGRESS)
    run(send_trainee_reminders, DEADLINE - 3 * DAY)
    run(send_trainee_reminders, DEADLINE + 1 * DAY)
    assert set(Notification.objects.values_list("user__person__name", flat=True)) == {"学习中"}
    in_progress.status = PlanStatus.COMPLETED
    in_progress.save()
    assert run(send_trainee_reminders, DEADLINE + 7 * DAY) == 0


def test_no_reminder_before_the_window_opens(run, db, sms_outbox):
    later = make_plan(opens_on=DEADLINE - 5 * DAY)
    assign(later, name="王芳", mobile="13900000002")
    assert run(send_trainee_reminders, DEADLINE - 6 * DAY) == 0


def test_people_without_an_account_or_contact_details(run, plan, sms_outbox):
    assign(plan, name="无账号", mobile="13900000005", account=False)
    assign(plan, name="无邮箱", mobile="13900000006", email=None)
    assert run(send_trainee_reminders, DEADLINE - 3 * DAY) == 1
    assert sent(sms_outbox) == (1, 0, 1)


def test_a_crashed_run_rerun_sends_what_was_not_sent_and_nothing_twice(run, plan, sms_outbox):
    first = assign(plan, name="甲", mobile="13900000007")
    assign(plan, name="乙", mobile="13900000008")
    real_notify = notifications.notify

    def crash_on_the_second(*, user, **kwargs):
        if user.person != first.person:
            raise ConnectionError("the worker died")
        return real_notify(user=user, **kwargs)

    with mock.patch.object(notifications, "notify", crash_on_the_second), pytest.raises(ConnectionError):
        run(send_trainee_reminders, DEADLINE - 3 * DAY)
    assert sent(sms_outbox) == (1, 0, 1)  # the first was committed and sent, the second rolled back
    assert run(send_trainee_reminders, DEADLINE - 3 * DAY) == 1
    assert sent(sms_outbox) == (2, 0, 2)
    assert sorted(phone for phone, _text in sms_outbox) == ["13900000007", "13900000008"]


def test_the_celery_task_runs_the_job(director, sms_outbox, django_capture_on_commit_callbacks):
    today = mock.patch("courses.reminders.timezone.localdate", return_value=DEADLINE - 3 * DAY)
    with today, django_capture_on_commit_callbacks(execute=True):
        assert reminder_tasks.send_trainee_reminders.delay().get() == 1
    assert len(sms_outbox) == 1


# Administrators' weekly digests


def counts(plan, region_code, not_started, in_progress, completed):
    CoverageCount.objects.create(
        plan=plan, region_id=region_code, not_started=not_started, in_progress=in_progress, completed=completed
    )


@pytest.fixture
def coverage(db):
    """Director plans of 上城区 and 拱墅区, the supervisor plan of 杭州市, and last year's closed plan."""
    shangcheng = make_plan("330102", title="上城区儿童主任培训")
    gongshu = make_plan("330105", title="拱墅区儿童主任培训")
    hangzhou = make_plan("3301", post_kind=PostKind.CHILD_SUPERVISOR, title="杭州市儿童督导员培训")
    last_year = TrainingPlan.objects.create(
        year=2024, post_kind=PostKind.CHILD_DIRECTOR, organiser_region_id="330102", title="2024",
        opens_on=datetime.date(2024, 3, 1), deadline=datetime.date(2024, 6, 30),
        join_cutoff=datetime.date(2024, 5, 1), leave_cutoff=datetime.date(2024, 3, 31),
    )
    counts(shangcheng, "330102", 5, 7, 28)
    counts(shangcheng, "3301", 5, 7, 28)
    counts(gongshu, "330105", 10, 0, 10)
    counts(gongshu, "3301", 10, 0, 10)
    counts(hangzhou, "3301", 2, 3, 45)
    counts(hangzhou, "330102", 1, 1, 8)
    counts(last_year, "330102", 99, 99, 0)


MONDAY = DEADLINE - 14 * DAY


def test_a_county_administrator_gets_their_countys_figures_per_tier(run, coverage, sms_outbox):
    admin = UserFactory(admin_region_id="330102", email="admin@example.org", phone="13800000001")
    assert run(send_administrator_digests, MONDAY) == 1
    digest = Notification.objects.get(user=admin)
    assert digest.title == "Weekly training digest: 上城区"
    lines = digest.body.splitlines()
    assert lines == [
        "2025 Child supervisor: 2 of 10 not yet trained (1 not started, 1 in progress).",
        "2025 Child director: 12 of 40 not yet trained (5 not started, 7 in progress).",
    ]
    assert "99" not in digest.body  # last year's closed plan
    assert mail.outbox[0].to == ["admin@example.org"] and sms_outbox[0][0] == "13800000001"


def test_a_city_administrator_gets_the_sum_of_their_counties_plans(run, coverage, sms_outbox):
    admin = UserFactory(admin_region_id="3301")
    run(send_administrator_digests, MONDAY)
    assert Notification.objects.get(user=admin).body.splitlines() == [
        "2025 Child supervisor: 5 of 50 not yet trained (2 not started, 3 in progress).",
        "2025 Child director: 22 of 60 not yet trained (15 not started, 7 in progress).",
    ]


def test_a_digest_holds_nothing_of_another_region(run, coverage, sms_outbox):
    UserFactory(admin_region_id="330105")
    run(send_administrator_digests, MONDAY)
    assert Notification.objects.get().body == "2025 Child director: 10 of 20 not yet trained (10 not started, 0 in progress)."


def test_administrators_without_an_open_plan_and_trainees_get_no_digest(run, coverage, sms_outbox):
    UserFactory(person=PersonFactory(), phone="13900000009")
    UserFactory(admin_region_id="330203")  # 海曙区: no plan
    UserFactory(admin_region_id="330102", is_active=False)
    assert run(send_administrator_digests, MONDAY) == 0
    assert sent(sms_outbox) == (0, 0, 0)


def test_digests_go_once_a_week_however_often_the_job_runs(run, coverage, sms_outbox):
    UserFactory(admin_region_id="330102", email="admin@example.org", phone="13800000001")
    for day in range(7):
        run(send_administrator_digests, MONDAY + day * DAY)
    assert sent(sms_outbox) == (1, 1, 1)
    assert run(send_administrator_digests, MONDAY + 7 * DAY) == 1
    assert sent(sms_outbox) == (2, 2, 2)


def test_the_beat_schedule_runs_both_jobs_at_eight(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE
    trainees = schedule["training-reminders"]
    digests = schedule["administrator-digests"]
    assert trainees["task"] == reminder_tasks.send_trainee_reminders.name
    assert digests["task"] == reminder_tasks.send_administrator_digests.name
    assert trainees["schedule"].hour == {8} and trainees["schedule"].minute == {0}
    assert digests["schedule"].day_of_week == {1} and digests["schedule"].hour == {8}
    assert settings.CELERY_TIMEZONE == "Asia/Shanghai"
