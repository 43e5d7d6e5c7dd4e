"""What a stored snapshot holds, computed once when it is generated: the figures (``oversight.scorecards.figures``)
and the rules in force, with names in the three languages, as plain JSON. Later changes to cases, units or rules
never change a stored snapshot.

- 旬通报: city totals, one row per unit, the units below the bulletin's satisfaction line, the previous 旬.
- 月评比: units ranked by the composite index with its parts, the rank change, the year to date.
- 红黑榜: the red and black lists of units and areas, each entry with its figures and reasons.
"""
import json
from datetime import date

from flask_babel import force_locale

from oversight.scorecards import honours
from oversight.scorecards.figures import compute
from oversight.scorecards.periods import Period
from oversight.scorecards.rules import current_rule, score
from oversight.scorecards.snapshot_display import pick
from oversight.scorecards.snapshot_models import Snapshot, SnapshotKind
from portal.extensions import db
from portal.i18n import LOCALES
from portal.registry.models import Area, AreaLevel, Unit
from surveys import rates

FIGURE_KEYS = ("received", "closure_rate", "on_time_rate", "followup_satisfaction_rate", "supervised")


def find_snapshot(kind, period_key):
    return db.session.execute(
        db.select(Snapshot).where(Snapshot.kind == kind, Snapshot.period_key == period_key)).scalar_one_or_none()


def names_of(record):
    return {locale: record.name_in(locale) for locale in LOCALES}


def in_locales(value):
    """A (lazy) message rendered in every language, for storing in a snapshot."""
    texts = {}
    for locale in LOCALES:
        with force_locale(locale):
            texts[locale] = str(value)
    return texts


def _jsonable(value):
    return json.loads(json.dumps(value, default=str))


def _figures(period, by, tz, ids=None, now=None):
    return compute(period, by=by, ids=ids, tz=tz, now=now)


def _score_rule():
    return current_rule()


def _score(figures, rule):
    return score(figures, rule)


def _figure_dict(figures):
    return _jsonable(figures.to_dict())


def _score_dict(result, labels):
    parts = []
    for part in result.parts:
        name = str(part.get("name"))
        if name not in labels:
            labels[name] = in_locales(part.get("label", name))
        parts.append({"name": name, "value": part.get("value"), "weight": part.get("weight"),
                      "contribution": part.get("contribution"), "target": part.get("target"),
                      "met": part.get("met"), "missing": part.get("missing", part.get("value") is None)})
    return _jsonable({"total": result.total, "parts": parts, "vetoes": [in_locales(v) for v in result.vetoes],
                      "undecided": [in_locales(v) for v in result.undecided],
                      "unranked": [in_locales(v) for v in result.unranked], "rule_version": result.rule_version})


def _names(model, ids):
    ids = [i for i in ids if i is not None]
    if not ids:
        return {}
    records = db.session.execute(db.select(model).where(model.id.in_(ids))).scalars().all()
    return {record.id: names_of(record) for record in records}


def _scored_rows(period, tz, score_rule, min_cases, by="unit", ids=None, now=None):
    """Rows {id, name, figures, score, received, eligible, rank} for every unit (or area) with an id, best first.
    Only eligible rows are ranked (enough cases, an index); a vetoed index ranks below every one without a veto
    (as on the scorecards), and equal indexes share a rank (1, 2, 2, 4)."""
    figures = [f for f in _figures(period, by, tz, ids=ids, now=now) if f.key is not None]
    names = _names(Unit if by == "unit" else Area, [f.key for f in figures])
    labels = {}
    rows = []
    for f in figures:
        result = _score(f, score_rule)
        rows.append({"id": f.key, "name": names.get(f.key) or {"zh_Hans": f.name}, "figures": _figure_dict(f),
                     "score": _score_dict(result, labels), "received": f.received,
                     "eligible": result.total is not None and f.received >= min_cases, "rank": None})
    ranks = honours.competition_ranks(
        [{"id": r["id"], "score": r["score"]["total"], "vetoes": r["score"]["vetoes"]} for r in rows if r["eligible"]],
        best_first=True)
    for row in rows:
        row["rank"] = ranks.get(row["id"])
    rows.sort(key=lambda r: (r["rank"] is None, r["rank"] or 0, pick(r["name"])))
    return rows, labels


def build_bulletin(period, tz, list_rule, now=None):
    """旬通报: city totals, per-unit rows with the previous 旬 beside them, and the units named below the line."""
    before = period.previous()
    city = _figures(period, "city", tz, now=now)
    city_before = _figures(before, "city", tz, now=now)
    current = [f for f in _figures(period, "unit", tz, now=now) if f.key is not None]
    earlier = {f.key: f for f in _figures(before, "unit", tz, now=now) if f.key is not None}
    names = _names(Unit, [f.key for f in current])
    target = list_rule.bulletin_target_percent
    rows = []
    for f in current:
        # the one verdict rule: named only when the whole 95% interval is below the line, with enough ratings
        verdict = rates.verdict(rates.rate(f.satisfied, f.followed_up), target / 100,
                                min_n=list_rule.bulletin_min_rated)
        rows.append({"id": f.key, "name": names.get(f.key) or {"zh_Hans": f.name}, "figures": _figure_dict(f),
                     "previous": _figure_dict(earlier[f.key]) if f.key in earlier else None,
                     "judged": verdict not in (None, rates.TOO_FEW), "verdict": verdict,
                     "below_target": verdict == rates.BELOW})
    rows.sort(key=lambda r: (r["figures"].get("followup_satisfaction_rate") is None,
                             -(r["figures"].get("followup_satisfaction_rate") or 0), -r["figures"]["received"],
                             pick(r["name"])))
    return {
        "city": _figure_dict(city[0]) if city else None,
        "previous_city": _figure_dict(city_before[0]) if city_before else None,
        "previous_period": {"key": before.key, "start": before.start.isoformat(), "end": before.end.isoformat()},
        "rows": rows,
        "named": [row["id"] for row in rows if row["below_target"]],
        "target_percent": target,
        "min_rated": list_rule.bulletin_min_rated,
    }


def _year_to_date(period):
    start = date(period.end.year, 1, 1)
    days_in_year = (date(period.end.year + 1, 1, 1) - start).days
    return Period("custom", start, period.end), ((period.end - start).days + 1) / days_in_year


def build_ranking(period, tz, list_rule, score_rule, now=None):
    """月评比: units by the composite index, with last month's rank and the year to date."""
    rows, labels = _scored_rows(period, tz, score_rule, list_rule.min_cases, now=now)
    before = period.previous()
    stored = find_snapshot(SnapshotKind.MONTH_RANKING, before.key)
    if stored is not None:
        previous = {row["id"]: row["rank"] for row in stored.data["rows"]}
        previous_source = "snapshot"
    else:
        previous = {row["id"]: row["rank"]
                    for row in _scored_rows(before, tz, score_rule, list_rule.min_cases, now=now)[0]}
        previous_source = "computed"
    ytd_period, elapsed = _year_to_date(period)
    ytd = {row["id"]: row for row in _scored_rows(ytd_period, tz, score_rule, list_rule.min_cases, now=now)[0]}
    for row in rows:
        row["previous_rank"] = previous.get(row["id"])
        row["rank_change"] = (row["previous_rank"] - row["rank"]
                              if row["rank"] is not None and row["previous_rank"] is not None else None)
        year = ytd.get(row["id"])
        row["ytd"] = ({"received": year["received"], "score": year["score"]["total"], "rank": year["rank"],
                       "closure_rate": year["figures"].get("closure_rate"),
                       "followup_satisfaction_rate": year["figures"].get("followup_satisfaction_rate")}
                      if year else None)
    return {
        "rows": rows,
        "part_labels": labels,
        "previous_period": {"key": before.key, "source": previous_source},
        "ytd": {"key": ytd_period.key, "start": ytd_period.start.isoformat(), "end": ytd_period.end.isoformat(),
                "elapsed": round(elapsed, 4)},
        "min_cases": list_rule.min_cases,
    }


def _entry(row, reasons):
    return {"id": row["id"], "name": row["name"], "reasons": reasons, "received": row["received"],
            "score": row["score"]["total"], "rank": row["rank"],
            "figures": {key: row["figures"].get(key) for key in FIGURE_KEYS}}


def build_honours(period, tz, list_rule, score_rule, now=None):
    """红黑榜: red and black lists of units and of areas at the rule's level, each entry with its figures."""
    params = list_rule.parameters()
    _start, end_utc = period.bounds_utc(tz)
    strikes = honours.strike3_units(end_utc)
    units, labels = _scored_rows(period, tz, score_rule, list_rule.min_cases, now=now)
    missing = [unit_id for unit_id in strikes if unit_id not in {row["id"] for row in units}]
    if missing:  # a unit at strike 3 is listed even when the figures engine has no row for it
        units += _scored_rows(period, tz, score_rule, list_rule.min_cases, ids=missing, now=now)[0]
    level = AreaLevel(params["area_level"])
    area_ids = db.session.execute(db.select(Area.id).where(Area.level == level)).scalars().all()
    areas = (_scored_rows(period, tz, score_rule, list_rule.min_cases, by="area", ids=list(area_ids), now=now)[0]
             if area_ids else [])
    lists = {}
    for level, rows, level_strikes in (("units", units, strikes), ("areas", areas, None)):
        by_id = {row["id"]: row for row in rows}
        plain = [{"id": row["id"], "received": row["received"], "score": row["score"]["total"],
                  "vetoes": row["score"]["vetoes"]} for row in rows]
        chosen = honours.select_lists(plain, params, level_strikes)
        lists[level] = {colour: [_entry(by_id[e["id"]], e["reasons"]) for e in entries if e["id"] in by_id]
                        for colour, entries in chosen.items()}
    return {
        "lists": lists,
        "list_rule": {"version": list_rule.version, "parameters": params,
                      "text": {locale: _rule_text(params, locale) for locale in LOCALES}},
        "part_labels": labels,
        "eligible": {"units": sum(1 for r in units if r["eligible"]), "areas": sum(1 for r in areas if r["eligible"])},
    }


def _rule_text(params, locale):
    with force_locale(locale):
        return honours.describe_rule(params)


def build_data(kind, period, tz, now):
    list_rule = honours.current_list_rule()
    if kind == SnapshotKind.XUN_BULLETIN:
        data = build_bulletin(period, tz, list_rule, now=now)
        score_version = None
    else:
        score_rule = _score_rule()
        score_version = score_rule.version
        builder = build_ranking if kind == SnapshotKind.MONTH_RANKING else build_honours
        data = builder(period, tz, list_rule, score_rule, now=now)
    data.update({
        "period": {"kind": period.kind, "key": period.key, "start": period.start.isoformat(),
                   "end": period.end.isoformat()},
        "generated_at": now.isoformat(),
        "timezone": tz,
        "score_rule_version": score_version,
        "list_rule_version": list_rule.version,
    })
    return _jsonable(data)


