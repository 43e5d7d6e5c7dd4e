"""Demo data for the stored snapshots: the last complete 旬通报, 月评比 and 红黑榜, generated and published."""
from oversight.scorecards.honours import current_list_rule, save_list_rule
from oversight.scorecards.periods import previous_period
from oversight.scorecards.snapshot_models import PERIOD_KIND, ListRule, SnapshotKind
from oversight.scorecards.snapshots import generate_snapshot, publish_snapshot
from portal.city import get_city_settings
from portal.clock import utcnow
from portal.extensions import db


def seed_snapshots(now=None):
    """Generate (if missing) and publish the snapshots of the last complete periods; returns them. The caller
    commits. Safe to run again: stored snapshots are reused and published ones left as they are."""
    now = now or utcnow()
    tz = get_city_settings().timezone
    if db.session.execute(db.select(ListRule.id).limit(1)).first() is None:
        # The demo city has about a hundred cases a month: with the default minimum of 20 nobody would be ranked.
        save_list_rule(dict(current_list_rule().parameters(), min_cases=2,
                            note="演示城市每月案件较少，参与排名的最低件数设为 2 件。"), actor=None)
    stored = []
    for kind in (SnapshotKind.XUN_BULLETIN, SnapshotKind.MONTH_RANKING, SnapshotKind.HONOURS):
        snapshot, _created = generate_snapshot(kind, previous_period(PERIOD_KIND[kind], now, tz), actor=None,
                                               now=now)
        if not snapshot.is_published:
            publish_snapshot(snapshot, actor=None, now=now)
        stored.append(snapshot)
    return stored
