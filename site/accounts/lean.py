"""Who is signed in, for a request on the lean path (academy.middleware.LeanPathMiddleware) that makes one
database statement, without reading the session: the statement itself checks the user's row and the session's.

get_user accepts a session when the user exists and is active, the session's backend is configured, and the
session's hash of the password matches the user's password now: a password changed elsewhere signs every other
session out. After such a full check (the lesson page's opening, or a heartbeat's answer on the full path), the
page is given a state signed by the server (courses/progress.py) that names the user and carries ``session_tag``:
a digest, keyed with a secret of the server, of that session's key and the user's password. A lean request takes
the user from the state and adds ``session_user_people`` to its statement: the person of that user, provided the
account is still active, the session key the request sent and the password now still give the tag, and the
session is still in the database and not expired (sessions are kept there as well as in the cache: cached_db).
A sign-out (the session deleted), a password changed, an account closed, or a state given in another session,
makes the statement match nothing, and the request takes the full path, where get_user decides as always.

The session is not read: no round trip to the cache and no decoding on the platform's hottest path.
"""
import functools
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.utils import timezone
from django.utils.crypto import salted_hmac

from .models import User

# The session engines that keep each session's row in the database, which the statement looks for.
DATABASE_SESSION_ENGINES = {"django.contrib.sessions.backends.db", "django.contrib.sessions.backends.cached_db"}

# SHA-256 in hexadecimal of a parameter followed by the password column, as ``session_tag`` computes it:
# PostgreSQL's own sha256() (Django's SHA256 there needs the pgcrypto extension); on SQLite, the function
# Django registers.
_TAG_SQL = {"postgresql": "encode(sha256(convert_to(%s || {}, 'UTF8')), 'hex')", "sqlite": "SHA256(%s || {})"}


@dataclass(frozen=True)
class SessionUser:
    user_id: int
    session_key: str
    tag: str


@functools.lru_cache(maxsize=4)
def _tag_key(secret_key: str) -> str:
    """The tag's secret: derived from SECRET_KEY, so a page cannot make a tag for another session."""
    return salted_hmac("academy.accounts.lean.session_tag", "tag key", secret=secret_key).hexdigest()


def session_tag(session_key: str, password: str) -> str:
    """The digest binding a signed state to one session and one password of its user."""
    return hashlib.sha256((_tag_key(settings.SECRET_KEY) + session_key + password).encode()).hexdigest()


def request_session_tag(request) -> str:
    """The tag of a request whose user was checked in full (request.user); empty without a signed-in session
    that keeps its row in the database."""
    session_key = request.session.session_key
    if not (request.user.is_authenticated and session_key and settings.SESSION_ENGINE in DATABASE_SESSION_ENGINES):
        return ""
    return session_tag(session_key, request.user.password)


def session_user(request, *, user_id: int, tag: str) -> SessionUser | None:
    """The user a signed state names, with the session key the request sent, for the statement to check; None
    without a session cookie or a tag."""
    session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if not (session_key and tag):
        return None
    return SessionUser(user_id=user_id, session_key=session_key, tag=tag)


def session_user_people(user: SessionUser) -> tuple[str, list]:
    """The user's person, as the SQL of a subquery of the request's one statement and its parameters: nothing if
    the session ended, the account was closed or its password changed since the tag was made, or the tag was made
    for another session."""
    now = Session._meta.get_field("expire_date").get_db_prep_value(timezone.now(), connection)
    return _session_user_people_sql(connection.vendor), [
        user.user_id, True, _tag_key(settings.SECRET_KEY) + user.session_key, user.tag, user.session_key, now,
    ]


@functools.cache
def _session_user_people_sql(vendor: str) -> str:
    """Written out once per process: built by the ORM, it cost more CPU on every heartbeat than the check."""
    quote = connection.ops.quote_name
    column = {field.attname: quote(field.column) for field in User._meta.concrete_fields}
    session = {field.attname: quote(field.column) for field in Session._meta.concrete_fields}
    tag = _TAG_SQL[vendor].format(column["password"])
    return (
        f"SELECT {column['person_id']} FROM {quote(User._meta.db_table)} WHERE {column['id']} = %s"
        f" AND {column['is_active']} = %s AND {column['person_id']} IS NOT NULL AND {tag} = %s"
        f" AND EXISTS (SELECT 1 FROM {quote(Session._meta.db_table)} WHERE {session['session_key']} = %s"
        f" AND {session['expire_date']} > %s)"
    )
