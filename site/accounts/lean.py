"""Who is signed in, for a request on the lean path (academy.middleware.LeanPathMiddleware) that makes one
database statement: the session names the user, and that statement itself checks the user's row, instead of a
look-up of the row first (django.contrib.auth.get_user).

get_user accepts a session when the user exists and is active, the session's backend is configured, and the
session's hash of the password matches the user's password now: a password changed elsewhere signs every other
session out. After such a full check (the lesson page's opening, or any request that made one),
``session_user_remember`` keeps a digest of that password in the session, which lives on the server. A lean
request then takes the user id from the session and adds ``session_user_people`` to its statement: the person of
that user, provided the account is still active and its password is still the one checked. A password changed or
an account closed since makes the statement match nothing, and the request takes the full path, where
get_user signs the session out as it always did.
"""
import functools
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, SESSION_KEY
from django.db import connection

from .models import User

PASSWORD_DIGEST_KEY = "_lean_password_digest"


# SHA-256 of the password column in hexadecimal, as ``password_digest`` computes it: PostgreSQL's own sha256()
# (Django's SHA256 there needs the pgcrypto extension); on SQLite, the function Django registers.
_PASSWORD_DIGEST_SQL = {"postgresql": "encode(sha256(convert_to({}, 'UTF8')), 'hex')", "sqlite": "SHA256({})"}


@dataclass(frozen=True)
class SessionUser:
    user_id: int
    password_digest: str


def password_digest(password: str) -> str:
    return hashlib.sha256(password.encode()).hexdigest()


def session_user_data(user: User) -> dict:
    """What session_user_remember keeps in a session of ``user``, checked in full just now."""
    return {PASSWORD_DIGEST_KEY: password_digest(user.password)}


def session_user_remember(request) -> None:
    """After request.user was checked in full (get_user): lets lean requests of this session name the user."""
    if request.user.is_authenticated:
        digest = password_digest(request.user.password)
        if request.session.get(PASSWORD_DIGEST_KEY) != digest:  # written only when it changed
            request.session[PASSWORD_DIGEST_KEY] = digest


def session_user(request) -> SessionUser | None:
    """The user the session names, without a query; None unless a full check was remembered in it."""
    session = request.session
    user_id, digest = session.get(SESSION_KEY), session.get(PASSWORD_DIGEST_KEY)
    if user_id is None or digest is None or session.get(BACKEND_SESSION_KEY) not in settings.AUTHENTICATION_BACKENDS:
        return None
    return SessionUser(user_id=int(user_id), password_digest=digest)


def session_user_people(user: SessionUser) -> tuple[str, list]:
    """The user's person, as the SQL of a subquery of the request's one statement and its parameters: nothing if
    the account was closed or its password changed since the session was checked in full."""
    return _session_user_people_sql(connection.vendor), [user.user_id, True, user.password_digest]


@functools.cache
def _session_user_people_sql(vendor: str) -> str:
    """Written out once per process: built by the ORM, it cost more CPU on every heartbeat than the check."""
    quote = connection.ops.quote_name
    column = {field.attname: quote(field.column) for field in User._meta.concrete_fields}
    digest = _PASSWORD_DIGEST_SQL[vendor].format(column["password"])
    return (
        f"SELECT {column['person_id']} FROM {quote(User._meta.db_table)} WHERE {column['id']} = %s"
        f" AND {column['is_active']} = %s AND {column['person_id']} IS NOT NULL AND {digest} = %s"
    )
