"""What the public board may show of the scorecards: only what has been PUBLISHED in a stored snapshot."""
from oversight.scorecards.snapshot_data import FIGURE_KEYS
from oversight.scorecards.snapshot_models import SnapshotKind
from oversight.scorecards.snapshots import latest_published


def unit_public_figures(unit_id):
    """The unit's row of the latest PUBLISHED month ranking, or None (for the board's unit page)."""
    snapshot = latest_published(SnapshotKind.MONTH_RANKING)
    if snapshot is None:
        return None
    for row in snapshot.data.get("rows", []):
        if row["id"] == unit_id:
            return {"snapshot_id": snapshot.id, "period_key": snapshot.period_key,
                    "period_start": snapshot.period_start.isoformat(), "period_end": snapshot.period_end.isoformat(),
                    "published_at": snapshot.published_at.isoformat(), "rank": row["rank"],
                    "ranked": sum(1 for r in snapshot.data["rows"] if r["rank"] is not None),
                    "previous_rank": row.get("previous_rank"), "rank_change": row.get("rank_change"),
                    "score": row["score"]["total"], "received": row["received"],
                    "figures": {key: row["figures"].get(key) for key in FIGURE_KEYS}}
    return None
