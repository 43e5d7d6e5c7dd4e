"""The composite index (综合指数): versioned rules of weights, targets and veto lines, and the score of one set of
figures under a rule, with its explanation.

Arithmetic (the definitions page says the same):

* each part takes one figure as a share in [0, 1]; for figures where less is better (返工率, 重办率) the part takes
  1 − the rate;
* contribution = weight × that share (so a part is worth at most its weight);
* total = Σ contributions / Σ weights × 100. Missing data is never worth more than data: under the rule version's
  ``missing_data`` a part without data (no denominator, e.g. no rated case) scores 0 (``zero``, the default), or
  the entry gets no index and is not ranked, with the reason shown (``unranked``). Versions stored before the
  choice existed (``left_out``) left such a part out and scaled the others up to 100. No part with data at all
  means no score (None);
* targets and veto lines (一票否决) are judged by the one verdict rule (``surveys.rates.verdict``): a figure
  fails a line only when its whole 95% interval is on the wrong side, meets it only when the whole interval is on
  the right side, and otherwise, or with fewer answers than the version's ``verdict_min_n``, there is not enough
  evidence: no veto, and the scorecard says so. A vetoed total is still shown but ranked below every entry
  without a veto;
* the survey 满意率 and quiz 知晓率 a rule weighs or vetoes on are those of the method the version names
  (``survey_source``: sampled or self-selected); the scorecard shows every method's figure beside it.
"""
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from oversight.scorecards.models import ScoreRule
from portal.auth import audit
from portal.extensions import db
from surveys import rates
from surveys.response_models import Source

HIGHER, LOWER = "higher", "lower"

# name -> (label, which direction is better). Targets and lines are shares in [0, 1].
SCOREABLE = {
    "closure_rate": (_l("Closure rate (结案率)"), HIGHER),
    "on_time_rate": (_l("On-time closure rate (按期结案率)"), HIGHER),
    "rework_rate": (_l("Rework rate (返工率)"), LOWER),
    "reopen_rate": (_l("Reopen rate (重办率)"), LOWER),
    "followup_rate": (_l("Follow-up rate (回访率)"), HIGHER),
    "followup_satisfaction_rate": (_l("Follow-up satisfaction rate (回访满意率)"), HIGHER),
    "survey_rate": (_l("Survey satisfaction rate (满意率)"), HIGHER),
    "awareness_rate": (_l("Awareness rate (知晓率)"), HIGHER),
}

# Version 1: the "三率" weighting (响应/解决/满意 30/35/35 as 按期结案率/结案率/回访满意率) with the 数字城管 and
# 创卫 targets, and the 90% survey 满意率 veto of the national sanitary-city assessment.
DEFAULT_PARTS = [
    {"name": "on_time_rate", "weight": 30, "target": 0.70},
    {"name": "closure_rate", "weight": 35, "target": 0.90},
    {"name": "followup_satisfaction_rate", "weight": 35, "target": 0.90},
]
DEFAULT_VETOES = [{"name": "survey_rate", "line": 0.90}]

# How a part without data counts. "left_out" is only what versions stored before the choice existed did.
MISSING_ZERO, MISSING_UNRANKED, MISSING_LEFT_OUT = "zero", "unranked", "left_out"
MISSING_DATA = {
    MISSING_ZERO: _l("Score a figure without data as 0"),
    MISSING_UNRANKED: _l("Leave an entry with a figure without data unranked"),
    MISSING_LEFT_OUT: _l("Leave a figure without data out and scale the others up (earlier versions only)"),
}
DEFAULT_MIN_N = 30  # fewer answers than this give no verdict on a target or veto line
SURVEY_SOURCES = (Source.SAMPLED.value, Source.SELF_SELECTED.value)
SURVEY_FIGURES = ("survey_rate", "awareness_rate")

# The counts behind each rate of the cases: (successes, denominator).
RATE_COUNTS = {
    "closure_rate": lambda f: (f.closed, f.due),
    "on_time_rate": lambda f: (f.closed_on_time, f.due - f.postponed),
    "rework_rate": lambda f: (f.reworked, f.closed),
    "reopen_rate": lambda f: (f.reopened, f.closed),
    "followup_rate": lambda f: (f.followed_up, f.closed),
    "followup_satisfaction_rate": lambda f: (f.satisfied, f.followed_up),
}


class RuleError(Exception):
    """The rule cannot be saved; ``problems`` lists every reason at once (一次性告知)."""

    def __init__(self, problems):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


def label_of(name):
    return SCOREABLE[name][0] if name in SCOREABLE else name


def direction_of(name):
    return SCOREABLE.get(name, (None, HIGHER))[1]


def current_rule():
    """The latest rule version; version 1 with the defaults is created (flushed) if there is none yet."""
    rule = db.session.execute(db.select(ScoreRule).order_by(ScoreRule.version.desc()).limit(1)).scalar()
    if rule is None:
        rule = ScoreRule(version=1, parts=[dict(p) for p in DEFAULT_PARTS],
                         vetoes=[dict(v) for v in DEFAULT_VETOES], note=None)
        db.session.add(rule)
        db.session.flush()
    return rule


def rule_versions():
    current_rule()
    return db.session.execute(db.select(ScoreRule).order_by(ScoreRule.version.desc())).scalars().all()


def verdict_min_n():
    """The minimum n of the rule version in force (the survey pages judge by it too)."""
    stored = db.session.execute(db.select(ScoreRule.verdict_min_n).order_by(ScoreRule.version.desc()).limit(1)).scalar()
    return stored if stored is not None else DEFAULT_MIN_N


def settings_of(rule):
    """(missing_data, verdict_min_n, survey_source) of a rule version, with the defaults for one not yet stored."""
    return (rule.missing_data or MISSING_ZERO, rule.verdict_min_n if rule.verdict_min_n is not None else DEFAULT_MIN_N,
            rule.survey_source or Source.SAMPLED.value)


# The same words as the sources' own labels, kept lazy so that a stored message renders in each language.
SOURCE_LABELS = {Source.SAMPLED.value: _l("Sampled (token card / telephone)"),
                 Source.SELF_SELECTED.value: _l("Self-selected (open link / QR)")}


def source_label(source):
    return SOURCE_LABELS.get(source, source)


def get_version(version):
    return db.session.execute(db.select(ScoreRule).where(ScoreRule.version == version)).scalar()


def check_rule(parts, vetoes, missing_data=MISSING_ZERO, verdict_min_n=DEFAULT_MIN_N,
               survey_source=Source.SAMPLED.value):
    """Every problem with a proposed rule, as messages for the reader (empty when it can be saved)."""
    problems = []
    if missing_data not in (MISSING_ZERO, MISSING_UNRANKED):
        problems.append(_l("Choose how a figure without data counts."))
    if not isinstance(verdict_min_n, int) or isinstance(verdict_min_n, bool) or not 1 <= verdict_min_n <= 100000:
        problems.append(_l("The minimum number of answers for a verdict is a whole number from 1 to 100000."))
    if survey_source not in SURVEY_SOURCES:
        problems.append(_l("Choose which survey method the index and the veto use."))
    names = [p.get("name") for p in parts]
    if not parts:
        problems.append(_l("Give at least one figure a weight."))
    unknown = [n for n in names + [v.get("name") for v in vetoes] if n not in SCOREABLE]
    if unknown:
        problems.append(_l("Unknown figure: %(names)s.", names=", ".join(str(n) for n in unknown)))
    if len(set(names)) != len(names):
        problems.append(_l("Each figure may appear only once among the weighted parts."))
    weights = [p.get("weight") for p in parts]
    if any(not isinstance(w, (int, float)) or w <= 0 for w in weights):
        problems.append(_l("Weights are positive numbers."))
    elif parts and abs(sum(weights) - 100) > 1e-9:
        problems.append(_l("The weights must add up to 100 (they add up to %(total)s).",
                           total=f"{sum(weights):g}"))
    targets = [p.get("target") for p in parts]
    if any(t is not None and (not isinstance(t, (int, float)) or not 0 < t <= 1) for t in targets):
        problems.append(_l("Targets are percentages above 0 and at most 100."))
    lines = [v.get("line") for v in vetoes]
    if any(not isinstance(line, (int, float)) or not 0 <= line <= 1 for line in lines):
        problems.append(_l("Veto lines are percentages from 0 to 100."))
    veto_names = [v.get("name") for v in vetoes]
    if len(set(veto_names)) != len(veto_names):
        problems.append(_l("Each figure may have only one veto line."))
    return problems


def save_rule(parts, vetoes, actor, note=None, missing_data=MISSING_ZERO, verdict_min_n=DEFAULT_MIN_N,
              survey_source=Source.SAMPLED.value):
    """A new rule version from ``parts``, ``vetoes`` and how it judges; earlier versions stay. Raises RuleError."""
    problems = check_rule(parts, vetoes, missing_data, verdict_min_n, survey_source)
    if problems:
        raise RuleError(problems)
    latest = current_rule()
    rule = ScoreRule(version=latest.version + 1, created_by_id=getattr(actor, "id", None),
                     parts=[{"name": p["name"], "weight": p["weight"], "target": p.get("target")} for p in parts],
                     vetoes=[{"name": v["name"], "line": v["line"]} for v in vetoes],
                     note=(note or "").strip()[:500] or None, missing_data=missing_data,
                     verdict_min_n=verdict_min_n, survey_source=survey_source)
    db.session.add(rule)
    db.session.flush()
    audit.record(actor, "create", rule, summary=f"score rule version {rule.version}",
                 changes={"parts": rule.parts, "vetoes": rule.vetoes, "missing_data": missing_data,
                          "verdict_min_n": verdict_min_n, "survey_source": survey_source})
    db.session.flush()
    return rule


@dataclass
class Score:
    """A composite index with its explanation: ``parts`` are dicts name, label, value, weight, contribution,
    target (and met, verdict, missing, low, high, n); ``vetoes`` name every veto line failed, ``undecided`` every
    veto line the evidence cannot decide yet, ``unranked`` why there is no index (translatable messages)."""

    total: float | None
    parts: list
    vetoes: list
    rule_version: int
    missing: list = field(default_factory=list)  # names of parts without data
    undecided: list = field(default_factory=list)
    unranked: list = field(default_factory=list)
    missing_data: str = MISSING_ZERO
    min_n: int = DEFAULT_MIN_N
    survey_source: str = Source.SAMPLED.value

    @property
    def vetoed(self):
        return bool(self.vetoes)

    def sort_key(self):
        """Best first: no veto before vetoed, higher total first, no score last."""
        return (self.total is None, self.vetoed, -(self.total or 0))


def _percent(value):
    return f"{100 * value:.1f}%"


def measure(figures, name, source):
    """A figure of ``figures`` as {"value", "low", "high", "n"} (95% Wilson interval), or None without data. The
    survey 满意率 and quiz 知晓率 are those of ``source`` (sampled or self-selected)."""
    if name in SURVEY_FIGURES:
        found = (figures.survey if name == "survey_rate" else figures.awareness) or {}
        figure = found.get(source)
        if not figure or figure.get("rate") is None:
            return None
        return {"value": figure["rate"], "low": figure["low"], "high": figure["high"], "n": figure["n"]}
    x, n = RATE_COUNTS[name](figures)
    measured = rates.rate(x, n)
    if measured is None:
        return None
    return {"value": measured.p, "low": measured.low, "high": measured.high, "n": n}


def _figure_label(name, source):
    if name in SURVEY_FIGURES:
        return _l("%(figure)s, %(method)s", figure=label_of(name), method=source_label(source))
    return label_of(name)


def _judged(label, measured, line):
    return dict(figure=label, value=_percent(measured["value"]), low=_percent(measured["low"]),
                high=_percent(measured["high"]), n=measured["n"], line=_percent(line))


def score(figures, rule):
    """The composite index of ``figures`` (a Figures) under ``rule`` (a ScoreRule)."""
    missing_data, min_n, source = settings_of(rule)
    parts, missing = [], []
    earned = weighed = 0.0
    has_data = False
    for part in rule.parts:
        name, weight, target = part["name"], part["weight"], part.get("target")
        measured = measure(figures, name, source)
        value = measured["value"] if measured else None
        lower = direction_of(name) == LOWER
        entry = {"name": name, "label": _figure_label(name, source), "value": value, "weight": weight,
                 "target": target, "contribution": None, "met": None, "verdict": None, "missing": value is None,
                 "lower_is_better": lower, "low": None, "high": None, "n": None, "scored_as_zero": False}
        if measured is None:
            missing.append(name)
            if missing_data == MISSING_ZERO:
                entry["contribution"] = 0.0
                entry["scored_as_zero"] = True
                weighed += weight
        else:
            has_data = True
            share = 1 - value if lower else value
            entry["contribution"] = round(weight * share, 4)
            entry.update(low=measured["low"], high=measured["high"], n=measured["n"])
            earned += weight * share
            weighed += weight
            if target is not None:
                entry["verdict"] = rates.verdict(measured, target, min_n=min_n, lower_is_better=lower)
                entry["met"] = {rates.MEETS: True, rates.BELOW: False}.get(entry["verdict"])
        parts.append(entry)
    total = round(earned / weighed * 100, 2) if has_data and weighed else None
    unranked = []
    if missing_data == MISSING_UNRANKED and missing and total is not None:
        total = None
        labels = [_figure_label(n, source) for n in missing]
        unranked.append(_l("Not ranked: no data for %(figures)s (rule version %(version)d leaves such entries "
                           "unranked)", figures=LazyString(lambda: ", ".join(str(label) for label in labels)),
                           version=rule.version))
    vetoes, undecided = [], []
    for veto in rule.vetoes:
        name, line = veto["name"], veto["line"]
        label = _figure_label(name, source)
        measured = measure(figures, name, source)
        if measured is None:
            if name in SURVEY_FIGURES and figures.level not in ("area", "city"):
                continue  # units and categories have no survey figures at all
            undecided.append(_l("%(figure)s: no data, so no verdict on the veto line %(line)s", figure=label,
                                line=_percent(line)))
            continue
        lower = direction_of(name) == LOWER
        verdict = rates.verdict(measured, line, min_n=min_n, lower_is_better=lower)
        judged = _judged(label, measured, line)
        if verdict == rates.BELOW and lower:
            vetoes.append(_l("%(figure)s %(value)s (95%% interval %(low)s–%(high)s, n=%(n)d) is above the veto "
                             "line %(line)s", **judged))
        elif verdict == rates.BELOW:
            vetoes.append(_l("%(figure)s %(value)s (95%% interval %(low)s–%(high)s, n=%(n)d) is below the veto "
                             "line %(line)s", **judged))
        elif verdict == rates.TOO_FEW:
            undecided.append(_l("%(figure)s %(value)s: fewer than %(min_n)d answers (n=%(n)d), so no verdict on the "
                                "veto line %(line)s", min_n=min_n, **judged))
        elif verdict == rates.UNCLEAR:
            undecided.append(_l("%(figure)s %(value)s: the 95%% interval %(low)s–%(high)s (n=%(n)d) includes the "
                                "veto line %(line)s, so not enough evidence to veto", **judged))
    return Score(total=total, parts=parts, vetoes=vetoes, rule_version=rule.version, missing=missing,
                 undecided=undecided, unranked=unranked, missing_data=missing_data, min_n=min_n,
                 survey_source=source)
