"""The composite index (综合指数): versioned rules of weights, targets and veto lines, and the score of one set of
figures under a rule, with its explanation.

Arithmetic (the definitions page says the same):

* each part takes one figure as a share in [0, 1]; for figures where less is better (返工率, 重办率) the part takes
  1 − the rate;
* contribution = weight × that share (so a part is worth at most its weight);
* total = Σ contributions / Σ weights of the parts that have data × 100: a part without data (no denominator, e.g.
  no rated case) is left out and the others are scaled up to 100, and the explanation says so; no part with data
  means no score (None);
* a veto line (一票否决) names a figure and a line: a figure below it (above it where less is better) vetoes the
  score. The total is still shown, but a vetoed entry is ranked below every entry without a veto.
"""
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from portal.auth import audit
from portal.extensions import db
from portal.scorecards.models import ScoreRule

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


def get_version(version):
    return db.session.execute(db.select(ScoreRule).where(ScoreRule.version == version)).scalar()


def check_rule(parts, vetoes):
    """Every problem with a proposed rule, as messages for the reader (empty when it can be saved)."""
    problems = []
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


def save_rule(parts, vetoes, actor, note=None):
    """A new rule version from ``parts`` and ``vetoes``; earlier versions stay. Raises RuleError."""
    problems = check_rule(parts, vetoes)
    if problems:
        raise RuleError(problems)
    latest = current_rule()
    rule = ScoreRule(version=latest.version + 1, created_by_id=getattr(actor, "id", None),
                     parts=[{"name": p["name"], "weight": p["weight"], "target": p.get("target")} for p in parts],
                     vetoes=[{"name": v["name"], "line": v["line"]} for v in vetoes],
                     note=(note or "").strip()[:500] or None)
    db.session.add(rule)
    db.session.flush()
    audit.record(actor, "create", rule, summary=f"score rule version {rule.version}",
                 changes={"parts": rule.parts, "vetoes": rule.vetoes})
    db.session.flush()
    return rule


@dataclass
class Score:
    """A composite index with its explanation: ``parts`` are dicts name, label, value, weight, contribution,
    target (and met, missing); ``vetoes`` name every veto line crossed (translatable messages)."""

    total: float | None
    parts: list
    vetoes: list
    rule_version: int
    missing: list = field(default_factory=list)  # names of parts left out for lack of data

    @property
    def vetoed(self):
        return bool(self.vetoes)

    def sort_key(self):
        """Best first: no veto before vetoed, higher total first, no score last."""
        return (self.total is None, self.vetoed, -(self.total or 0))


def _percent(value):
    return f"{100 * value:.1f}%"


def score(figures, rule):
    """The composite index of ``figures`` (a Figures) under ``rule`` (a ScoreRule)."""
    parts, missing = [], []
    earned = weighed = 0.0
    for part in rule.parts:
        name, weight, target = part["name"], part["weight"], part.get("target")
        value = figures.value(name)
        lower = direction_of(name) == LOWER
        entry = {"name": name, "label": label_of(name), "value": value, "weight": weight, "target": target,
                 "contribution": None, "met": None, "missing": value is None, "lower_is_better": lower}
        if value is None:
            missing.append(name)
        else:
            share = 1 - value if lower else value
            entry["contribution"] = round(weight * share, 4)
            earned += weight * share
            weighed += weight
            if target is not None:
                entry["met"] = value <= target if lower else value >= target
        parts.append(entry)
    total = round(earned / weighed * 100, 2) if weighed else None
    vetoes = []
    for veto in rule.vetoes:
        name, line = veto["name"], veto["line"]
        value = figures.value(name)
        if value is None:
            continue
        if direction_of(name) == LOWER and value > line:
            vetoes.append(_l("%(figure)s %(value)s is above the veto line %(line)s", figure=label_of(name),
                             value=_percent(value), line=_percent(line)))
        elif direction_of(name) == HIGHER and value < line:
            vetoes.append(_l("%(figure)s %(value)s is below the veto line %(line)s", figure=label_of(name),
                             value=_percent(value), line=_percent(line)))
    return Score(total=total, parts=parts, vetoes=vetoes, rule_version=rule.version, missing=missing)
