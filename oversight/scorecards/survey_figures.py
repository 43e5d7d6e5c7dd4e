"""Survey 满意率 and quiz 知晓率 per area (sub-areas included) and for the city, for the scorecards.

Counts come from one grouped query on the survey responses (their local ``day`` and attributed area); the rates
and 95% intervals from ``surveys.rates``. Excluded responses and rehearsals (模拟测评) are left out. Sampled and
self-selected responses are never pooled: each method's figure is reported side by side, with its n and interval,
and says which survey methods it comes from (``method``); the composite-index rule names which one it judges by.

A quiz's 知晓率 is reported both ways, labelled: the share of respondents who passed (``passed``) and the share of
correct answers, as points scored ÷ points possible (``correct``). Each quiz says which is its headline; the
area's headline is the share of correct answers only when every quiz counted in it says so.
"""
from collections import defaultdict

from sqlalchemy import case, func, literal_column, or_

from portal.extensions import db
from portal.registry.models import Area
from surveys import rates
from surveys.models import Guarantee, Survey, SurveyKind, SurveyMethod
from surveys.response_models import Source, SurveyResponse

PASSED, CORRECT = "passed", "correct"
SOURCES = (Source.SAMPLED, Source.SELF_SELECTED)


def _methods(methods):
    return "+".join(sorted(methods))


def method_words(method):
    """A figure's ``method`` ("phone+qr_open") in the reader's words: 电话调查、自愿参与; unknown codes as they are."""
    known = {m.value: m for m in SurveyMethod}
    return "、".join(known[code].label if code in known else code for code in (method or "").split("+") if code)


def _interval(measured, **extra):
    return {"rate": measured.p, "low": measured.low, "high": measured.high, "n": measured.n, **extra}


def _survey_figures(cells):
    """{source value: figure} from {source: cell}: one figure per method, never pooled."""
    found = {}
    for source in SOURCES:
        cell = cells.get(source)
        measured = rates.rate(cell["x"], cell["n"]) if cell else None
        if measured is not None:
            found[source.value] = _interval(measured, x=cell["x"], source=source.value,
                                            method=_methods(cell["methods"]), guarantee=_methods(cell["guarantees"]))
    return found or None


def _awareness_figures(cells):
    """{source value: figure} with both 知晓率s; the figure's own rate/low/high/n are its headline's."""
    found = {}
    for source in SOURCES:
        cell = cells.get(source)
        if not cell:
            continue
        passed = rates.rate(cell["x"], cell["n"])
        correct = rates.points_share(cell["scored"], *cell["points"])
        if passed is None and correct is None:
            continue
        figure = {"source": source.value, "method": _methods(cell["methods"]),
                  "guarantee": _methods(cell["guarantees"]),
                  PASSED: _interval(passed, x=cell["x"]) if passed else None,
                  CORRECT: _interval(correct, points=correct.points, max_points=correct.max_points)
                  if correct else None}
        headline = CORRECT if cell["headlines"] == {CORRECT} and correct else PASSED
        if figure[headline] is None:
            headline = CORRECT if headline == PASSED else PASSED
        figure["headline"] = headline
        figure.update({key: figure[headline][key] for key in ("rate", "low", "high", "n")})
        figure["x"] = figure[headline].get("x")
        found[source.value] = figure
    return found or None


def _new_cell():
    return {"x": 0, "n": 0, "methods": set(), "guarantees": set(), "headlines": set(), "scored": 0,
            "points": [0.0] * 5}


def guarantee_words(guarantee):
    """A figure's ``guarantee`` ("device+token") in the reader's words; unknown codes as they are."""
    known = {g.value: g for g in Guarantee}
    return "、".join(known[code].label if code in known else code for code in (guarantee or "").split("+") if code)


def survey_figures(periods, by, tz=None):
    """{(period index, area id or 0 for the city): {"survey": {source: figure} or None, "awareness": ... }}.

    ``by`` is "area" (every area gets the responses of its subtree) or "city" (key 0).
    """
    conditions = [(SurveyResponse.day.between(p.start.isoformat(), p.end.isoformat()), index)
                  for index, p in enumerate(periods)]
    index_expr = case(*[(c, literal_column(str(i))) for c, i in conditions], else_=literal_column("-1")).label("idx")
    score, top = SurveyResponse.score, SurveyResponse.max_score
    scored = top > 0
    query = (db.select(index_expr, SurveyResponse.area_id, SurveyResponse.survey_id, SurveyResponse.source,
                       SurveyResponse.headline_level, SurveyResponse.passed, func.count(),
                       func.sum(case((scored, 1), else_=0)), func.sum(case((scored, score))),
                       func.sum(case((scored, top))), func.sum(case((scored, score * score))),
                       func.sum(case((scored, top * top))), func.sum(case((scored, score * top))))
             .join(Survey, Survey.id == SurveyResponse.survey_id)
             .where(SurveyResponse.is_counted, Survey.method != SurveyMethod.REHEARSAL.value,
                    or_(*[c for c, _i in conditions]))
             .group_by(literal_column("idx"), SurveyResponse.area_id, SurveyResponse.survey_id,
                       SurveyResponse.source, SurveyResponse.headline_level, SurveyResponse.passed))
    rows = db.session.execute(query).all()
    if not rows:
        return {}
    survey_ids = {row[2] for row in rows}
    surveys = {s.id: s for s in db.session.execute(
        db.select(Survey).where(Survey.id.in_(survey_ids))).scalars()}
    towards = {}
    if by == "area":
        area_ids = {row[1] for row in rows if row[1] is not None}
        for area_id, path in db.session.execute(db.select(Area.id, Area.path).where(Area.id.in_(area_ids))):
            towards[area_id] = [int(part) for part in path.strip("/").split("/") if part]

    # (index, key, "survey"|"awareness") -> {source: cell}
    cells = defaultdict(lambda: defaultdict(_new_cell))
    for index, area_id, survey_id, source, level, passed, count, n_scored, *sums in rows:
        survey = surveys[survey_id]
        if survey.kind == SurveyKind.QUIZ:
            if passed is None and not n_scored:
                continue
            figure, success, counted = "awareness", bool(passed), count if passed is not None else 0
        else:
            if level is None:
                continue
            figure, success, counted = "survey", survey.is_satisfied(level), count
        keys = [0] if by == "city" else towards.get(area_id, [])
        source = Source(source)
        for key in keys:
            cell = cells[(index, key, figure)][source]
            cell["x"] += counted if success else 0
            cell["n"] += counted
            cell["methods"].add(survey.method.value)
            cell["guarantees"].add(survey.guarantee.value)
            if figure == "awareness":
                cell["headlines"].add(survey.awareness_headline or PASSED)
                cell["scored"] += int(n_scored or 0)
                cell["points"] = [total + float(value or 0) for total, value in zip(cell["points"], sums, strict=True)]
    result = defaultdict(dict)
    for (index, key, figure), by_source in cells.items():
        build = _survey_figures if figure == "survey" else _awareness_figures
        result[(index, key)][figure] = build(by_source)
    return result
