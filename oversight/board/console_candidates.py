"""The moderator's queue of candidates (nested blueprint ``board_console.candidates``): proposals from the
escalation ladder, turned into a draft with one click or dismissed with a reason."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from oversight.board import items
from oversight.board.candidates import cluster_days, cluster_threshold, propose_candidates
from oversight.board.console_forms import ConfirmForm, DismissForm, error_message
from oversight.board.models import Candidate
from oversight.board.rules import BoardError
from portal.auth.permissions import Permission, require
from portal.extensions import db

bp = Blueprint("candidates", __name__, url_prefix="/candidates")

CANDIDATE = "/<int(max=2147483647):candidate_id>"


def candidate_or_404(candidate_id):
    return db.get_or_404(Candidate, candidate_id)


@bp.get("/")
@require(Permission.BOARD_EDIT)
def queue(dismiss_form=None, failed_id=None):
    propose_candidates()  # idempotent: the page is never behind the scheduler
    db.session.commit()
    candidates = db.session.execute(
        db.select(Candidate).where(Candidate.state == "open").order_by(Candidate.created_at.desc(), Candidate.id.desc())
    ).scalars().all()
    decided = db.session.execute(
        db.select(Candidate).where(Candidate.state != "open").order_by(Candidate.decided_at.desc()).limit(20)
    ).scalars().all()
    return render_template("board/console/candidates.html", candidates=candidates, decided=decided,
                           use_form=ConfirmForm(formdata=None), dismiss_form=dismiss_form or DismissForm(formdata=None),
                           failed_id=failed_id, days=cluster_days(), threshold=cluster_threshold())


@bp.post(f"{CANDIDATE}/use")
@require(Permission.BOARD_EDIT)
def use(candidate_id):
    candidate = candidate_or_404(candidate_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        item = items.create_item_from_candidate(candidate, current_user)
    except BoardError as error:
        db.session.rollback()
        flash(error_message(error), "danger")
        return redirect(url_for(".queue"))
    db.session.commit()
    flash(_("Draft made from the candidate."), "success")
    return redirect(url_for("board_console.item", item_id=item.id))


@bp.post(f"{CANDIDATE}/dismiss")
@require(Permission.BOARD_EDIT)
def dismiss(candidate_id):
    candidate = candidate_or_404(candidate_id)
    form = DismissForm()
    if not form.validate_on_submit():
        return queue(dismiss_form=form, failed_id=candidate.id), 400
    try:
        items.dismiss_candidate(candidate, current_user, form.reason.data)
    except BoardError as error:
        db.session.rollback()
        flash(error_message(error), "danger")
        return redirect(url_for(".queue"))
    db.session.commit()
    flash(_("Candidate dismissed."), "success")
    return redirect(url_for(".queue"))
