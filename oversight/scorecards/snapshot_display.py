"""A stored snapshot read in the reader's language: its main table as rows for CSV and XLSX, the reasons an
entry is on a list, and the helpers the snapshot pages' templates use.
"""
from datetime import datetime

from flask_babel import gettext as _

from oversight.scorecards.periods import Period
from oversight.scorecards.snapshot_models import SnapshotKind
from portal.city import get_city_settings
from portal.clock import to_local
from portal.i18n import current_locale


def pick(names):
    """A stored {locale: name} in the reader's language (简体 when missing)."""
    if not isinstance(names, dict):
        return names or ""
    return names.get(current_locale()) or names.get("zh_Hans") or ""


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
