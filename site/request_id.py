"""The id of the request or task being served, written into every log line (settings.LOGGING), so that what one
request or task did can be found among the lines of all the others. Imports nothing but the standard library:
logging is set up, and the Celery app made, before Django's apps are ready."""
import contextvars
import logging
import re
import uuid

request_id_var = contextvars.ContextVar("request_id", default="-")

# An id from the proxy (nginx's $request_id) is kept only when it looks like one: it goes into every log line.
REQUEST_ID_FORMAT = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def request_id_new(proposed: str = "") -> str:
    return proposed if REQUEST_ID_FORMAT.match(proposed) else uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Puts the id of the request (or task) being served into every log record as ``request_id``."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True
