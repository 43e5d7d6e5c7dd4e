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
    CASES_VIEW = "cases_view"  # case lists and details (handlers: their unit; inspectors: their areas)
    CASES_INTAKE = "cases_intake"  # the hotline console: type in calls, letters, box, media, superior cases
    CASES_DISPATCH = "cases_dispatch"  # file, reject, dispatch, verify, close, merge, reopen, decide extensions
    CASES_HANDLE = "cases_handle"  # a unit's work: accept, note, handle with after-photos, return, ask for time
    CASES_FOLLOWUP = "cases_followup"  # record a 回访 made by phone
    PHONE_REVEAL = "phone_reveal"  # see a reporter's full phone number (each reveal is audit-logged)
    CASES_EXPORT = "cases_export"  # the ledger (台账) as CSV/XLSX and printable records
    NOTIFICATIONS_VIEW = "notifications_view"  # the delivery log of outbound messages
    SURVEYS_MANAGE = "surveys_manage"  # build, open, close, clone surveys; tokens, quotas, posters
    SURVEYS_RESULTS = "surveys_results"  # results, quality flags and exclusions, exports
    SCORECARDS_VIEW = "scorecards_view"  # leader dashboard, unit/area scorecards, bulletins, rankings, exports
    SCORECARDS_CONFIGURE = "scorecards_configure"  # composite weights, targets, veto lines, list rules, ladder
    BULLETINS_PUBLISH = "bulletins_publish"  # publish a stored 旬通报 / 月评比 / 红黑榜 snapshot to the board
    SUPERVISION_VIEW = "supervision_view"  # 催办/督办单 and the strikes of the escalation ladder (handlers: own unit)
    SUPERVISION_MANAGE = "supervision_manage"  # issue a 督办单 by hand, clear a unit's strikes
    SCHEDULER_VIEW = "scheduler_view"  # which jobs ran when, and which process holds the scheduler lock
    BOARD_EDIT = "board_edit"  # 曝光台 drafts, follow-ups, redaction, submit for review, appeals, archive
    BOARD_PUBLISH = "board_publish"  # approve a reviewed item for publication; take an item down
    BOARD_APPEAL = "board_appeal"  # an exposed unit's staff: see notices about their unit and file 申诉
    API_KEYS_MANAGE = "api_keys_manage"  # issue, list and revoke the Open311 API keys of integrating systems


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
    Permission.CASES_VIEW: ALL_STAFF,
    Permission.CASES_INTAKE: frozenset({Role.ADMIN, Role.DISPATCHER, Role.OPERATOR}),
    Permission.CASES_DISPATCH: frozenset({Role.ADMIN, Role.DISPATCHER}),
    Permission.CASES_HANDLE: frozenset({Role.HANDLER}),
    Permission.CASES_FOLLOWUP: frozenset({Role.ADMIN, Role.DISPATCHER, Role.OPERATOR}),
    Permission.PHONE_REVEAL: frozenset({Role.DISPATCHER, Role.OPERATOR}),
    Permission.CASES_EXPORT: frozenset({Role.ADMIN, Role.DISPATCHER, Role.LEADER}),
    Permission.NOTIFICATIONS_VIEW: frozenset({Role.ADMIN, Role.DISPATCHER}),
    Permission.SURVEYS_MANAGE: frozenset({Role.ADMIN}),
    Permission.SURVEYS_RESULTS: frozenset({Role.ADMIN, Role.DISPATCHER, Role.LEADER}),
    Permission.SCORECARDS_VIEW: frozenset({Role.ADMIN, Role.DISPATCHER, Role.LEADER, Role.MODERATOR}),
    Permission.SCORECARDS_CONFIGURE: frozenset({Role.ADMIN}),
    Permission.BULLETINS_PUBLISH: frozenset({Role.ADMIN, Role.LEADER}),
    Permission.SUPERVISION_VIEW: frozenset({Role.ADMIN, Role.DISPATCHER, Role.LEADER, Role.HANDLER}),
    Permission.SUPERVISION_MANAGE: frozenset({Role.ADMIN, Role.DISPATCHER}),
    Permission.SCHEDULER_VIEW: frozenset({Role.ADMIN}),
    Permission.BOARD_EDIT: frozenset({Role.ADMIN, Role.MODERATOR}),
    Permission.BOARD_PUBLISH: frozenset({Role.ADMIN, Role.LEADER}),
    Permission.BOARD_APPEAL: frozenset({Role.HANDLER}),
    Permission.API_KEYS_MANAGE: frozenset({Role.ADMIN}),
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
