"""Access helpers shared by the board's console modules: routes open to editors or publishers, and the
exposed unit's scope."""
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from portal.auth.permissions import Permission, can

READERS = (Permission.BOARD_EDIT, Permission.BOARD_PUBLISH)  # may see every item, originals included


def require_any(*permissions):
    """Like ``require``, for a route that any of ``permissions`` opens (the first one names it)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not any(can(current_user, p) for p in permissions):
                abort(403)
            return view(*args, **kwargs)

        wrapped.permission = permissions[0]
        wrapped.permissions = permissions
        return wrapped

    return decorator


def is_reader(user):
    return any(can(user, p) for p in READERS)


class PhotoFiles:
    """The two storage keys ``portal.photos.send_photo`` serves (an item photo's original or published pair,
    or an appeal's evidence)."""

    def __init__(self, key, thumb_key):
        self.key, self.thumb_key = key, thumb_key
