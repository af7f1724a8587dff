"""Text messages through the real gateways' SDKs (academy/accounts/sms.py) against local fake gateways that check
each request's signature as Aliyun and Tencent Cloud do (tests/fakes/sms_gateways.py), and the catalogue
(academy/accounts/messages.py)."""
import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user
from django.urls import reverse
from django.utils import translation

from academy.accounts import messages
from academy.accounts.models import TextMessageRecord
from academy.accounts.sms import SmsFailed, sms_send
from tests.fakes.sms_gateways import ACCESS_KEY_ID, ACCESS_KEY_SECRET, AliyunHandler, FakeGateway, TencentHandler

REPOSITORY = Path(__file__).resolve().parents[2]
TEMPLATE_CODES = {name: f"SMS_{index:06d}" for index, name in enumerate(messages.CATALOGUE, start=100)}
# A filling of every parameter of the catalogue, for sending each message once.
SAMPLE = {
    "code": "482913", "minutes": "10", "phone": "138****0001", "session": "四级认定 2026年11月",
    "reason": "缺少学历证明", "plan": "2026年儿童主任年度培训", "deadline": "2026年11月30日", "days": "3",
    "region": "上城区", "untrained": "12", "level": "四级/中级工", "centre": "浙江省民政职业技能鉴定中心",
    "number": "S000133000001264000001",
}


def sample(message: messages.TextMessage) -> messages.BoundTextMessage:
    return message.bind(**{name: SAMPLE[name] for name in message.parameters})


@pytest.fixture
def gateway_settings(settings):
    settings.SMS_ACCESS_KEY_ID, settings.SMS_ACCESS_KEY_SECRET = ACCESS_KEY_ID, ACCESS_KEY_SECRET
    settings.SMS_SIGN_NAME = "浙江儿童福利培训"
    settings.SMS_SDK_APP_ID = "1400000001"
    settings.SMS_TEMPLATE_CODES = TEMPLATE_CODES
    settings.SMS_PROTOCOL = "http"
    settings.SMS_RETRY_SECONDS = 0.01
    return settings


@pytest.fixture
def aliyun(gateway_settings):
    with FakeGateway(AliyunHandler) as gateway:
        gateway_settings.SMS_BACKEND = "academy.accounts.sms.AliyunSMSBackend"
        gateway_settings.SMS_ENDPOINT = gateway.endpoint
        yield gateway


@pytest.fixture
def tencent(gateway_settings):
    with FakeGateway(TencentHandler) as gateway:
        gateway_settings.SMS_BACKEND = "academy.accounts.sms.TencentSMSBackend"
        gateway_settings.SMS_ENDPOINT = gateway.endpoint
        yield gateway


@pytest.mark.django_db
@pytest.mark.parametrize("message", messages.CATALOGUE.values(), ids=list(messages.CATALOGUE))
def test_aliyun_gets_each_message_as_its_template_code_and_parameters_signed_as_the_sdk_signs(aliyun, message):
    record = sms_send(phone="13800000001", message=sample(message))
    [request] = aliyun.requests
    assert request["signature_valid"]
    query = request["query"]
    headers = {name.lower(): value for name, value in request["headers"].items()}
    assert headers["x-acs-action"] == "SendSms" and headers["x-acs-version"] == "2017-05-25"
    assert query["PhoneNumbers"] == "13800000001" and query["SignName"] == "浙江儿童福利培训"
    assert query["TemplateCode"] == TEMPLATE_CODES[message.name]
    assert json.loads(query["TemplateParam"]) == {name: SAMPLE[name] for name in message.parameters}
    assert record.status == TextMessageRecord.Status.SENT and record.gateway_id == "biz-1"


@pytest.mark.django_db
@pytest.mark.parametrize("message", messages.CATALOGUE.values(), ids=list(messages.CATALOGUE))
def test_tencent_gets_each_message_as_its_template_id_and_numbered_parameters_signed_as_the_sdk_signs(tencent, message):
    record = sms_send(phone="13800000001", message=sample(message))
    [request] = tencent.requests
    assert request["signature_valid"]
    assert request["headers"]["X-TC-Action"] == "SendSms"
    payload = request["payload"]
    assert payload["PhoneNumberSet"] == ["+8613800000001"] and payload["SignName"] == "浙江儿童福利培训"
    assert payload["SmsSdkAppId"] == "1400000001" and payload["TemplateId"] == TEMPLATE_CODES[message.name]
    assert payload["TemplateParamSet"] == [SAMPLE[name] for name in message.parameters]  # {1}, {2}… in order
    assert record.status == TextMessageRecord.Status.SENT and record.gateway_id == "serial-1"


@pytest.mark.django_db
@pytest.mark.parametrize("gateway_fixture", ["aliyun", "tencent"])
def test_a_request_signed_with_another_secret_is_refused_by_the_fake_gateway(request, gateway_fixture, settings):
    gateway = request.getfixturevalue(gateway_fixture)
    settings.SMS_ACCESS_KEY_SECRET = "not-the-secret"
    with pytest.raises(SmsFailed):
        sms_send(phone="13800000001", message=sample(messages.MOBILE_CHANGED))
    assert [sent["signature_valid"] for sent in gateway.requests] == [False]


@pytest.mark.django_db
@pytest.mark.parametrize("gateway_fixture", ["aliyun", "tencent"])
def test_a_gateway_failing_once_is_tried_again_and_recorded_once(request, gateway_fixture):
    gateway = request.getfixturevalue(gateway_fixture)
    gateway.answers = ["500"]
    record = sms_send(phone="13800000001", message=sample(messages.TRAINING_DUE))
    assert len(gateway.requests) == 2
    assert TextMessageRecord.objects.get() == record
    assert record.status == TextMessageRecord.Status.SENT and record.attempts == 2


@pytest.mark.django_db
@pytest.mark.parametrize("gateway_fixture, limit", [
    ("aliyun", "isv.BUSINESS_LIMIT_CONTROL"), ("tencent", "LimitExceeded.PhoneNumberDailyLimit"),
])
def test_a_refusal_is_recorded_and_logged_without_the_code_and_not_tried_again(request, gateway_fixture, limit, caplog):
    gateway = request.getfixturevalue(gateway_fixture)
    gateway.answers = [limit]
    with caplog.at_level(logging.INFO), pytest.raises(SmsFailed, match=re.escape(limit)):
        sms_send(phone="13800000001", message=sample(messages.SIGN_IN_CODE))
    assert len(gateway.requests) == 1
    record = TextMessageRecord.objects.get()
    assert record.status == TextMessageRecord.Status.FAILED and limit in record.error and record.attempts == 1
    assert record.parameters == {"code": "******", "minutes": "10"} and record.phone == "138****0001"
    assert "482913" not in caplog.text and "13800000001" not in caplog.text
    assert any(line.levelname == "ERROR" and limit in line.getMessage() for line in caplog.records)


@pytest.mark.django_db
def test_a_sign_in_code_the_gateway_could_not_send_is_said_and_a_new_one_can_be_asked_for(
    client, unclaimed_trainee, aliyun,
):
    aliyun.answers = ["isv.BUSINESS_LIMIT_CONTROL"]
    response = client.post(reverse("account_request_login_code"), {"login": "13700001111"}, follow=True)
    assert "could not be sent" in response.content.decode()

    assert "Send a new code" in client.get(reverse("account_confirm_login_code")).content.decode()
    client.post(reverse("account_confirm_login_code"), {"action": "resend"})
    code = json.loads(aliyun.requests[-1]["query"]["TemplateParam"])["code"]
    client.post(reverse("account_confirm_login_code"), {"code": code})
    assert get_user(client).pk == unclaimed_trainee.pk
    assert list(TextMessageRecord.objects.order_by("pk").values_list("status", flat=True)) == ["failed", "sent"]
    assert not TextMessageRecord.objects.filter(parameters__code=code).exists()


@pytest.mark.parametrize("message", messages.CATALOGUE.values(), ids=list(messages.CATALOGUE))
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_message_reads_whole_in_each_language(message, language):
    with translation.override(language):
        text = sample(message).text()
    assert "%(" not in text
    assert not text.rstrip().endswith((":", "：", "，", ","))


def test_a_message_is_never_sent_with_an_empty_parameter():
    with pytest.raises(messages.MessageParameterMissing):
        messages.APPLICATION_REJECTED.bind(session="四级认定", reason="  ")
    with pytest.raises(messages.MessageParameterMissing):
        messages.SIGN_IN_CODE.bind(code="123456")


def test_production_refuses_a_gateway_without_a_template_code_for_every_message():
    environment = {
        **os.environ, "DJANGO_SETTINGS_MODULE": "academy.settings.production", "DJANGO_SECRET_KEY": "x" * 60,
        "PERSONAL_DATA_KEY": "k", "CACHE_URL": "redis://127.0.0.1:6379/0",
        "SMS_BACKEND": "academy.accounts.sms.AliyunSMSBackend", "SMS_ACCESS_KEY_ID": "id",
        "SMS_ACCESS_KEY_SECRET": "secret", "SMS_SIGN_NAME": "签名", "SMS_TEMPLATE_CODES": "sign_in_code=SMS_1",
    }
    started = subprocess.run([sys.executable, "manage.py", "check"], cwd=REPOSITORY, env=environment,
                             capture_output=True, text=True, timeout=120)
    assert started.returncode != 0
    assert "SMS_TEMPLATE_CODES has no template code for: administrator_digest, application_approved" in started.stderr
