"""The board's console item page as the reader sees it: the item with its forms (a refused one shown with its
errors), the text-check findings, what stands in the way of publication, and the editorial steps the reader may
take now; and the table of those steps (who may take each, its form, the service it calls, the message after).
"""
from flask import render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from oversight.board import checks, publishing, rules
from oversight.board.console_forms import (
    ACTIONS,
    BOARD_ERRORS,
    ConfirmForm,
    DecideAppealForm,
    EditItemForm,
    EntryForm,
    OptionalReasonForm,
    PublishForm,
    ReasonForm,
    RedactForm,
)
from oversight.board.models import EditorialState
from portal.auth.permissions import Permission, can
from portal.city import city_today

STEPS = {
    "submit": (Permission.BOARD_EDIT,),
    "send_back": (Permission.BOARD_EDIT,),
    "publish": (Permission.BOARD_PUBLISH,),
    "archive": (Permission.BOARD_EDIT,),
    "take_down": (Permission.BOARD_EDIT, Permission.BOARD_PUBLISH),
}
# step -> (form, runner calling one service, message after success)
STEP_RUNS = {
    "submit": (lambda: ConfirmForm(), lambda item, form, actor: publishing.submit_for_review(item, actor),
               _l("Submitted for review; the unit has been notified.")),
    "send_back": (lambda: ReasonForm(prefix="send_back"),
                  lambda item, form, actor: publishing.send_back(item, actor, form.reason.data),
                  _l("Sent back to draft.")),
    "publish": (lambda: PublishForm(),
                lambda item, form, actor: publishing.publish(item, actor, confirm_warnings=form.confirm_warnings.data),
                _l("Published.")),
    "archive": (lambda: OptionalReasonForm(prefix="archive"),
                lambda item, form, actor: publishing.archive(item, actor, form.reason.data), _l("Archived.")),
    "take_down": (lambda: ReasonForm(prefix="take_down"),
                  lambda item, form, actor: publishing.take_down(item, actor, form.reason.data), _l("Taken down.")),
}


def edit_form(item):
    form = EditItemForm(formdata=None, obj=item).fill_choices()
    form.kind.data = item.kind.value
    form.unit.data, form.area.data, form.category.data = item.unit_id, item.area_id, item.category_id
    form.point_code.data = item.point.code if item.point else ""
    return form


def render_item(item, failed=None, status=200):
    """The item page; ``failed`` is (form name, bound form) to show a refused input with its errors."""
    today = city_today()
    forms = {
        "entry": EntryForm(formdata=None, reported_on=today),
        "submit": ConfirmForm(formdata=None), "send_back": ReasonForm(formdata=None, prefix="send_back"),
        "publish": PublishForm(formdata=None), "archive": OptionalReasonForm(formdata=None, prefix="archive"),
        "take_down": ReasonForm(formdata=None, prefix="take_down"),
        "decide": DecideAppealForm(formdata=None), "redact": RedactForm(formdata=None),
    }
    if failed:
        forms[failed[0]] = failed[1]
    findings = checks.check_item(item)
    return render_template(
        "board/console/item.html", item=item, forms=forms, actions=ACTIONS, failed=failed, findings=findings,
        steps=available_steps(item), today=today, status=item.status(today),
        blockers=publishing.publication_blockers(item, confirm_warnings=True) if item.state == EditorialState.REVIEW
        else [], notice_ends=rules.notice_ends_at(item), error_messages=BOARD_ERRORS,
        failed_photo=(request.view_args or {}).get("board_photo_id") if failed and failed[0] == "redact" else None,
    ), status


def available_steps(item):
    """The editorial steps the reader may take now (what is offered is what the POST allows)."""
    steps = []
    for name, permissions in STEPS.items():
        if item.can(name) and any(can(current_user, p) for p in permissions):
            steps.append(name)
    return steps

