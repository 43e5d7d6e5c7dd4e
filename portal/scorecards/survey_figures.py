"""Survey 满意率 and quiz 知晓率 per area (sub-areas included) and for the city, for the scorecards.

Counts come from one grouped query on the survey responses (their local ``day`` and attributed area); the rates
and 95% Wilson intervals from ``surveys.rates``. Excluded responses and rehearsals (模拟测评) are left out. Sampled
and self-selected responses are never pooled: the sampled figure is reported when there is one, else the
self-selected one, and the figure says which (``source``) and by which survey methods (``method``).
"""
from collections import defaultdict

from sqlalchemy import case, literal_column, or_

from portal.extensions import db
from portal.registry.models import Area
from surveys import rates
from surveys.models import Survey, SurveyKind, SurveyMethod
from surveys.response_models import Source, SurveyResponse


def _methods(methods):
    return "+".join(sorted(methods))


def _figure(cells):
    """The reported figure from {source: [x, n, methods, guarantees]}: sampled first, never pooled."""
    for source in (Source.SAMPLED, Source.SELF_SELECTED):
        x, n, methods, guarantees = cells.get(source, (0, 0, set(), set()))
        measured = rates.rate(x, n)
        if measured is not None:
            return {"rate": measured.p, "low": measured.low, "high": measured.high, "n": n, "x": x,
                    "source": source.value, "method": _methods(methods), "guarantee": _methods(guarantees)}
    return None


def survey_figures(periods, by, tz=None):
    """{(period index, area id or 0 for the city): {"survey": figure or None, "awareness": figure or None}}.

    ``by`` is "area" (every area gets the responses of its subtree) or "city" (key 0).
    """
    conditions = [(SurveyResponse.day.between(p.start.isoformat(), p.end.isoformat()), index)
                  for index, p in enumerate(periods)]
    index_expr = case(*[(c, literal_column(str(i))) for c, i in conditions], else_=literal_column("-1")).label("idx")
    query = (db.select(index_expr, SurveyResponse.area_id, SurveyResponse.survey_id, SurveyResponse.source,
                       SurveyResponse.headline_level, SurveyResponse.passed, db.func.count())
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

    # (index, key, "survey"|"awareness") -> {source: [x, n, methods, guarantees]}
    cells = defaultdict(lambda: defaultdict(lambda: [0, 0, set(), set()]))
    for index, area_id, survey_id, source, level, passed, count in rows:
        survey = surveys[survey_id]
        if survey.kind == SurveyKind.QUIZ:
            if passed is None:
                continue
            figure, success = "awareness", bool(passed)
        else:
            if level is None:
                continue
            figure, success = "survey", survey.is_satisfied(level)
        keys = [0] if by == "city" else towards.get(area_id, [])
        source = Source(source)
        for key in keys:
            cell = cells[(index, key, figure)][source]
            cell[0] += count if success else 0
            cell[1] += count
            cell[2].add(survey.method.value)
            cell[3].add(survey.guarantee.value)
    result = defaultdict(dict)
    for (index, key, figure), by_source in cells.items():
        result[(index, key)][figure] = _figure(by_source)
    return result
