"""What each role may do. Every staff route names one permission; this table is the single place to change it."""
import enum
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from portal.auth.models import Role


class Permission(enum.Enum):
    CONSOLE = "console"  # the console shell and one's own account
    REGISTRY_VIEW = "registry_view"  # browse areas, units, points, categories, routing rules
    REGISTRY_EDIT = "registry_edit"  # create, edit, (de)activate, import
    QR_PRINT = "qr_print"  # download QR codes and print placards
    QR_REVOKE = "qr_revoke"  # regenerate a point's QR code (the old placard stops working)
    USERS_MANAGE = "users_manage"
    SETTINGS_EDIT = "settings_edit"
    AUDIT_VIEW = "audit_view"


ALL_STAFF = frozenset(Role)

ALLOWED = {
    Permission.CONSOLE: ALL_STAFF,
    Permission.REGISTRY_VIEW: frozenset({Role.ADMIN, Role.DISPATCHER, Role.OPERATOR, Role.MODERATOR, Role.LEADER}),
    Permission.REGISTRY_EDIT: frozenset({Role.ADMIN}),
    Permission.QR_PRINT: frozenset({Role.ADMIN, Role.DISPATCHER}),
    Permission.QR_REVOKE: frozenset({Role.ADMIN}),
    Permission.USERS_MANAGE: frozenset({Role.ADMIN}),
    Permission.SETTINGS_EDIT: frozenset({Role.ADMIN}),
    Permission.AUDIT_VIEW: frozenset({Role.ADMIN}),
}


def can(user, permission):
    return bool(user and user.is_authenticated and user.active and user.role in ALLOWED[permission])


def require(permission):
    """View decorator: login first (redirect to the login page), then the role check (403 page)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not can(current_user, permission):
                abort(403)
            return view(*args, **kwargs)

        wrapped.permission = permission
        return wrapped

    return decorator
