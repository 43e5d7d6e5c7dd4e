"""Console pages for the records: the case ledger (台账) exports, a case's printable record, the delivery log."""
from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from complaints.ledger import records as ledger
from complaints.models import CaseState, Channel
from portal import exports, notify
from portal.auth.permissions import Permission, require
from portal.clock import utcnow
from portal.extensions import db
from portal.registry import services as registry
from portal.registry.models import Category, Unit

bp = Blueprint("ledger", __name__, url_prefix="/console/ledger", template_folder="templates")

STATUS_LABELS = {"pending": _l("Pending"), "sending": _l("Sending"), "sent": _l("Sent"), "failed": _l("Failed")}
CHANNEL_LABELS = {"sms": _l("SMS"), "wechat": _l("WeChat"), "robot": _l("Group robot"),
                  "log": _l("Log (no gateway)")}
RETRY_INLINE = 50  # failed messages re-sent while the page waits; the rest go with the next command run


@bp.get("/")
@require(Permission.CASES_EXPORT)
def index():
    """The ledger's filters, the two downloads and a box to open a case's printable record."""
    categories = db.session.execute(db.select(Category).order_by(Category.sort_order, Category.code)).scalars()
    return render_template(
        "complaints/ledger/index.html", args=request.args, states=CaseState.choices(), channels=Channel.choices(),
        units=db.session.execute(registry.search(Unit)).scalars().all(), areas=registry.area_choices(),
        categories=[(c.id, ("" if c.is_group else "\u3000") + c.display_name) for c in categories],
    )


@bp.get("/record")
@require(Permission.CASES_EXPORT)
def find_record():
    number = (request.args.get("number") or "").strip()
    return redirect(url_for(".case_record", number=number)) if number else redirect(url_for(".index"))


@bp.get("/cases.csv")
@require(Permission.CASES_EXPORT)
def cases_csv():
    filters = ledger.ledger_filter(request.args)
    ledger.record_export(current_user, "csv", filters)
    db.session.commit()  # the audit entry stands even if the download is broken off
    name, fallback = ledger.export_names()
    return exports.send_csv(ledger.table(ledger.ledger_rows(filters)), f"{name}.csv", f"{fallback}.csv",
                            exports.csv_encoding(request.args.get("encoding")), stream=True)


@bp.get("/cases.xlsx")
@require(Permission.CASES_EXPORT)
def cases_xlsx():
    filters = ledger.ledger_filter(request.args)
    ledger.record_export(current_user, "xlsx", filters)
    db.session.commit()
    name, fallback = ledger.export_names()
    return exports.send_xlsx(ledger.table(ledger.ledger_rows(filters)), f"{name}.xlsx", _("Case ledger"),
                             f"{fallback}.xlsx", widths=ledger.widths(), freeze="A2")


@bp.get("/cases/<number>/record")
@require(Permission.CASES_EXPORT)
def case_record(number):
    """The A4 record of one case: 原始记录, 办结记录 and the whole timeline (the phone masked)."""
    case = ledger.record_case(number)
    if case is None:
        abort(404)
    page = render_template(
        "complaints/ledger/record.html", case=case, closing=ledger.closing_record(case),
        answers=ledger.answers_shown(case), photo_url=ledger.photo_url, now=utcnow(),
        reporter=ledger.masked_reporter(case),
    )
    ledger.record_printout(current_user, case)  # after rendering: the loaded case is not expired by the commit
    db.session.commit()
    return page


@bp.get("/notifications")
@require(Permission.NOTIFICATIONS_VIEW)
def notifications():
    """The delivery log: every message queued, newest first, with the recipient masked."""
    status = request.args.get("status")
    status = status if status in notify.STATUSES else None
    page = db.paginate(notify.delivery_log(status), per_page=50, error_out=False)
    return render_template("notify/deliveries.html", page=page, status=status, status_labels=STATUS_LABELS,
                           channel_labels=CHANNEL_LABELS, mask=notify.mask_recipient)


@bp.post("/notifications/retry")
@require(Permission.NOTIFICATIONS_VIEW)
def retry_notifications():
    """Queue failed messages again (one, or all) and try the first few straight away."""
    ids = [int(value) for value in request.form.getlist("id") if value.isdigit()] or None
    queued = notify.retry_failed(ids)
    db.session.commit()
    counts = notify.deliver_pending(limit=RETRY_INLINE, ids=queued[:RETRY_INLINE], retries=0) if queued else \
        {"sent": 0, "failed": 0}
    flash(_("%(queued)d failed messages queued again: %(sent)d sent, %(failed)d failed.", queued=len(queued),
            sent=counts["sent"], failed=counts["failed"]), "success" if not counts["failed"] else "info")
    return redirect(url_for(".notifications", status=request.form.get("status") or None))
