"""Rectification (整改) from survey results: a low-scoring satisfaction question or matrix item, in an area, becomes
a complaint case assigned by a superior (上级交办) that goes through the normal dispatch queue to a unit.

The task remembers where it came from (survey, question, item, area) so that the results page can show the case
and its state next to the item, and one item in one area gets one task however often the button is pressed.
"""
import hashlib
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from complaints import services as cases
from complaints.models import Channel
from portal.auth import audit
from portal.extensions import db
from surveys.definition import SurveyError
from surveys.rectification_models import RectificationTask

NO_ITEM = ""  # the item of a satisfaction question (matrix questions name one of their items)


@dataclass(frozen=True)
class RatedItem:
    """A satisfaction question, or one item of a matrix question: something with its own 满意率."""

    question: object
    item: str
    label: str

    @property
    def ref(self):
        """How a link or a picker names it: ``<question id>:<item code>``."""
        return f"{self.question.id}:{self.item}"


def rated_items(survey):
    """Every satisfaction question and matrix item of ``survey``, in the order they are asked."""
    return [RatedItem(question, item, label)
            for question in sorted(survey.questions, key=lambda q: (q.section_position, q.position))
            for item, label in question.type.rated_items(question)]


def find_item(survey, ref):
    """The RatedItem named by ``ref`` (``<question id>:<item>``), or None if the survey has no such thing."""
    question_id, _sep, item = (ref or "").partition(":")
    return next((entry for entry in rated_items(survey)
                 if str(entry.question.id) == question_id and entry.item == item), None)


def describe(survey, entry, area, rate=None, source=None):
    """The case description a leader starts from: where the figure comes from, the figure and what to do."""
    lines = [_("Rectification from the survey “%(survey)s”.", survey=survey.display_title),
             _("Item: %(item)s", item=entry.label),
             _("Area: %(area)s", area=area.display_name if area is not None else "—")]
    if rate is not None:
        lines.append(_("满意率 %(percent).1f%% (%(x)d of %(n)d satisfied; 95%% interval %(low).1f%%–%(high).1f%%)",
                       percent=rate.percent, x=rate.x, n=rate.n, low=100 * rate.low, high=100 * rate.high))
    if source is not None:
        lines.append(_("Responses: %(source)s; method: %(method)s", source=source.label, method=survey.method.label))
    if survey.target_percent:
        lines.append(_("Target: %(target).1f%%", target=survey.target_percent))
    lines.append(_("Please find the causes, rectify and report what was done."))
    return "\n".join(lines)


def task_for(survey, entry, area):
    return db.session.execute(db.select(RectificationTask).where(
        RectificationTask.survey_id == survey.id, RectificationTask.question_id == entry.question.id,
        RectificationTask.item == entry.item, RectificationTask.area_id == area.id)).scalar_one_or_none()


def _case_key(survey, entry, area):
    """The case's idempotency key: the same item and area always ask for the same case."""
    raw = f"{survey.id}:{entry.question.id}:{entry.item}:{area.id}".encode()
    return "rectify:" + hashlib.sha256(raw).hexdigest()[:40]


def create_task(survey, entry, area, category, description, actor):
    """Make the 上级交办 case for ``entry`` in ``area`` and the task that links them; ``(task, created)``.

    The case waits in 受理 for the command centre to file and dispatch it like any other. Raises SurveyError
    ("area", "description") or the complaints side's CaseError (the category). Ends with a flush.
    """
    if area is None or not area.active:
        raise SurveyError("area", field="area")
    description = (description or "").strip()
    if not description or len(description) > cases.MAX_DESCRIPTION:
        raise SurveyError("description", field="description")
    existing = task_for(survey, entry, area)
    if existing is not None:
        return existing, False
    case, _created = cases.submit_report(category=category, description=description, channel=Channel.SUPERIOR,
                                         area=area, actor=actor, idempotency_key=_case_key(survey, entry, area))
    task = RectificationTask(survey_id=survey.id, question_id=entry.question.id, item=entry.item, area_id=area.id,
                             case_id=case.id, created_by_id=getattr(actor, "id", None))
    try:
        with db.session.begin_nested():
            db.session.add(task)
            db.session.flush()
    except IntegrityError:  # the same click, sent twice at once: the other request made the task
        existing = task_for(survey, entry, area)
        if existing is None:
            raise
        return existing, False
    audit.record(actor, "create", task, summary=case.number,
                 changes={"survey": survey.id, "question": entry.question.key, "item": entry.item,
                          "area": area.id, "case": case.number})
    db.session.flush()
    return task, True


def tasks_by_item(survey):
    """{(question id, item): [task, ...]} with each task's case and area loaded: one query."""
    found = {}
    query = (db.select(RectificationTask).where(RectificationTask.survey_id == survey.id)
             .options(joinedload(RectificationTask.case), joinedload(RectificationTask.area))
             .order_by(RectificationTask.id))
    for task in db.session.execute(query).scalars():
        found.setdefault((task.question_id, task.item), []).append(task)
    return found
