"""Public pages: the monthly 红黑榜 and the published 旬通报 and 月评比. Only published snapshots, no login."""
from datetime import date

from flask import Blueprint, abort, redirect, render_template, url_for

from oversight.scorecards import snapshot_data, snapshot_display, snapshots
from oversight.scorecards.periods import Period
from oversight.scorecards.snapshot_models import Snapshot, SnapshotKind
from portal.extensions import db
from portal.page_cache import cached_public_page

bp = Blueprint("honours", __name__, url_prefix="/board/honours", template_folder="templates")

ID = "<int(max=2147483647):snapshot_id>"


@bp.context_processor
def _helpers():
    return snapshot_display.template_helpers()


def _others():
    """The other published 红黑榜 months, newest first, for the month links."""
    return db.session.execute(snapshots.published(SnapshotKind.HONOURS).limit(24)).scalars().all()


@bp.get("/")
@cached_public_page
def index():
    snapshot = snapshots.latest_published(SnapshotKind.HONOURS)
    return render_template("scorecards/snapshots/public_honours.html", snapshot=snapshot, months=_others())


@bp.get("/<int(fixed_digits=4):year>-<int(fixed_digits=2):month>")
@cached_public_page
def month(year, month):
    if not 1 <= month <= 12 or year < 1:
        abort(404)
    period = Period.containing("month", date(year, month, 1))
    snapshot = snapshot_data.find_snapshot(SnapshotKind.HONOURS, period.key)
    if snapshot is None or not snapshot.is_published:
        abort(404)
    return render_template("scorecards/snapshots/public_honours.html", snapshot=snapshot, months=_others())


@bp.get("/bulletins")
@cached_public_page
def bulletins():
    query = snapshots.published().where(Snapshot.kind.in_([SnapshotKind.XUN_BULLETIN, SnapshotKind.MONTH_RANKING]))
    items = db.session.execute(query.limit(120)).scalars().all()
    return render_template("scorecards/snapshots/public_list.html", items=items)


@bp.get(f"/bulletins/{ID}")
@cached_public_page
def bulletin(snapshot_id):
    snapshot = db.session.get(Snapshot, snapshot_id)
    if snapshot is None or not snapshot.is_published:
        abort(404)
    if snapshot.kind == SnapshotKind.HONOURS:
        return redirect(url_for(".month", year=snapshot.period_start.year, month=snapshot.period_start.month))
    return render_template("scorecards/snapshots/public_show.html", snapshot=snapshot)
