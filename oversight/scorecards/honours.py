"""The 红黑榜 rule: who goes on the monthly red and black lists, and why (DOMAIN.md §4 and §6).

The rule is published and versioned (``ListRule``): saving it makes a new version, and every stored 红黑榜 keeps
the version and the wording it was computed with.

- Eligible: at least ``min_cases`` cases received in the month and a composite index (small units are not ranked
  on noise).
- Red list: the best ``red_count`` by the composite index (ties at the boundary all count) among the eligible
  entries without a veto and (units) not at the third strike, each with an index of at least ``red_min_score``.
- Black list: eligible entries ranked in the bottom places (ties at the boundary all count; a vetoed
  index ranks below every index without a veto, as on the scorecards), every
  eligible entry whose index is below ``black_below_score``, and every unit at the third strike of the escalation
  ladder at the end of the month, whatever its case count. An entry on the red list is never on the black list.
- The bottom places are ``black_count``, but at most ``black_max_percent`` % of the eligible field (rounded down)
  and never the whole field (the full N only when the field is larger than N): with the default 20%, a field of
  1 to 4 puts nobody on the black list by rank and a field of 15 at most 3. An entry ranked first (alone or tied)
  is never on it by rank. The reason states the true rank: "ranked 13 of 15: 3 from the bottom", "the last" only
  for the last.
"""
import math

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from complaints.supervision.models import UnitStrike
from oversight.scorecards.snapshot_models import LIST_RULE_DEFAULTS, ListRule
from portal.auth import audit
from portal.extensions import db
from portal.registry.models import AreaLevel


class ListRuleError(Exception):
    """A list rule that cannot be saved; ``errors`` maps field names to messages (all problems at once)."""

    def __init__(self, errors):
        super().__init__(errors)
        self.errors = errors


LIMITS = {
    "min_cases": (0, 100000),
    "red_count": (0, 100),
    "red_min_score": (0, 100),
    "black_count": (0, 100),
    "black_below_score": (0, 100),
    "bulletin_target_percent": (0, 100),
    "bulletin_min_rated": (0, 100000),
    "black_max_percent": (0, 100),
}


def current_list_rule():
    """The latest stored version, or the built-in version 1 (not stored until someone saves a change)."""
    rule = db.session.execute(db.select(ListRule).order_by(ListRule.version.desc()).limit(1)).scalar_one_or_none()
    return rule or ListRule(version=1, **LIST_RULE_DEFAULTS)


def list_rule_versions():
    return db.session.execute(db.select(ListRule).order_by(ListRule.version.desc())).scalars().all()


def save_list_rule(data, actor):
    """Store ``data`` (the parameters and an optional note) as a new version of the rule; returns it."""
    errors = {}
    values = {}
    for name, (low, high) in LIMITS.items():
        value = data.get(name)
        if value is None or not low <= value <= high:
            errors[name] = _l("Enter a number from %(low)s to %(high)s.", low=low, high=high)
        else:
            values[name] = value
    if data.get("area_level") not in {level.value for level in AreaLevel}:
        errors["area_level"] = _l("Choose an area level.")
    else:
        values["area_level"] = data["area_level"]
    if not errors and values["black_below_score"] > values["red_min_score"]:
        errors["black_below_score"] = _l("The black-list line must not be above the red-list line.")
    if errors:
        raise ListRuleError(errors)
    version = current_list_rule().version + 1  # the built-in version 1 counts as published
    rule = ListRule(version=version, created_by_id=getattr(actor, "id", None), note=(data.get("note") or None),
                    **values)
    db.session.add(rule)
    db.session.flush()
    audit.record(actor, "create", rule, summary=f"list rule v{version}", changes=rule.parameters())
    db.session.flush()
    return rule


def describe_rule(params):
    """The rule in words, in the reader's language: one sentence per list."""
    level = AreaLevel(params["area_level"]).label if params["area_level"] in AreaLevel._value2member_map_ else ""
    red = _("Red list: the top %(count)d units and %(level)s areas with at least %(cases)d cases in the month and a "
            "composite index of at least %(score)s, without a veto; units at the third strike are never on it.",
            count=params["red_count"], level=level, cases=params["min_cases"],
            score=_number(params["red_min_score"]))
    black = _("Black list: the bottom %(count)d units and %(level)s areas with at least %(cases)d cases, every one "
              "with at least %(cases)d cases whose composite index is below %(score)s, and every unit at the third "
              "strike of the escalation ladder at the end of the month.",
              count=params["black_count"], level=level, cases=params["min_cases"],
              score=_number(params["black_below_score"]))
    black += " " + _("The bottom places are at most %(share)s%% of the ranked field (rounded down), and the first "
                     "place is never among them.", share=_number(params.get("black_max_percent", 100.0)))
    ties = _("Ties at the boundary of a list are all included; nobody is on both lists.")
    bulletin = _("Ten-day bulletins name every unit whose follow-up satisfaction rate is below %(target)s%% with at "
                 "least %(rated)d rated cases.", target=_number(params["bulletin_target_percent"]),
                 rated=params["bulletin_min_rated"])
    return [red, black, ties, bulletin]


def _number(value):
    return f"{value:g}" if isinstance(value, float) else str(value)


def strike3_units(end_utc):
    """{unit id: when the third strike was issued} for units at strike 3 at ``end_utc`` (issued before it and
    not cleared by then)."""
    rows = db.session.execute(
        db.select(UnitStrike.unit_id, db.func.min(UnitStrike.issued_at))
        .where(UnitStrike.level == 3, UnitStrike.issued_at < end_utc,
               db.or_(UnitStrike.cleared_at.is_(None), UnitStrike.cleared_at >= end_utc))
        .group_by(UnitStrike.unit_id)).all()
    return {unit_id: issued_at for unit_id, issued_at in rows}


def competition_ranks(rows, best_first):
    """{id: rank} over rows with "id", "score" and "vetoes": a vetoed score counts below every score without a
    veto, and equal standings share a rank (1, 2, 2, 4). ``best_first`` False ranks from the bottom."""
    def standing(row):
        return (not row.get("vetoes"), row["score"])

    ordered = sorted(rows, key=standing, reverse=best_first)
    ranks, previous, rank = {}, None, 0
    for position, row in enumerate(ordered, 1):
        if standing(row) != previous:
            rank, previous = position, standing(row)
        ranks[row["id"]] = rank
    return ranks


def bottom_places(field, params):
    """How many bottom places the black list takes by rank in a field of ``field`` eligible entries."""
    share = params.get("black_max_percent", 100.0)
    return max(0, min(params["black_count"], math.floor(field * share / 100 + 1e-9), field - 1))


def select_lists(rows, params, strikes=None):
    """Apply the rule to ``rows`` (dicts with "id", "received", "score" and "vetoes").

    ``strikes`` ({unit id: issued_at}) is given for units and omitted for areas. Returns {"red": [...], "black":
    [...]}; each entry is {"id", "reasons": [{"code", ...}]}, the red list best first, the black list worst first
    with the strike-3 units that are not ranked at the end.
    """
    strikes = strikes or {}
    eligible = [r for r in rows if r["score"] is not None and (r["received"] or 0) >= params["min_cases"]]
    top = competition_ranks(eligible, best_first=True)
    bottom = competition_ranks(eligible, best_first=False)
    count = len(eligible)
    # Red places go to the best of those who may be praised at all (no veto, not at the third strike).
    candidates = [r for r in eligible if not r.get("vetoes") and r["id"] not in strikes]
    places = competition_ranks(candidates, best_first=True)
    red = []
    for row in sorted(candidates, key=lambda r: (places[r["id"]], r["id"])):
        if places[row["id"]] <= params["red_count"] and row["score"] >= params["red_min_score"]:
            red.append({"id": row["id"], "reasons": [{"code": "top", "rank": top[row["id"]], "of": count}]})
    on_red = {entry["id"] for entry in red}
    places = bottom_places(count, params)
    black = []
    for row in sorted(eligible, key=lambda r: (bottom[r["id"]], r["id"])):
        if row["id"] in on_red:
            continue
        reasons = []
        if bottom[row["id"]] <= places and top[row["id"]] > 1:
            reasons.append({"code": "bottom", "rank": top[row["id"]], "of": count, "from_bottom": bottom[row["id"]],
                            "places": places})
        if row["score"] < params["black_below_score"]:
            reasons.append({"code": "below", "line": params["black_below_score"]})
        if row["id"] in strikes:
            reasons.append({"code": "strike3", "since": strikes[row["id"]].isoformat()})
        if reasons:
            black.append({"id": row["id"], "reasons": reasons})
    listed = {entry["id"] for entry in black}
    for unit_id in sorted(strikes):
        if unit_id not in listed:
            black.append({"id": unit_id, "reasons": [{"code": "strike3", "since": strikes[unit_id].isoformat()}]})
    return {"red": red, "black": black}
