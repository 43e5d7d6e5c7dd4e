"""The scorecard tables as data: which columns, the rows (figures with their composite index), the worst entries,
trends, and the same tables as rows for CSV/XLSX. The pages and the exports both read these.
"""
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import lazy_gettext as _l

from oversight.scorecards import periods as periods_module
from oversight.scorecards.figures import compute, compute_many
from oversight.scorecards.rules import SCOREABLE, SURVEY_SOURCES, score, source_label
from portal.extensions import db
from portal.registry.models import Area, AreaLevel

COUNT, RATE, HOURS, SURVEY = "count", "rate", "hours", "survey"

COLUMNS = (
    ("received", _l("Received (受理)"), COUNT),
    ("filed", _l("Filed (立案)"), COUNT),
    ("due", _l("Due (应结案)"), COUNT),
    ("postponed", _l("Postponed (缓办)"), COUNT),
    ("closed", _l("Closed (结案)"), COUNT),
    ("closure_rate", SCOREABLE["closure_rate"][0], RATE),
    ("closed_on_time", _l("Closed on time (按期结案)"), COUNT),
    ("on_time_rate", SCOREABLE["on_time_rate"][0], RATE),
    ("reworked", _l("Reworked (返工)"), COUNT),
    ("rework_rate", SCOREABLE["rework_rate"][0], RATE),
    ("reopened", _l("Reopened (重办)"), COUNT),
    ("reopen_rate", SCOREABLE["reopen_rate"][0], RATE),
    ("followed_up", _l("Followed up (回访)"), COUNT),
    ("followup_rate", SCOREABLE["followup_rate"][0], RATE),
    ("satisfied", _l("Satisfied (满意)"), COUNT),
    ("followup_satisfaction_rate", SCOREABLE["followup_satisfaction_rate"][0], RATE),
    ("supervised", _l("Supervision notices (督办)"), COUNT),
    ("avg_hours", _l("Average handling time (calendar hours)"), HOURS),
    ("p90_hours", _l("90th percentile handling time (calendar hours)"), HOURS),
    ("avg_work_hours", _l("Average handling time (working hours)"), HOURS),
    ("p90_work_hours", _l("90th percentile handling time (working hours)"), HOURS),
)
SURVEY_COLUMNS = (
    ("survey", SCOREABLE["survey_rate"][0], SURVEY),
    ("awareness", SCOREABLE["awareness_rate"][0], SURVEY),
)
# The shorter set the wide tables show on screen (the exports carry every column).
SCREEN = ("received", "due", "closure_rate", "on_time_rate", "rework_rate", "reopen_rate", "followup_rate",
          "followup_satisfaction_rate", "supervised", "avg_hours", "avg_work_hours")


def columns_for(by, screen=False):
    columns = [c for c in COLUMNS if not screen or c[0] in SCREEN]
    if by in ("area", "city"):
        columns += list(SURVEY_COLUMNS)
    return columns


@dataclass
class Row:
    figures: object
    score: object

    @property
    def key(self):
        return self.figures.key


def scored(period, by, rule, ids=None, now=None):
    """Rows of figures with their composite index, in the registry's order."""
    return [Row(f, score(f, rule)) for f in compute(period, by, ids=ids, now=now)]


def worst(rows, count=5):
    """The ``count`` worst rows that have a score: vetoed ones first, then the lowest index."""
    ranked = [r for r in rows if r.score.total is not None]
    ranked.sort(key=lambda r: (not r.score.vetoed, r.score.total, r.figures.name))
    return ranked[:count]


def ranked(rows):
    """Best first; entries without data last."""
    return sorted(rows, key=lambda r: (*r.score.sort_key(), r.figures.name))


def area_ids_at(level):
    return db.session.execute(db.select(Area.id).where(Area.level == AreaLevel(level).value,
                                                       Area.active.is_(True))).scalars().all()


def trend(kind, until_day, count, by="city", ids=None, now=None):
    """[(period, [Figures])] for ``count`` periods of ``kind`` up to the one containing ``until_day``."""
    periods = periods_module.recent(kind, until_day, count)
    figures = compute_many(periods, by, ids=ids, now=now, percentiles={len(periods) - 1})
    return list(zip(periods, figures, strict=True))


def chart_series(points, names=("received", "closure_rate", "on_time_rate", "followup_satisfaction_rate")):
    """A trend as plain data for the chart script: labels and one list per figure (rates in percent)."""
    data = {"labels": [period.label for period, _f in points], "series": []}
    labels = dict((c[0], c[1]) for c in COLUMNS)
    for name in names:
        values = []
        for _period, figures in points:
            value = figures[0].value(name) if figures else None
            if value is not None and name.endswith("_rate"):
                value = round(100 * value, 1)
            values.append(value)
        data["series"].append({"name": str(labels[name]), "rate": name.endswith("_rate"), "values": values})
    return data


def survey_methods(figures, name):
    """[(source, figure)] of a survey column ("survey" or "awareness"), sampled first; [] without answers."""
    found = getattr(figures, name, None) if not isinstance(figures, dict) else figures.get(name)
    return [(source, found[source]) for source in SURVEY_SOURCES if found and source in found]


def display(figures, name, kind):
    """A cell as text: counts as is, rates in percent, hours to one decimal, '—' for nothing."""
    if kind == SURVEY:
        shown = [f"{source_label(source)} {100 * figure['rate']:.1f}%" for source, figure in
                 survey_methods(figures, name)]
        return " · ".join(shown) or "—"
    value = figures.value(name)
    if value is None:
        return "—"
    if kind == RATE:
        return f"{100 * value:.1f}%"
    if kind == HOURS:
        return f"{value:.1f}"
    return str(value)


# Per survey method, the export's columns: 满意率, its interval, n, the survey methods and guarantees, both 知晓率s,
# the quiz n.
SURVEY_EXPORT_LABELS = (SCOREABLE["survey_rate"][0], _l("Interval (95%, percent)"), _l("Survey n"),
                        _l("Survey method"), _l("Survey guarantee"), _l("Awareness: share who passed (%)"),
                        _l("Awareness: share of correct answers (%)"), _l("Quiz n"))


def export_rows(rows, by, name_label):
    """Header and one line per row for CSV/XLSX: numbers stay numbers (rates in percent, one decimal). Each survey
    method has its own columns (rate, interval, n, methods), and the 知晓率 both ways."""
    columns = [c for c in columns_for(by) if c[2] != SURVEY]
    header = [str(name_label)] + [str(label) for _n, label, _k in columns]
    survey_columns = by in ("area", "city")
    if survey_columns:
        for source in SURVEY_SOURCES:
            method = str(source_label(source))
            header += [f"{label} · {method}" for label in SURVEY_EXPORT_LABELS]
    header += [str(_l("Composite index")), str(_l("Vetoes")), str(_l("Not enough evidence")), str(_l("Not ranked"))]
    lines = [header]
    for row in rows:
        figures = row.figures
        line = [figures.name]
        for name, _label, kind in columns:
            value = figures.value(name)
            if value is not None and kind == RATE:
                value = round(100 * value, 1)
            elif value is not None and kind == HOURS:
                value = round(value, 1)
            line.append(value)
        if survey_columns:
            for source in SURVEY_SOURCES:
                survey = (figures.survey or {}).get(source)
                quiz = (figures.awareness or {}).get(source) or {}
                line += [_pct(survey), f"{_pct(survey, 'low')}–{_pct(survey, 'high')}" if survey else None,
                         survey["n"] if survey else None, survey["method"] if survey else None,
                         survey["guarantee"] if survey else None,
                         _pct(quiz.get("passed")), _pct(quiz.get("correct")), quiz.get("n")]
        line += [row.score.total, "; ".join(str(v) for v in row.score.vetoes),
                 "; ".join(str(v) for v in row.score.undecided), "; ".join(str(v) for v in row.score.unranked)]
        lines.append(line)
    return lines


def _pct(figure, key="rate"):
    return round(100 * figure[key], 1) if figure else None


def day_before(day):
    return day - timedelta(days=1)
