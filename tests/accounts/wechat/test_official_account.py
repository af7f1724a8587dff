"""Reminders as the 公众号's template messages: a channel beside in-site, email and SMS, with the same catalogue
and the same idempotence; the access token fetched once and kept in the cache."""
import datetime

import pytest
from django.core.cache import cache

from academy.accounts import messages
from academy.accounts.models import WeChatMessageRecord
from academy.accounts.notifications import notify_once
from academy.accounts.wechat.binding import wechat_bind
from academy.accounts.wechat.official_account import WeChatError, template_message_send

DUE = messages.TRAINING_DUE.bind(plan="2026年度儿童主任培训", deadline="2026-12-31", days=14)


@pytest.fixture
def bound(claimed_trainee):
    wechat_bind(user=claimed_trainee, uid="u-1", data={"openid": "o-official-1", "flow": "official_account", "nickname": "小王"})
    return claimed_trainee


def remind(user, kind="due_14"):
    return notify_once(user=user, kind=kind, subject="plan:1", title="Training due", body="…", url="/learn/", sms=DUE)


def test_a_reminder_goes_as_a_template_message_once(wechat, bound, django_capture_on_commit_callbacks, sms_outbox):
    with django_capture_on_commit_callbacks(execute=True):
        assert remind(bound) is True
    with django_capture_on_commit_callbacks(execute=True):
        assert remind(bound) is False  # the same reminder again: nothing, on any channel
    assert len(wechat.sent) == 1 and len(sms_outbox) == 1
    sent = wechat.sent[0]
    assert sent["touser"] == "o-official-1" and sent["template_id"] == "TPL-DUE"
    assert sent["data"] == {
        "thing1": {"value": "2026年度儿童主任培训"}, "time2": {"value": "2026-12-31"}, "number3": {"value": "14"},
    }
    assert sent["url"].endswith("/learn/")
    record = WeChatMessageRecord.objects.get()
    assert (record.user, record.message, record.status, record.msgid) == (bound, "training_due", "sent", "1001")


def test_the_access_token_is_fetched_once_and_cached(wechat, bound):
    cache.clear()
    template_message_send(user=bound, openid="o-official-1", message=DUE)
    template_message_send(user=bound, openid="o-official-1", message=DUE)
    assert wechat.tokens_issued == 1
    token_request = [r for r in wechat.requests if r["path"] == "/cgi-bin/token"][0]["query"]
    assert token_request == {"grant_type": "client_credential", "appid": "wx-fake-official-account", "secret": "fake-official-account-secret"}


def test_an_expired_token_is_fetched_again_once(wechat, bound):
    cache.clear()
    wechat.template_answers = [42001]
    record = template_message_send(user=bound, openid="o-official-1", message=DUE)
    assert record.status == "sent" and record.attempts == 2 and wechat.tokens_issued == 2


def test_a_refusal_is_recorded_and_raised(wechat, bound):
    wechat.template_answers = [43004]  # the person unfollowed the 公众号
    with pytest.raises(WeChatError):
        template_message_send(user=bound, openid="o-official-1", message=DUE)
    record = WeChatMessageRecord.objects.get()
    assert record.status == "failed" and record.error.startswith("43004")


def test_template_keys_default_to_the_parameters_names(wechat, bound):
    overdue = messages.TRAINING_OVERDUE.bind(plan="计划", deadline=datetime.date(2026, 6, 30))
    template_message_send(user=bound, openid="o-official-1", message=overdue)
    assert wechat.sent[0]["data"] == {"plan": {"value": "计划"}, "deadline": {"value": "2026-06-30"}}


def test_nothing_goes_by_wechat_without_a_binding_or_a_template(wechat, claimed_trainee, bound, django_capture_on_commit_callbacks, unclaimed_trainee):
    with django_capture_on_commit_callbacks(execute=True):
        remind(unclaimed_trainee)  # not bound
        notify_once(user=bound, kind="due_0", subject="plan:1", title="t", body="b",
                    sms=messages.TRAINING_DUE_TODAY.bind(plan="计划"))  # no template for it
    assert wechat.sent == [] and not WeChatMessageRecord.objects.exists()


def test_a_long_text_is_shortened_to_what_wechat_accepts(wechat, bound):
    long_plan = messages.TRAINING_DUE.bind(plan="2026年度杭州市西湖区儿童主任岗位能力提升培训计划", deadline="2026-12-31", days=3)
    record = template_message_send(user=bound, openid="o-official-1", message=long_plan)
    assert record.status == "sent"
    assert wechat.sent[0]["data"]["thing1"]["value"] == "2026年度杭州市西湖区儿童主任岗位能…"
