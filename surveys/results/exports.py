"""Exports: responses (one row per response, labels in a chosen language) and the summary table, as CSV or XLSX.

Rows are produced in batches (a fixed number of queries per thousand responses, loaded responses released after
each batch) and written by ``portal.exports``.
Call these inside ``flask_babel.force_locale(locale)`` so that built-in labels come out in that language too.
"""

from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from portal.city import get_city_settings
from portal.clock import to_local
from portal.extensions import db
from portal.registry.models import Area
from surveys.questions import ExportLabels
from surveys.response_models import SurveyResponse

BATCH = 1000


def _questions(survey):
    return sorted(survey.questions, key=lambda q: (q.section_position, q.position))


def response_header(survey, locale):
    header = [_("Response"), _("Submitted"), _("Source"), _("Area"), _("Token card"), _("Seconds taken"),
              _("Excluded"), _("Quality flags")]
    if survey.is_quiz:
        header += [_("Score"), _("Out of"), _("Passed")]
    for question in _questions(survey):
        header += question.type.export_header(question, locale)
    return header


def response_rows(survey, locale):
    """The header, then one list per response, oldest first."""
    yield response_header(survey, locale)
    questions = _questions(survey)
    timezone = get_city_settings().timezone
    labels = ExportLabels(levels=survey.level_labels(locale), locale=locale,
                          areas={a.id: a.name_in(locale) for a in db.session.execute(db.select(Area)).scalars()})
    last_id = 0
    while True:
        batch = db.session.execute(
            db.select(SurveyResponse).options(selectinload(SurveyResponse.answers))
            .where(SurveyResponse.survey_id == survey.id, SurveyResponse.id > last_id)
            .order_by(SurveyResponse.id).limit(BATCH)).scalars().all()
        if not batch:
            return
        for response in batch:
            yield _response_row(survey, response, questions, labels, timezone)
        last_id = batch[-1].id
        for response in batch:  # keep memory flat on large surveys (answers go with their response)
            db.session.expunge(response)


def _response_row(survey, response, questions, labels, timezone):
    row = [response.id, to_local(response.submitted_at, timezone).strftime("%Y-%m-%d %H:%M:%S"),
           response.source.label, labels.areas.get(response.area_id, ""), _("yes") if response.token_id else "",
           response.duration_seconds if response.duration_seconds is not None else "",
           _("yes") if response.excluded else "", " ".join(response.flags)]
    if survey.is_quiz:
        row += [response.score, response.max_score, _("yes") if response.passed else _("no")]
    values, texts = {}, {}
    for answer in response.answers:
        target = (answer.question_id, answer.item)
        if answer.value is not None:
            values.setdefault(target, []).append(answer.value)
        if answer.text is not None or answer.number is not None:
            texts.setdefault(target, []).append(answer.text if answer.text is not None else _number(answer.number))
    for question in questions:
        row += question.type.export_cells(question, values, texts, labels)
    return row


def _number(value):
    return int(value) if float(value).is_integer() else value


def _percent(value):
    return round(100 * value, 1) if value is not None else ""


def summary_rows(results, locale):
    """The summary table: headline per source (raw, interval, weighted, target), per area, per question."""
    survey = results.survey
    yield [survey.title_in(locale), survey.method.label, survey.guarantee.label]
    yield [_("Source"), _("Question"), _("Item"), _("Answer"), _("Count"), _("Share %"), _("n"),
           _("Rate %"), _("Lower 95% bound, %"), _("Upper 95% bound, %"), _("Weighted %"), _("Target %"),
           _("Method"), _("One response per person")]
    headline = _("Pass rate (知晓率)") if survey.is_quiz else _("Satisfaction rate (满意率)")
    how = [survey.method.label, survey.guarantee.label]  # carried by every headline figure
    for source in results.sources:
        rate, weighted = results.headline[source], results.weighted[source]
        yield [source.label, headline, "", "", rate.x if rate else 0, "", rate.n if rate else 0,
               _percent(rate.p if rate else None), _percent(rate.low if rate else None),
               _percent(rate.high if rate else None), _percent(weighted.p if weighted else None),
               survey.target_percent or "", *how]
        held_back, with_flagged = results.counts[source]["held_back"], results.with_flagged[source]
        if held_back and with_flagged is not None:
            including = _("including the %(count)d flagged responses held back", count=held_back)
            yield [source.label, headline, including, "", with_flagged.x, "", with_flagged.n, _percent(with_flagged.p),
                   _percent(with_flagged.low), _percent(with_flagged.high), "", survey.target_percent or "", *how]
        for row in results.areas:
            area_rate = row.by_source.get(source)
            if area_rate is not None:
                yield [source.label, headline, row.label or _("Outside the survey's areas"), "", area_rate.x, "",
                       area_rate.n, _percent(area_rate.p), _percent(area_rate.low), _percent(area_rate.high), "", ""]
        for result in results.questions:
            yield from _question_rows(result, source, locale)


def _question_rows(result, source, locale):
    question = result.question
    text = question.text_in(locale)
    parts = [("", result.by_source.get(source))] + [
        (next((question.label_of(i, locale) for i in question.items or () if i["value"] == item), item), by.get(source))
        for item, by in result.items]
    for item_label, dist in parts:
        if dist is None:
            continue
        rate = dist.rate
        for value, count in sorted(dist.counts.items()):
            yield [source.label, text, item_label, result.labels.get(value, value), count, _percent(dist.share(value)),
                   dist.n, "", "", "", "", ""]
        if rate is not None:
            yield [source.label, text, item_label, _("satisfied"), rate.x, "", rate.n, _percent(rate.p),
                   _percent(rate.low), _percent(rate.high), "", ""]
    correct = result.correct.get(source)
    if correct is not None:
        yield [source.label, text, "", _("right answers"), correct.x, "", correct.n, _percent(correct.p),
               _percent(correct.low), _percent(correct.high), "", ""]
