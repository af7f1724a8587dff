"""Text messages through the gateway named by settings.SMS_BACKEND, as email goes through EMAIL_BACKEND.

What is sent is a message of the catalogue (accounts/messages.py) with its parameters; a backend turns it into
its gateway's request: Aliyun's and Tencent Cloud's send the template whose code SMS_TEMPLATE_CODES gives for
the message's name, the console and outbox backends the wording itself. ``sms_send`` tries again when the
gateway could not be reached or asked to slow down, and keeps a record of every message (TextMessageRecord:
the number masked, the parameters with codes hidden, the gateway's id or its error).
"""
import json
import logging
import sys
import time

from alibabacloud_dysmsapi20170525 import models as aliyun_models
from alibabacloud_dysmsapi20170525.client import Client as AliyunClient
from alibabacloud_tea_openapi import models as aliyun_openapi
from alibabacloud_tea_openapi.exceptions import AlibabaCloudException, ThrottlingException
from darabonba.runtime import RuntimeOptions
from django.conf import settings
from django.utils.module_loading import import_string
from tencentcloud.common import credential as tencent_credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile as TencentClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile as TencentHttpProfile
from tencentcloud.sms.v20210111 import models as tencent_models
from tencentcloud.sms.v20210111.sms_client import SmsClient as TencentClient

from .messages import SECRET_PARAMETERS, BoundTextMessage
from .models import TextMessageRecord, User
from .phone import mask

logger = logging.getLogger(__name__)


class SmsTransientError(Exception):
    """The gateway could not be reached, failed, or asked to slow down: trying again may work."""


class SmsRefused(Exception):
    """The gateway refused this message (a limit for the number, a template not approved): not retried."""


class SmsFailed(Exception):
    """The message was not sent; the record and the log say why."""


def template_code(message: BoundTextMessage) -> str:
    return settings.SMS_TEMPLATE_CODES[message.name]


class ConsoleSMSBackend:
    """Prints messages to standard output: the default, for the demo and development."""

    def send(self, phone: str, message: BoundTextMessage) -> str:
        sys.stdout.write(f"[SMS to {phone}] {message.text()}\n")
        sys.stdout.flush()
        return ""


class OutboxSMSBackend:
    """Keeps (phone, text) in ``outbox`` and the messages themselves in ``messages``, for tests to read, like
    Django's locmem email backend."""

    outbox: list[tuple[str, str]] = []
    messages: list[tuple[str, BoundTextMessage]] = []

    def send(self, phone: str, message: BoundTextMessage) -> str:
        type(self).outbox.append((phone, message.text()))
        type(self).messages.append((phone, message))
        return ""


class AliyunSMSBackend:
    """Aliyun's SMS service (dysmsapi 2017-05-25, SendSms) through its official SDK."""

    # Codes that mean "not now" rather than "never": the request is tried again.
    RETRY_CODES = frozenset({"Throttling", "Throttling.User", "ServiceUnavailable", "InternalError"})

    def __init__(self):
        self.client = AliyunClient(aliyun_openapi.Config(
            access_key_id=settings.SMS_ACCESS_KEY_ID, access_key_secret=settings.SMS_ACCESS_KEY_SECRET,
            endpoint=settings.SMS_ENDPOINT or "dysmsapi.aliyuncs.com", protocol=settings.SMS_PROTOCOL,
            connect_timeout=5000, read_timeout=10000,
        ))

    def send(self, phone: str, message: BoundTextMessage) -> str:
        request = aliyun_models.SendSmsRequest(
            phone_numbers=phone, sign_name=settings.SMS_SIGN_NAME, template_code=template_code(message),
            template_param=json.dumps(message.parameters, ensure_ascii=False),
        )
        try:
            # The SDK's own retries are off: sms_send retries, and records how many attempts it took.
            body = self.client.send_sms_with_options(request, RuntimeOptions(autoretry=False)).body
        except ThrottlingException as error:
            raise SmsTransientError(f"{error.code}: {error.message}") from error
        except AlibabaCloudException as error:
            if (error.status_code or 500) >= 500 or error.code in self.RETRY_CODES:
                raise SmsTransientError(f"{error.code}: {error.message}") from error
            raise SmsRefused(f"{error.code}: {error.message}") from error
        except Exception as error:  # the network: refused, reset, timed out
            raise SmsTransientError(f"{type(error).__name__}: {error}") from error
        if body.code != "OK":
            error_class = SmsTransientError if body.code in self.RETRY_CODES else SmsRefused
            raise error_class(f"{body.code}: {body.message}")
        return body.biz_id or ""


class TencentSMSBackend:
    """Tencent Cloud's SMS service (2021-01-11, SendSms) through its official SDK."""

    RETRY_CODES = frozenset({"RequestLimitExceeded", "InternalError", "InternalError.Timeout", "InternalError.RequestTimeException"})

    def __init__(self):
        http = TencentHttpProfile(endpoint=settings.SMS_ENDPOINT or "sms.tencentcloudapi.com",
                                  protocol=settings.SMS_PROTOCOL, reqTimeout=10)
        self.client = TencentClient(
            tencent_credential.Credential(settings.SMS_ACCESS_KEY_ID, settings.SMS_ACCESS_KEY_SECRET),
            settings.SMS_REGION, TencentClientProfile(httpProfile=http),
        )

    def send(self, phone: str, message: BoundTextMessage) -> str:
        request = tencent_models.SendSmsRequest()
        request.SmsSdkAppId = settings.SMS_SDK_APP_ID
        request.SignName = settings.SMS_SIGN_NAME
        request.TemplateId = template_code(message)
        request.TemplateParamSet = [value for _name, value in message.values]  # {1}, {2}… in catalogue order
        request.PhoneNumberSet = [f"+86{phone}"]
        try:
            response = self.client.SendSms(request)
        except TencentCloudSDKException as error:
            if error.code in self.RETRY_CODES or error.code in ("ClientNetworkError", "ServerNetworkError"):
                raise SmsTransientError(f"{error.code}: {error.message}") from error
            raise SmsRefused(f"{error.code}: {error.message}") from error
        except Exception as error:
            raise SmsTransientError(f"{type(error).__name__}: {error}") from error
        status = response.SendStatusSet[0]
        if status.Code != "Ok":
            error_class = SmsTransientError if status.Code in self.RETRY_CODES else SmsRefused
            raise error_class(f"{status.Code}: {status.Message}")
        return status.SerialNo or ""


def sms_send(*, phone: str, message: BoundTextMessage, user: User | None = None) -> TextMessageRecord:
    """Send ``message`` to ``phone`` and record it; SmsFailed when the gateway refused it or could not be
    reached after SMS_SEND_ATTEMPTS tries."""
    backend = import_string(settings.SMS_BACKEND)()
    attempts, gateway_id, error = 0, "", None
    while True:
        attempts += 1
        try:
            gateway_id = backend.send(phone, message)
            error = None
            break
        except SmsTransientError as transient:
            error = transient
            if attempts >= settings.SMS_SEND_ATTEMPTS:
                break
            time.sleep(settings.SMS_RETRY_SECONDS * attempts)
        except SmsRefused as refused:
            error = refused
            break
    record = TextMessageRecord.objects.create(
        user=user, phone=mask(phone), message=message.name, backend=settings.SMS_BACKEND.rsplit(".", 1)[-1],
        parameters={name: ("*" * len(value) if name in SECRET_PARAMETERS else value) for name, value in message.values},
        status=TextMessageRecord.Status.FAILED if error else TextMessageRecord.Status.SENT,
        gateway_id=gateway_id[:100], error=str(error or "")[:500], attempts=attempts,
    )
    if error:
        logger.error("SMS %s to %s failed after %d attempt(s): %s", message.name, mask(phone), attempts, error)
        raise SmsFailed(str(error))
    logger.info("SMS %s sent to %s (%s)", message.name, mask(phone), gateway_id or "no gateway id")
    return record


def sms_send_after_commit(*, phone: str, message: BoundTextMessage, user: User | None = None) -> None:
    """For messages sent because something was saved: sent once it commits; a failure is recorded and logged
    (sms_send) and does not undo what was saved."""
    try:
        sms_send(phone=phone, message=message, user=user)
    except SmsFailed:
        pass
