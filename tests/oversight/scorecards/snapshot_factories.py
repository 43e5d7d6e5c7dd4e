"""Helpers for the snapshot tests: strikes, a stand-in figures engine with hand-chosen figures, stored snapshots."""
from datetime import datetime, timezone
from types import SimpleNamespace

from complaints.supervision.models import UnitStrike
from oversight.scorecards import snapshot_data
from oversight.scorecards.figures import Figures
from portal.extensions import db


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc)


def make_strike(unit, level=3, issued_at=None, cleared_at=None, cycle=1):
    strike = UnitStrike(unit_id=unit.id, cycle=cycle, level=level, issued_at=issued_at or utc(2026, 11, 5),
                        reason="逾期督办单累计", cleared_at=cleared_at)
    db.session.add(strike)
    db.session.commit()
    return strike


def figures(key, name="", level="unit", received=0, **counts):
    return Figures(key=key, name=name, level=level, received=received, **counts)


def stand_in_engine(monkeypatch, table, scores=None, rule_version=7):
    """Replace the figures engine and the composite index with hand-chosen values.

    ``table`` maps (period key, level) to a list of Figures; ``scores`` maps an id, or (level, id) where unit and
    area ids overlap, to (total, vetoes). Unknown periods give no rows (the city level one empty row).
    """
    scores = scores or {}
    calls = []

    def fake_figures(period, by, tz, ids=None, now=None):
        calls.append((period.key, by))
        rows = table.get((period.key, by))
        if rows is None:
            rows = [figures(None, "city", "city")] if by == "city" else []
        return [f for f in rows if ids is None or f.key in ids]

    def fake_score(f, rule):
        total, vetoes = scores.get((f.level, f.key), scores.get(f.key, (None, [])))
        parts = [{"name": "closure_rate", "label": "结案率", "value": f.closure_rate, "weight": 100,
                  "contribution": total, "target": 0.9}]
        return SimpleNamespace(total=total, parts=parts, vetoes=vetoes, undecided=[], unranked=[],
                               rule_version=rule_version)

    monkeypatch.setattr(snapshot_data, "_figures", fake_figures)
    monkeypatch.setattr(snapshot_data, "_score", fake_score)
    monkeypatch.setattr(snapshot_data, "_score_rule", lambda: SimpleNamespace(version=rule_version))
    return calls
