"""Flask extensions, created unbound here and bound to the app inside ``create_app``."""
import json

import flask_login
from flask import session
from flask.sessions import SecureCookieSessionInterface
from flask_babel import Babel
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData

from portal import signing

# Named constraints so Alembic migrations are deterministic on SQLite and PostgreSQL alike.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}



class LoginManager(flask_login.LoginManager):
    """Flask-Login's manager, with session protection applied to signed-in sessions only.

    In "strong" mode Flask-Login takes any non-empty session without its identifier for a stolen one
    (maxcountryman/flask-login#569): an anonymous visitor holding a session (a CSRF token, a report's query code)
    had it marked "_remember: clear" on every request, so every response re-signed the session cookie and sent a
    remember-cookie deletion, and no public page could be cached. A session that nobody is signed in to has no
    identity to steal."""

    def _session_protection_failed(self):
        if "_user_id" not in session:
            return False
        return super()._session_protection_failed()


class PlainJSONSessionSerializer:
    """The session cookie's payload as plain JSON.

    Our sessions hold only strings, numbers, booleans, lists and dicts (CSRF token, Flask-Login's keys, query codes,
    flashed messages, whose (category, text) pairs come back as lists and unpack alike). Flask's default tagged
    serializer, which also round-trips tuples, bytes, Markup, UUIDs and datetimes, cost five times as much on every
    request that reads or writes a session. Anything else is stored as its text."""

    def dumps(self, value):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)

    def loads(self, value):
        return json.loads(value)


class SessionInterface(SecureCookieSessionInterface):
    serializer = PlainJSONSessionSerializer()

    def get_signing_serializer(self, app):
        """Flask's serializer for the session cookie, kept per secret key instead of built twice per request."""
        if not app.secret_key:
            return None
        keys = (*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key)  # the current key last
        return signing.timed_serializer(keys, self.salt, self.serializer, self.key_derivation, self.digest_method)


db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING))
migrate = Migrate(render_as_batch=True, compare_type=True)
babel = Babel()
csrf = signing.KeptCSRFProtect()  # Flask-WTF's, checking tokens with a kept serializer
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
compress = Compress()
