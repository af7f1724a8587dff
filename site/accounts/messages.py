"""Every text message (SMS) the platform sends: a catalogue of named templates with named parameters.

The domestic gateways (Aliyun, Tencent Cloud) send only templates approved in advance, filled with parameters;
each message here maps onto one such template by its name (SMS_TEMPLATE_CODES), and its wording below is what
is submitted for approval, in each language. The order of ``parameters`` is the order of Tencent's numbered
parameters ({1}, {2}…). A parameter is never empty: a template whose end would be blank gets a sibling
without it (an application rejected without a reason), so no message ends on a colon.

Imports nothing of the project: the production settings read the names to check the gateway's configuration.
"""
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


class MessageParameterMissing(ValueError):
    pass


@dataclass(frozen=True)
class TextMessage:
    name: str
    parameters: tuple[str, ...]
    wording: str

    def bind(self, **values) -> "BoundTextMessage":
        """This message with its parameters, each as text and none empty."""
        given = {name: str(value).strip() for name, value in values.items()}
        if set(given) != set(self.parameters):
            raise MessageParameterMissing(f"{self.name} takes {', '.join(self.parameters)}, not {', '.join(given)}")
        empty = [name for name, value in given.items() if not value]
        if empty:
            raise MessageParameterMissing(f"{self.name}: {', '.join(empty)} is empty")
        return BoundTextMessage(self, tuple((name, given[name]) for name in self.parameters))


@dataclass(frozen=True)
class BoundTextMessage:
    message: TextMessage
    values: tuple[tuple[str, str], ...]

    @property
    def name(self) -> str:
        return self.message.name

    @property
    def parameters(self) -> dict[str, str]:
        return dict(self.values)

    def text(self) -> str:
        """The wording in the active language, as the gateway's template would fill it."""
        return str(self.message.wording) % self.parameters


SIGN_IN_CODE = TextMessage(
    "sign_in_code", ("code", "minutes"),
    _("Your sign-in code is %(code)s. It is valid for %(minutes)s minutes; do not share it."),
)
MOBILE_CHANGE_CODE = TextMessage(
    "mobile_change_code", ("code", "minutes"),
    _("Your confirmation code for the new mobile number of your training platform account is %(code)s, "
      "valid for %(minutes)s minutes. It does not sign you in: enter it on your page after signing in. "
      "If you did not expect it, ignore this message."),
)
MOBILE_CHANGE_ENTERED = TextMessage(
    "mobile_change_entered", ("phone",),
    _("A new mobile number %(phone)s was entered for your training platform account. Confirm or decline it on "
      "your page after signing in."),
)
MOBILE_CHANGED = TextMessage(
    "mobile_changed", ("phone",),
    _("You now sign in with %(phone)s. If you did not do this, tell your administrator at once."),
)
APPLICATION_APPROVED = TextMessage(
    "application_approved", ("session",),
    _("Your application for %(session)s is approved. Sign in to see the details."),
)
APPLICATION_REJECTED = TextMessage(
    "application_rejected", ("session", "reason"),
    _("Your application for %(session)s is rejected. Reason: %(reason)s"),
)
APPLICATION_REJECTED_WITHOUT_REASON = TextMessage(
    "application_rejected_without_reason", ("session",),
    _("Your application for %(session)s is rejected. Sign in to see the details."),
)
TRAINING_DUE = TextMessage(
    "training_due", ("plan", "deadline", "days"),
    _("“%(plan)s” is due on %(deadline)s (days left: %(days)s) and your training is not complete."),
)
TRAINING_DUE_TODAY = TextMessage(
    "training_due_today", ("plan",),
    _("Today is the deadline of “%(plan)s” and your training is not complete."),
)
TRAINING_OVERDUE = TextMessage(
    "training_overdue", ("plan", "deadline"),
    _("The deadline of “%(plan)s” was %(deadline)s and your training is not complete. Please complete it as soon "
      "as you can."),
)
ADMINISTRATOR_DIGEST = TextMessage(
    "administrator_digest", ("region", "untrained"),
    _("This week in %(region)s, %(untrained)s people still have training to complete. The figures are on the "
      "platform."),
)

RESULT_PASSED = TextMessage(
    "result_passed", ("session", "level", "centre"),
    _("You passed %(level)s in %(session)s (%(centre)s). Your certificate will follow; sign in to see your "
      "results."),
)
RESULT_FAILED = TextMessage(
    "result_failed", ("session", "level", "centre"),
    _("You did not pass %(level)s in %(session)s (%(centre)s). Sign in to see the result of each part."),
)
CERTIFICATE_ISSUED = TextMessage(
    "certificate_issued", ("level", "number"),
    _("Your certificate of %(level)s, number %(number)s, is issued. Sign in to download it."),
)

CATALOGUE: dict[str, TextMessage] = {
    message.name: message
    for message in (
        SIGN_IN_CODE, MOBILE_CHANGE_CODE, MOBILE_CHANGE_ENTERED, MOBILE_CHANGED, APPLICATION_APPROVED,
        APPLICATION_REJECTED, APPLICATION_REJECTED_WITHOUT_REASON, TRAINING_DUE, TRAINING_DUE_TODAY,
        TRAINING_OVERDUE, ADMINISTRATOR_DIGEST, RESULT_PASSED, RESULT_FAILED,
        CERTIFICATE_ISSUED,
    )
}

# Parameters that are secrets of the recipient: never stored or logged in clear.
SECRET_PARAMETERS = frozenset({"code"})
