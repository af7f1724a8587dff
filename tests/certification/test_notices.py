"""Candidates are told their result once their session is signed off (certification/notices.py): in the
notification centre, by SMS and as the 公众号's template message, once."""
import datetime

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone

from academy.accounts import messages
from academy.accounts.models import Notification, SentReminder, WeChatMessageRecord
from academy.accounts.sms import OutboxSMSBackend
from academy.accounts.wechat.binding import wechat_bind
from academy.celery_app import app as celery_app
from academy.jobs import jobs_sweep
from certification import notices, scoring, tasks
from certification.certificates import issue_job_run
from certification.models import Certificate, CertificateStatus, IssueJob, NoticeJob, Outcome, Part
from tests.accounts.wechat.conftest import wechat_settings
from tests.certification.test_scoring import score_all
from tests.factories import UserFactory, make_application
from tests.fakes.wechat import FakeWeChat

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(scoring_session):
    """Both candidates scored in full: A passes, B fails the theory."""
    setup = scoring_session
    score_all(setup, setup.candidate_a, 80, [80, 80, 80])
    score_all(setup, setup.candidate_b, 50, [70, 70, 70])
    OutboxSMSBackend.messages.clear()
    return setup


def sms_to(person) -> list[messages.BoundTextMessage]:
    return [message for phone, message in OutboxSMSBackend.messages if phone == person.user.phone]


def test_each_candidate_is_told_their_result_once_the_sign_off_commits(
    scored, sms_outbox, django_capture_on_commit_callbacks
):
    session = scored.session
    with django_capture_on_commit_callbacks(execute=True):
        scoring.session_sign_off(session=session, user=scored.chief)

    level, centre = session.get_level_display(), session.centre.name
    passed, failed = sms_to(scored.carer_a), sms_to(scored.carer_b)
    assert [message.name for message in passed] == ["result_passed"]
    assert [message.name for message in failed] == ["result_failed"]
    expected = {"session": session.title, "level": level, "centre": centre}
    assert passed[0].parameters == expected and failed[0].parameters == expected
    assert "certificate will follow" in passed[0].text() and "did not pass" in failed[0].text()

    told_a = Notification.objects.get(user=scored.carer_a.user)
    told_b = Notification.objects.get(user=scored.carer_b.user)
    assert told_a.title == f"Your result in {session.title}: passed"
    assert told_b.title == f"Your result in {session.title}: not passed"
    assert centre in told_a.body and level in told_a.body and "certificate will follow" in told_a.body
    assert "certificate" not in told_b.body
    assert told_a.url == scored.candidate_a.get_absolute_url()


def test_a_candidate_who_bound_wechat_gets_the_result_as_a_template_message(
    scored, settings, sms_outbox, django_capture_on_commit_callbacks
):
    wechat_bind(user=scored.carer_a.user, uid="u-a", data={"openid": "o-official-a", "flow": "official_account"})
    with FakeWeChat() as wechat:
        wechat_settings(settings, wechat)
        settings.WECHAT_TEMPLATES = {"result_passed": ["TPL-PASSED", "thing1", "thing2", "thing3"]}
        with django_capture_on_commit_callbacks(execute=True):
            scoring.session_sign_off(session=scored.session, user=scored.chief)
        with django_capture_on_commit_callbacks(execute=True):
            notices.session_results_notify(session_id=scored.session.pk)  # run again
    session = scored.session
    assert [(sent["touser"], sent["template_id"]) for sent in wechat.sent] == [("o-official-a", "TPL-PASSED")]
    data = wechat.sent[0]["data"]
    assert (data["thing1"], data["thing3"]) == ({"value": session.title}, {"value": session.centre.name})
    assert data["thing2"]["value"].startswith("Level 5")  # a WeChat "thing" holds 20 characters
    assert wechat.sent[0]["url"].endswith(scored.candidate_a.get_absolute_url())
    assert WeChatMessageRecord.objects.get().message == "result_passed"
    assert len(sms_outbox) == 2  # and by SMS, as to everyone with a mobile number


def test_nobody_is_told_before_the_sign_off_commits(scored, sms_outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        scoring.session_sign_off(session=scored.session, user=scored.chief)
    assert callbacks, "the notices wait for the commit"
    assert not Notification.objects.filter(user__in=[scored.carer_a.user, scored.carer_b.user]).exists()
    assert sms_outbox == []


def test_a_retried_task_tells_nobody_twice(scored, sms_outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        scoring.session_sign_off(session=scored.session, user=scored.chief)
    assert len(sms_outbox) == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_notices(str(NoticeJob.objects.get().pk)) == 0  # its message delivered twice
        assert notices.session_results_notify(session_id=scored.session.pk) == 0  # the job retried
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(scoring.ScoringRefused):
        scoring.session_sign_off(session=scored.session, user=scored.chief)
    assert len(sms_outbox) == 2
    assert Notification.objects.filter(user__in=[scored.carer_a.user, scored.carer_b.user]).count() == 2
    assert SentReminder.objects.filter(kind="session_result").count() == 2


def test_a_session_not_signed_off_tells_nobody(scored, sms_outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert notices.session_results_notify(session_id=scored.session.pk) == 0
    assert sms_outbox == [] and not Notification.objects.exists()


def test_an_absent_candidate_and_one_without_an_account_are_not_sent_a_result(
    scoring_session, sms_outbox, django_capture_on_commit_callbacks
):
    setup = scoring_session
    score_all(setup, setup.candidate_a, 80, [80, 80, 80])  # B never came
    with django_capture_on_commit_callbacks(execute=True):
        scoring.session_sign_off(session=setup.session, user=setup.chief)
    setup.candidate_b.refresh_from_db()
    assert setup.candidate_b.outcome == Outcome.ABSENT
    assert [phone for phone, _text in sms_outbox] == [setup.carer_a.user.phone]


def test_the_notice_is_written_in_the_site_language(scored, settings, sms_outbox, django_capture_on_commit_callbacks):
    settings.LANGUAGE_CODE = "zh-hans"
    with django_capture_on_commit_callbacks(execute=True):
        scoring.session_sign_off(session=scored.session, user=scored.chief)
    passed = dict(sms_outbox)[scored.carer_a.user.phone]
    assert "五级/初级工" in passed and "证书" in passed
    assert "未通过" in dict(sms_outbox)[scored.carer_b.user.phone]
    assert Notification.objects.get(user=scored.carer_a.user).title.endswith("：合格")
    assert Notification.objects.get(user=scored.carer_b.user).title.endswith("：不合格")


@pytest.mark.parametrize("message", [messages.RESULT_PASSED, messages.RESULT_FAILED], ids=lambda m: m.name)
def test_a_result_message_refuses_an_empty_parameter(message):
    with pytest.raises(messages.MessageParameterMissing):
        message.bind(session="五级认定", level=" ", centre="浙江省社会福利中心")
    with pytest.raises(messages.MessageParameterMissing):
        messages.CERTIFICATE_ISSUED.bind(level="五级/初级工", number="")


# --- The certificate issued ------------------------------------------------------------------------------


def test_a_holder_is_told_once_their_certificate_is_issued_with_its_pdf(
    signed_off_session, sms_outbox, django_capture_on_commit_callbacks
):
    with_account = make_application(signed_off_session, name="陈静")
    UserFactory(person=with_account.person, phone="13912340001")
    make_application(signed_off_session, name="刘洋")  # no account: nobody to tell
    OutboxSMSBackend.messages.clear()
    with django_capture_on_commit_callbacks(execute=True):
        issue_job_run(job_id=IssueJob.objects.create(session=signed_off_session, created_by=signed_off_session.created_by).pk)
    certificate = Certificate.objects.get(application=with_account)
    assert certificate.pdf
    [(phone, message)] = OutboxSMSBackend.messages
    assert phone == "13912340001" and message.name == "certificate_issued"
    assert message.parameters == {"level": certificate.get_level_display(), "number": certificate.number}
    notification = Notification.objects.get(user=with_account.person.user)
    assert certificate.number in notification.body and notification.url == reverse("certification:home")

    with django_capture_on_commit_callbacks(execute=True):
        assert notices.certificates_issued_notify(certificate_ids=[certificate.pk]) == 0  # a retried job
        issue_job_run(job_id=IssueJob.objects.create(session=signed_off_session, created_by=signed_off_session.created_by).pk)
    assert len(sms_outbox) == 1 and Notification.objects.count() == 1


def test_nobody_is_told_of_a_revoked_certificate(signed_off_session, sms_outbox, django_capture_on_commit_callbacks):
    application = make_application(signed_off_session, name="陈静")
    UserFactory(person=application.person, phone="13912340002")
    issue_job_run(job_id=IssueJob.objects.create(session=signed_off_session, created_by=signed_off_session.created_by).pk)
    certificate = Certificate.objects.get(application=application)
    Certificate.objects.filter(pk=certificate.pk).update(status=CertificateStatus.REVOKED)
    with django_capture_on_commit_callbacks(execute=True):
        assert notices.certificates_issued_notify(certificate_ids=[certificate.pk]) == 0
    assert sms_outbox == []


# --- The broker down when the notices are owed ------------------------------------------------------------


def broker_back_and_swept(django_capture_on_commit_callbacks) -> None:
    """The broker answers again (here: tasks run in process) and the minute's sweep runs, later than
    JOBS_RESEND_AFTER_SECONDS after the notices were owed."""
    celery_app.conf.task_always_eager = True  # dead_broker restores it
    later = timezone.now() + datetime.timedelta(seconds=django_settings.JOBS_RESEND_AFTER_SECONDS + 1)
    with django_capture_on_commit_callbacks(execute=True):
        jobs_sweep(now=later)


def test_with_the_broker_down_at_sign_off_the_results_are_sent_once_it_is_back(
    scored, sms_outbox, dead_broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        scoring.session_sign_off(session=scored.session, user=scored.chief)  # nothing raised: the page answers
    assert sms_outbox == []

    broker_back_and_swept(django_capture_on_commit_callbacks)
    assert [message.name for message in sms_to(scored.carer_a) + sms_to(scored.carer_b)] == [
        "result_passed", "result_failed",
    ]
    broker_back_and_swept(django_capture_on_commit_callbacks)
    assert len(sms_outbox) == 2
    assert Notification.objects.filter(user__in=[scored.carer_a.user, scored.carer_b.user]).count() == 2


def test_with_the_broker_down_when_certificates_are_issued_their_holders_are_told_once_it_is_back(
    signed_off_session, sms_outbox, dead_broker, django_capture_on_commit_callbacks
):
    application = make_application(signed_off_session, name="陈静")
    UserFactory(person=application.person, phone="13912340003")
    OutboxSMSBackend.messages.clear()
    with django_capture_on_commit_callbacks(execute=True):
        issue_job_run(job_id=IssueJob.objects.create(session=signed_off_session, created_by=signed_off_session.created_by).pk)
    assert Certificate.objects.get(application=application).pdf
    assert sms_outbox == []

    broker_back_and_swept(django_capture_on_commit_callbacks)
    assert [(phone, message.name) for phone, message in OutboxSMSBackend.messages] == [
        ("13912340003", "certificate_issued"),
    ]
    broker_back_and_swept(django_capture_on_commit_callbacks)
    assert len(sms_outbox) == 1


def test_a_notice_job_whose_worker_died_is_sent_again_not_failed(
    scored, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        scoring.session_sign_off(session=scored.session, user=scored.chief)
    long_ago = timezone.now() - datetime.timedelta(seconds=django_settings.JOBS_STALE_AFTER_SECONDS + 1)
    NoticeJob.objects.update(status=NoticeJob.Status.RUNNING, started_at=long_ago, last_alive_at=long_ago)

    with django_capture_on_commit_callbacks(execute=True):
        jobs_sweep(queue_empty=True)
    job = NoticeJob.objects.get()
    assert (job.status, job.done, job.failure_message) == (NoticeJob.Status.DONE, 2, "")
    assert len(sms_outbox) == 2


# --- A result amended after sign-off ---------------------------------------------------------------------


def signed_off_and_told(scored, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        scoring.session_sign_off(session=scored.session, user=scored.chief)
    assert [message.name for message in sms_to(scored.carer_a) + sms_to(scored.carer_b)] == [
        "result_passed", "result_failed",
    ]


def test_a_fail_amended_to_a_pass_is_told_to_the_candidate_once_the_organiser_approves(
    scored, province_admin, sms_outbox, django_capture_on_commit_callbacks
):
    signed_off_and_told(scored, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        entry = scoring.result_amend(
            application=scored.candidate_b, part=Part.THEORY, score=80, user=scored.chief, reason="漏计一题",
        )
    assert [message.name for message in sms_to(scored.carer_b)] == ["result_failed"]  # waits for the approval

    with django_capture_on_commit_callbacks(execute=True):
        scoring.amendment_decide(entry=entry, user=province_admin, approve=True)
    assert [message.name for message in sms_to(scored.carer_b)] == ["result_failed", "result_passed"]
    told = Notification.objects.filter(user=scored.carer_b.user).order_by("-pk").first()
    assert told.title == f"Your amended result in {scored.session.title}: passed"
    assert "certificate will follow" in told.body and told.url == scored.candidate_b.get_absolute_url()
    with django_capture_on_commit_callbacks(execute=True):
        jobs_sweep(queue_empty=True)  # nothing owed twice
    assert Notification.objects.filter(user=scored.carer_b.user).count() == 2


def test_a_pass_amended_to_a_fail_is_told_to_the_candidate(scored, sms_outbox, django_capture_on_commit_callbacks):
    signed_off_and_told(scored, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        scoring.result_amend(
            application=scored.candidate_a, part=Part.THEORY, score=40, user=scored.chief, reason="多计两题",
        )
    assert [message.name for message in sms_to(scored.carer_a)] == ["result_passed", "result_failed"]
    told = Notification.objects.filter(user=scored.carer_a.user).order_by("-pk").first()
    assert told.title == f"Your amended result in {scored.session.title}: not passed"


def test_an_amendment_that_leaves_the_outcome_or_is_rejected_tells_nobody(
    scored, province_admin, sms_outbox, django_capture_on_commit_callbacks
):
    signed_off_and_told(scored, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        scoring.result_amend(application=scored.candidate_a, part=Part.THEORY, score=62, user=scored.chief, reason="复核")
        entry = scoring.result_amend(
            application=scored.candidate_b, part=Part.THEORY, score=80, user=scored.chief, reason="复核",
        )
        scoring.amendment_decide(entry=entry, user=province_admin, approve=False, reason="试卷原件为50分")
    assert len(sms_outbox) == 2 and Notification.objects.count() == 2
