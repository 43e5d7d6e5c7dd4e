"""The scheduler's entry points for stored snapshots: thin, idempotent, each commits once.

Each generates the snapshot of the last complete period before ``now`` (the previous 旬 for the bulletin, run
on the 1st, 11th and 21st; the previous month for the ranking and the 红黑榜, run on the 1st) unless it is already
stored, and returns it. Running one twice, or again after a crash halfway, stores no duplicate. Generated
snapshots stay internal until someone with the right to publish does so in the console.
"""
from oversight.scorecards.periods import previous_period
from oversight.scorecards.snapshot_models import PERIOD_KIND, SnapshotKind
from oversight.scorecards.snapshots import generate_snapshot
from portal.city import get_city_settings
from portal.clock import utcnow
from portal.extensions import db


def _run(kind, now):
    now = now or utcnow()
    period = previous_period(PERIOD_KIND[kind], now, get_city_settings().timezone)
    snapshot, _created = generate_snapshot(kind, period, actor=None, now=now)
    db.session.commit()
    return snapshot


def publish_xun_bulletin(now=None):
    """旬通报 for the previous 旬 (days 1–10, 11–20, 21–end)."""
    return _run(SnapshotKind.XUN_BULLETIN, now)


def publish_month_ranking(now=None):
    """月评比 for the previous month."""
    return _run(SnapshotKind.MONTH_RANKING, now)


def publish_honours(now=None):
    """红黑榜 for the previous month."""
    return _run(SnapshotKind.HONOURS, now)
