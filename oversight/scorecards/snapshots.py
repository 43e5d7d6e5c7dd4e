"""Stored snapshots: generating (once per kind and period), publishing, appending notes, and export tables.

A snapshot's ``data`` is everything its pages show, computed once from the figures engine
(``oversight.scorecards.figures``) and the rules in force, with names in the three languages: later changes to cases,
units or rules never change a stored snapshot.

- 旬通报 (``xun_bulletin``): city totals, one row per unit (received, 结案率, 按期结案率, 回访满意率, 督办), the
  units below the bulletin's satisfaction line named, and the previous 旬 beside every figure (横向纵向可比).
- 月评比 (``month_ranking``): units ranked by the composite index with its parts, the rank change against last
  month's ranking (the stored one when there is one), and the year to date against the share of the year elapsed.
- 红黑榜 (``honours``): the red and black lists of units and areas under the versioned list rule
  (``oversight.scorecards.honours``), each entry with its figures and the reasons it is there.
"""
import json
from datetime import date, datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from oversight.scorecards import honours
from oversight.scorecards.figures import compute
from oversight.scorecards.periods import Period
from oversight.scorecards.rules import current_rule, score
from oversight.scorecards.snapshot_models import PERIOD_KIND, Snapshot, SnapshotKind, SnapshotNote
from portal.auth import audit
from portal.city import city_today, get_city_settings
from portal.clock import to_local, utcnow
from portal.extensions import db
from portal.i18n import LOCALES, current_locale
from portal.registry.models import Area, AreaLevel, Unit
from portal.sqlite import lock_for_write
from surveys import rates

NOTE_MAX = 2000
FIGURE_KEYS = ("received", "closure_rate", "on_time_rate", "followup_satisfaction_rate", "supervised")


class SnapshotError(Exception):
    """A snapshot step that must be refused; ``code`` picks the message shown to the user."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


MESSAGES = {
    "period_incomplete": _l("That period is not over yet. A snapshot is stored once and never changes, so it can "
                            "only be generated for a complete period."),
    "wrong_period": _l("This kind of snapshot covers a different kind of period."),
    "already_published": _l("This snapshot is already published."),
    "note_empty": _l("Write the correction or remark."),
    "note_too_long": _l("A note can be at most %(max)d characters.", max=NOTE_MAX),
}


def message(code):
    return str(MESSAGES[code])


# -- reading ---------------------------------------------------------------------------------------------------


def find_snapshot(kind, period_key):
    return db.session.execute(
        db.select(Snapshot).where(Snapshot.kind == kind, Snapshot.period_key == period_key)).scalar_one_or_none()


def published(kind=None):
    """Published snapshots, newest period first."""
    query = db.select(Snapshot).where(Snapshot.published_at.is_not(None))
    if kind is not None:
        query = query.where(Snapshot.kind == kind)
    return query.order_by(Snapshot.period_start.desc(), Snapshot.id.desc())


def latest_published(kind):
    return db.session.execute(published(kind).limit(1)).scalar_one_or_none()


def pick(names):
    """A stored {locale: name} in the reader's language (简体 when missing)."""
    if not isinstance(names, dict):
        return names or ""
    return names.get(current_locale()) or names.get("zh_Hans") or ""


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


# -- building --------------------------------------------------------------------------------------------------


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


# -- storing ---------------------------------------------------------------------------------------------------


def generate_snapshot(kind, period, actor=None, now=None):
    """Store the snapshot of ``kind`` for ``period`` unless it exists; returns (snapshot, created).

    Idempotent: an existing snapshot is returned untouched, and when two runs race the unique (kind, period)
    constraint keeps one (the loser gets the stored one). Only complete periods can be stored.
    """
    now = now or utcnow()
    tz = get_city_settings().timezone
    if PERIOD_KIND[kind] != period.kind:
        raise SnapshotError("wrong_period")
    if period.end >= city_today(now, tz):
        raise SnapshotError("period_incomplete")
    lock_for_write()  # reads, then writes
    existing = find_snapshot(kind, period.key)
    if existing is not None:
        return existing, False
    snapshot = Snapshot(kind=kind, period_key=period.key, period_start=period.start, period_end=period.end,
                        data=build_data(kind, period, tz, now), generated_at=now,
                        generated_by_id=getattr(actor, "id", None))
    try:
        with db.session.begin_nested():
            db.session.add(snapshot)
    except IntegrityError:
        existing = find_snapshot(kind, period.key)
        if existing is None:
            raise
        return existing, False
    audit.record(actor, "generate", snapshot, summary=f"{kind.value} {period.key}")
    db.session.flush()
    return snapshot, True


def publish_snapshot(snapshot, actor, now=None):
    """Make a stored snapshot public; publishing is never undone (a correction is a note)."""
    if snapshot.is_published:
        raise SnapshotError("already_published")
    snapshot.published_at = now or utcnow()
    snapshot.published_by_id = getattr(actor, "id", None)
    audit.record(actor, "publish", snapshot, summary=f"{snapshot.kind.value} {snapshot.period_key}")
    db.session.flush()
    return snapshot


def add_note(snapshot, text, actor, now=None):
    """Append a correction or remark to a snapshot (the snapshot itself never changes)."""
    text = (text or "").strip()
    if not text:
        raise SnapshotError("note_empty")
    if len(text) > NOTE_MAX:
        raise SnapshotError("note_too_long")
    note = SnapshotNote(snapshot_id=snapshot.id, text=text, created_by_id=getattr(actor, "id", None),
                        created_at=now or utcnow())
    db.session.add(note)
    db.session.flush()
    audit.record(actor, "note", snapshot, summary=text[:100])
    db.session.flush()
    return note


# -- exports ---------------------------------------------------------------------------------------------------


def _rate(value):
    return "" if value is None else round(value * 100, 1)


def table_rows(snapshot):
    """The snapshot's main table as rows (header first) in the reader's language, for CSV and XLSX."""
    data = snapshot.data
    if snapshot.kind == SnapshotKind.XUN_BULLETIN:
        yield [_("Unit"), _("Received"), _("Closure rate (%)"), _("On-time closure rate (%)"),
               _("Follow-up satisfaction rate (%)"), _("Supervision notices"), _("Previous: received"),
               _("Previous: follow-up satisfaction rate (%)"), _("Below the line")]
        for row in data["rows"]:
            f, p = row["figures"], row.get("previous") or {}
            yield [pick(row["name"]), f.get("received"), _rate(f.get("closure_rate")), _rate(f.get("on_time_rate")),
                   _rate(f.get("followup_satisfaction_rate")), f.get("supervised"), p.get("received", ""),
                   _rate(p.get("followup_satisfaction_rate")), _("yes") if row["below_target"] else ""]
    elif snapshot.kind == SnapshotKind.MONTH_RANKING:
        names = [part["name"] for part in data["rows"][0]["score"]["parts"]] if data["rows"] else []
        yield ([_("Rank"), _("Unit"), _("Composite index")]
               + [f'{pick(data["part_labels"].get(n, n))} (%)' for n in names]
               + [_("Received"), _("Last month's rank"), _("Change"), _("Year to date: index"),
                  _("Year to date: rank")])
        for row in data["rows"]:
            parts = {part["name"]: part.get("value") for part in row["score"]["parts"]}
            ytd = row.get("ytd") or {}
            yield ([row["rank"] or "", pick(row["name"]), row["score"]["total"]]
                   + [_rate(parts.get(n)) for n in names]
                   + [row["received"], row.get("previous_rank") or "", row.get("rank_change") or "",
                      ytd.get("score", ""), ytd.get("rank") or ""])
    else:
        yield [_("List"), _("Level"), _("Name"), _("Composite index"), _("Received"), _("Closure rate (%)"),
               _("On-time closure rate (%)"), _("Follow-up satisfaction rate (%)"), _("Why")]
        for level, level_label in (("units", _("Unit")), ("areas", _("Area"))):
            for colour, colour_label in (("red", _("Red list")), ("black", _("Black list"))):
                for entry in data["lists"][level][colour]:
                    f = entry["figures"]
                    yield [colour_label, level_label, pick(entry["name"]), entry["score"], entry["received"],
                           _rate(f.get("closure_rate")), _rate(f.get("on_time_rate")),
                           _rate(f.get("followup_satisfaction_rate")),
                           "; ".join(reason_text(r) for r in entry["reasons"])]


def _number(value):
    if isinstance(value, float):
        return round(value, 4)
    return "" if value is None else value


def reason_text(reason):
    """Why an entry is on a list, in the reader's language."""
    code = reason["code"]
    if code == "top":
        return _("ranked %(rank)d of %(of)d by the composite index", rank=reason["rank"], of=reason["of"])
    if code == "bottom" and "from_bottom" not in reason:  # stored before the true rank was kept
        return _("ranked %(rank)d of %(of)d, among the lowest", rank=reason["rank"], of=reason["of"])
    if code == "bottom" and reason["from_bottom"] == 1:
        return _("ranked %(rank)d of %(of)d by the composite index: the last (the black list takes the bottom "
                 "%(places)d)", rank=reason["rank"], of=reason["of"], places=reason["places"])
    if code == "bottom":
        return _("ranked %(rank)d of %(of)d by the composite index: %(from_bottom)d from the bottom (the black list "
                 "takes the bottom %(places)d)", rank=reason["rank"], of=reason["of"],
                 from_bottom=reason["from_bottom"], places=reason["places"])
    if code == "below":
        return _("composite index below %(line)s", line=f"{reason['line']:g}")
    if code == "strike3":
        since = datetime.fromisoformat(reason["since"])
        return _("third strike of the escalation ladder since %(day)s",
                 day=to_local(since, get_city_settings().timezone).strftime("%Y-%m-%d"))
    return code


# -- templates ------------------------------------------------------------------------------------------------


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def pct(value):
    """A stored rate (0..1) as a percentage, or a dash when there was nothing to divide."""
    return f"{value * 100:.1f}%" if _is_number(value) else "—"


def points(current, previous):
    """The change of a rate in percentage points ("+2.5"), or "" when either side is missing."""
    if not (_is_number(current) and _is_number(previous)):
        return ""
    return f"{(current - previous) * 100:+.1f}"


def period_label(snapshot):
    return Period.parse(snapshot.period_key).label


def template_helpers():
    return {"pick": pick, "pct": pct, "points": points, "reason_text": reason_text, "period_label": period_label,
            "SnapshotKind": SnapshotKind}
