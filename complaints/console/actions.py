"""The lifecycle steps staff take on a case page: who may take each, when it is offered, and what it calls.

Each step is one ``Action``: a permission, the event kind whose transition it makes (``Case.can`` decides
whether it is offered), a form, and a runner that calls exactly one service. The case page shows the steps
``available`` to the reader; the POST route checks the same predicate, so what is offered is what is allowed.
"""
from dataclasses import dataclass, field
from typing import Callable

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp

from complaints import handling, queries, reopening, services, steps
from complaints.console.forms import (
    ConfirmForm,
    DecideExtensionForm,
    DispatchForm,
    ExtensionForm,
    FileForm,
    FollowupForm,
    HandleForm,
    MergeForm,
    NoteForm,
    ReasonForm,
    RemarkForm,
    VerifyForm,
    rating_choices,
    unit_choices,
)
from complaints.models import EventKind
from portal import photos as photo_files
from portal.auth.permissions import Permission, can
from portal.city import get_city_settings
from portal.extensions import db
from portal.registry.models import Unit


class FieldProblem(Exception):
    """Input a runner refuses before any service is called: ``messages`` belong to form field ``field``."""

    def __init__(self, field, messages):
        super().__init__(field)
        self.field, self.messages = field, list(messages)


@dataclass(frozen=True)
class Action:
    name: str  # the URL segment and the form prefix
    permission: Permission
    kind: EventKind  # Case.can(kind) decides whether the step is offered
    form: type
    title: object
    button: object
    run: Callable  # (case, form, actor) -> None; calls one service and may raise CaseError/FieldProblem
    done: object  # the flash after success
    style: str = "primary"
    unit_only: bool = False  # only the handler of the unit the case is with
    when: Callable = lambda case: True  # further conditions besides the state
    prepare: Callable = lambda form, case: None  # choices and defaults
    choice_field: str = ""  # a RadioField rendered as one submit button per choice ...
    choice_buttons: tuple = field(default=())  # ... of (value, label, button style)

    @property
    def endpoint(self):
        return "act_" + self.name.replace("-", "_")

    def available(self, case, user):
        return (can(user, self.permission) and case.can(self.kind)
                and (not self.unit_only or (user.unit_id is not None and user.unit_id == case.unit_id))
                and bool(self.when(case)))

    def build(self, case, posted=False):
        """The step's form: empty for the case page, or bound to the request's data when ``posted``."""
        form = self.form(prefix=self.name) if posted else self.form(prefix=self.name, formdata=None)
        self.prepare(form, case)
        return form


# ---------------------------------------------------------------- runners: one service each

def _prepare_dispatch(form, case):
    form.unit.choices = unit_choices()


def _dispatch(case, form, actor):
    handling.dispatch_case(case, db.session.get(Unit, form.unit.data) if form.unit.data else None, actor,
                           note=(form.note.data or "").strip() or None)


def _handle(case, form, actor):
    prepared, problems = photo_files.prepare_uploads(form.photos.data or [])
    if problems:
        raise FieldProblem("photos", [p.message for p in problems])
    stored = photo_files.store_photos(prepared)
    try:
        handling.handle_case(case, actor, form.note.data, photos=stored)
    except Exception:
        photo_files.discard(stored)  # the files must not outlive a refused step
        raise


def _extension(case, form, actor):
    handling.request_extension(case, actor, form.kind.data, form.reason.data,
                               hours=form.hours.data if form.kind.data == "extend" else None)


def _decide(case, form, actor):
    request = handling.pending_extension(case)
    if request is None:
        raise steps.CaseError("no_extension")
    handling.decide_extension(request, actor, form.decision.data == "approve", form.note.data)


def _merge(case, form, actor):
    target = queries.find_visible(actor, form.target.data)
    if target is None:
        raise steps.CaseError("merge_target_unknown", field="target")
    handling.merge_cases(case, target, actor)


def _prepare_followup(form, case):
    form.rating.choices = rating_choices(get_city_settings().satisfaction_scale)


def _followup(case, form, actor):
    services.rate_case(case, form.rating.data, form.comment.data, ask_reopen=form.ask_reopen.data, actor=actor)


def _note(case, form, actor):
    handling.add_note(case, actor, form.note.data, public=form.public.data)


# A button's short verb is translated in the context of a case step: "File" is 立案 here, not 文件.
ACTIONS = [
    Action("file", Permission.CASES_DISPATCH, EventKind.FILE, FileForm, _l("File the case (立案)"),
           _lp("case action", "File"),
           lambda case, form, actor: handling.file_case(case, actor, note=(form.note.data or "").strip() or None),
           _l("Case filed.")),
    Action("dispatch", Permission.CASES_DISPATCH, EventKind.DISPATCH, DispatchForm, _l("Dispatch (派遣)"),
           _lp("case action", "Dispatch"), _dispatch, _l("Case dispatched."), prepare=_prepare_dispatch),
    Action("reject", Permission.CASES_DISPATCH, EventKind.REJECT, ReasonForm,
           _l("Do not accept (不予立案): the reporter sees the reason"), _l("Do not accept"),
           lambda case, form, actor: handling.reject_case(case, actor, form.reason.data),
           _l("Case not accepted."), style="outline-danger"),
    Action("merge", Permission.CASES_DISPATCH, EventKind.MERGE, MergeForm, _l("Merge as a duplicate (合并)"),
           _lp("case action", "Merge"), _merge, _l("Case merged as a duplicate."), style="outline-secondary"),
    Action("accept", Permission.CASES_HANDLE, EventKind.ACCEPT, ConfirmForm, _l("Accept the case"),
           _lp("case action", "Accept"), lambda case, form, actor: handling.accept_case(case, actor),
           _l("Case accepted: your unit is handling it."), unit_only=True),
    Action("handle", Permission.CASES_HANDLE, EventKind.HANDLE, HandleForm, _l("Report it handled (处置完成)"),
           _l("Report handled"), _handle, _l("Reported handled: the command centre will check it."),
           unit_only=True),
    Action("extension", Permission.CASES_HANDLE, EventKind.EXTENSION_REQUEST, ExtensionForm,
           _l("Ask for more time (延期 / 缓办)"), _l("Send request"), _extension,
           _l("Request sent to the command centre."), style="outline-primary", unit_only=True,
           when=lambda case: handling.pending_extension(case) is None),
    Action("return", Permission.CASES_HANDLE, EventKind.RETURN, ReasonForm,
           _l("Return as mis-routed (退回)"), _lp("case action", "Return"),
           lambda case, form, actor: handling.return_case(case, actor, form.reason.data),
           _l("Case returned to the command centre."), style="outline-danger", unit_only=True),
    Action("unit-note", Permission.CASES_HANDLE, EventKind.NOTE, NoteForm, _l("Add a note"), _l("Add note"),
           _note, _l("Note added."), style="outline-secondary", unit_only=True),
    Action("verify", Permission.CASES_DISPATCH, EventKind.CLOSE, VerifyForm, _l("Check the result (核查)"),
           _lp("case action", "Check"),
           lambda case, form, actor: handling.verify_case(case, actor, form.result.data == "pass", form.note.data),
           _l("Check recorded."), choice_field="result",
           choice_buttons=(("pass", _l("Passed: close"), "success"), ("fail", _l("Failed: rework"), "danger"))),
    Action("decide-extension", Permission.CASES_DISPATCH, EventKind.EXTENSION_DECISION, DecideExtensionForm,
           _l("Decide the request for more time"), _lp("case action", "Decide"), _decide, _l("Decision recorded."),
           when=lambda case: handling.pending_extension(case) is not None, choice_field="decision",
           choice_buttons=(("approve", _lp("case action", "Approve"), "success"),
                           ("deny", _lp("case action", "Deny"), "danger"))),
    Action("followup", Permission.CASES_FOLLOWUP, EventKind.RATE, FollowupForm,
           _l("Record a phone follow-up (回访)"), _lp("case action", "Record"), _followup, _l("Follow-up recorded."),
           when=lambda case: case.rating is None, prepare=_prepare_followup),
    Action("reopen", Permission.CASES_DISPATCH, EventKind.REOPEN, RemarkForm,
           _l("Reopen to handle again (重办)"), _lp("case action", "Reopen"),
           lambda case, form, actor: reopening.reopen_case(case, actor, form.note.data),
           _l("Case reopened: dispatch it again."), when=lambda case: case.reopen_requested),
    Action("decline-reopen", Permission.CASES_DISPATCH, EventKind.NOTE, RemarkForm,
           _l("Decline to reopen: tell the reporter why"), _lp("case action", "Decline"),
           lambda case, form, actor: reopening.decline_reopen(case, actor, form.note.data),
           _l("Reopening declined; the reporter sees your note."), style="outline-danger",
           when=lambda case: case.reopen_requested),
    Action("rebound", Permission.CASES_DISPATCH, EventKind.REBOUND, RemarkForm,
           _l("The problem came back (反弹)"), _l("Mark rebound"),
           lambda case, form, actor: reopening.mark_rebound(case, actor, form.note.data),
           _l("Marked as rebound: dispatch it again."), style="outline-danger"),
    Action("note", Permission.CASES_INTAKE, EventKind.NOTE, NoteForm, _l("Add a note"), _l("Add note"),
           _note, _l("Note added."), style="outline-secondary"),
]

def available_actions(case, user):
    return [action for action in ACTIONS if action.available(case, user)]
