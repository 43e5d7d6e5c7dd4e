"""Accounts: signing in, passwords, and creating or changing staff users."""
from portal.auth import audit
from portal.auth.models import Role, User
from portal.clock import utcnow
from portal.extensions import db

MIN_PASSWORD_LENGTH = 8


class AuthError(Exception):
    """A sign-in or account change that must be refused; the message is shown to the user."""


def authenticate(username, password):
    user = db.session.execute(db.select(User).filter_by(username=(username or "").strip())).scalar_one_or_none()
    if user is None or not user.check_password(password or "") or not user.active:
        raise AuthError("invalid")
    user.last_login_at = utcnow()
    audit.record(user, "login", user, summary=user.username)
    db.session.flush()
    return user


def sign_out(user):
    """End the user's sessions on the server: a session cookie kept from before (copied, or left on a shared
    computer) no longer names the current session version, so it opens nothing. Signs out every device."""
    user.session_version += 1
    audit.record(user, "logout", user, summary=user.username)
    db.session.flush()


def load_user(session_id):
    """Flask-Login loader: the id carries the session version, so a password change ends old sessions."""
    try:
        user_id, version = (int(part) for part in session_id.split(":"))
    except (ValueError, AttributeError):
        return None
    user = db.session.get(User, user_id)
    if user is None or user.session_version != version or not user.active:
        return None
    return user


def change_password(user, current, new, actor):
    if not user.check_password(current):
        raise AuthError("current")
    set_password(user, new, actor)


def set_password(user, new, actor):
    user.set_password(new)
    audit.record(actor, "password", user, summary=user.username)
    db.session.flush()


USER_FIELDS = ("username", "display_name", "role", "unit_id", "phone", "active")


def save_user(user, data, actor, password=None):
    """Create (user without id) or update a staff account from validated form data."""
    if user.id is not None and user.id == getattr(actor, "id", None):
        if not data.get("active", True) or data.get("role", user.role) != user.role:
            raise AuthError("self")  # an admin must not lock themselves out
    username = data.get("username", user.username)
    taken = db.select(User.id).where(User.username == username, User.id != (user.id or 0))
    if db.session.execute(taken).first() is not None:
        raise AuthError("username_taken")
    before = audit.snapshot(user, USER_FIELDS) if user.id else {}
    areas = data.pop("areas", None)
    for key, value in data.items():
        setattr(user, key, value)
    if user.role != Role.HANDLER:
        user.unit_id = None
    if areas is not None:
        user.areas = areas if user.role == Role.INSPECTOR else []
    if password:
        user.set_password(password)
    is_new = user.id is None
    db.session.add(user)
    db.session.flush()
    after = audit.snapshot(user, USER_FIELDS)
    audit.record(actor, "create" if is_new else "update", user, summary=user.username,
                 changes=after if is_new else audit.diff(before, after))
    return user


def set_user_active(user, active, actor):
    if user.id == actor.id and not active:
        raise AuthError("self")
    user.active = active
    if not active:
        user.session_version += 1
    audit.record(actor, "activate" if active else "deactivate", user, summary=user.username)
    db.session.flush()
    return user
