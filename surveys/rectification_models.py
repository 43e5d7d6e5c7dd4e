"""整改 tasks: a low-scoring survey item turned into a complaint case for the responsible unit
(``surveys.rectification`` holds the rule)."""
from datetime import datetime

from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import UTCDateTime, utcnow
from portal.extensions import db


class RectificationTask(db.Model):
    """A low-scoring survey item turned into a complaint case (上级交办) for the responsible unit to fix: which
    survey, question, matrix item ("" for a satisfaction question) and area it came from, and the case made.

    One task per (survey, question, item, area): a second request (a double click) finds the first one.
    """

    __tablename__ = "survey_rectification_tasks"
    __table_args__ = (db.UniqueConstraint("survey_id", "question_id", "item", "area_id",
                                          name="uq_survey_rectification_tasks_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(db.ForeignKey("surveys.id", ondelete="CASCADE"), nullable=False)
    question_id: Mapped[int] = mapped_column(db.ForeignKey("survey_questions.id", ondelete="CASCADE"),
                                             nullable=False, index=True)
    item: Mapped[str] = mapped_column(db.String(40), nullable=False, default="")
    area_id: Mapped[int] = mapped_column(db.ForeignKey("areas.id"), nullable=False, index=True)
    case_id: Mapped[int] = mapped_column(db.ForeignKey("cases.id"), nullable=False, unique=True)
    created_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    survey = relationship("Survey")
    question = relationship("SurveyQuestion")
    area = relationship("Area")
    case = relationship("Case")
    created_by = relationship("User")
