"""What respondents leave behind: responses and their answers, the running counts (tallies) the results are read
from, token cards, phone verification codes, and the append-only record of exclusions.
"""
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import UTCDateTime, utcnow
from portal.extensions import db
from portal.models import LabelledEnum, enum_column


class Source(LabelledEnum):
    """Where a response comes from. The two are reported apart and never pooled."""

    SELF_SELECTED = "self"  # open link, QR poster, once-per-device, a phone that walked up and verified itself
    SAMPLED = "sampled"  # through a sampling frame: a token card, or a number on the survey team's call list


Source._labels = {
    Source.SELF_SELECTED: _l("Self-selected (open link / QR)"),
    Source.SAMPLED: _l("Sampled (token card / call list)"),
}

# The quality flags that hold a response back from the headline until a staff decision counts it in.
QUALITY_FLAGS = ("is_speeder", "is_straightliner", "is_burst", "is_repeat")
NO_AREA = 0  # the tally's stratum for responses outside every area the survey is distributed in
CORRECT_ITEM = "#correct"  # tally item holding quiz questions' right (1) / wrong (0) counts


class SurveyResponse(db.Model):
    """One submitted questionnaire. Rows are never deleted: a bad one is excluded, with the reason recorded."""

    __tablename__ = "survey_responses"
    __table_args__ = (
        # One response per device / phone / token where the survey asks for it. Partial: most responses (open
        # surveys, no card) have neither key, and a unique index entry for them would be written for nothing.
        db.Index("uq_survey_responses_survey_guard", "survey_id", "guard_key", unique=True,
                 sqlite_where=db.text("guard_key IS NOT NULL"), postgresql_where=db.text("guard_key IS NOT NULL")),
        db.Index("uq_survey_responses_token_id", "token_id", unique=True,
                 sqlite_where=db.text("token_id IS NOT NULL"), postgresql_where=db.text("token_id IS NOT NULL")),
        # Covering indexes for the results: the rate per day and per area without reading the rows.
        db.Index("ix_survey_responses_by_day", "survey_id", "excluded", "day", "source", "headline_level",
                 "passed", *QUALITY_FLAGS, "flags_accepted"),
        db.Index("ix_survey_responses_by_area", "survey_id", "excluded", "survey_area_id", "source",
                 "headline_level", "passed", "is_speeder", "is_straightliner", "is_burst", "is_repeat",
                 "flags_accepted", "over_quota"),
        # Earlier responses from the same network and browser (once-per-device surveys look them up on submission).
        db.Index("ix_survey_responses_fingerprint", "survey_id", "fingerprint", "submitted_at",
                 sqlite_where=db.text("fingerprint IS NOT NULL"), postgresql_where=db.text("fingerprint IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(db.ForeignKey("surveys.id", ondelete="CASCADE"), nullable=False)
    source: Mapped[Source] = mapped_column(enum_column(Source), nullable=False)
    idempotency_key: Mapped[str] = mapped_column(db.String(64), unique=True, nullable=False)
    guard_key: Mapped[str | None] = mapped_column(db.String(80))  # device:… | phone:… | token:…
    token_id: Mapped[int | None] = mapped_column(db.ForeignKey("survey_tokens.id"))  # one response per card
    area_id: Mapped[int | None] = mapped_column(db.ForeignKey("areas.id"), index=True)  # where it is attributed
    survey_area_id: Mapped[int | None] = mapped_column(db.ForeignKey("survey_areas.id"))  # its stratum
    device_key: Mapped[str | None] = mapped_column(db.String(64))  # for burst checks, whatever the guarantee
    network: Mapped[str | None] = mapped_column(db.String(64))  # a keyed hash of the /24 (IPv4) or /48 (IPv6)
    # A keyed hash of the network and the browser's user agent: what the server sees of a device whose cookie was
    # cleared. Never the raw address.
    fingerprint: Mapped[str | None] = mapped_column(db.String(64))
    locale: Mapped[str] = mapped_column(db.String(10), nullable=False, default="zh_Hans")
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    day: Mapped[str] = mapped_column(db.String(10), nullable=False)  # local date YYYY-MM-DD, for periods
    duration_seconds: Mapped[int | None] = mapped_column()
    answered: Mapped[int | None] = mapped_column()  # answers given (each matrix item counts): the speeder floor
    headline_level: Mapped[int | None] = mapped_column()  # the answer behind the survey's 满意率
    score: Mapped[int | None] = mapped_column()
    max_score: Mapped[int | None] = mapped_column()
    passed: Mapped[bool | None] = mapped_column(db.Boolean)
    over_quota: Mapped[bool] = mapped_column(db.Boolean, nullable=False, default=False)
    is_speeder: Mapped[bool] = mapped_column(db.Boolean, nullable=False, default=False)
    is_straightliner: Mapped[bool] = mapped_column(db.Boolean, nullable=False, default=False)
    is_burst: Mapped[bool] = mapped_column(db.Boolean, nullable=False, default=False)
    # Once-per-device surveys: the same network and browser answered within the repeat window (a cleared cookie).
    is_repeat: Mapped[bool] = mapped_column(db.Boolean, nullable=False, default=False)
    # A recorded staff decision to count this flagged response in the headline after all.
    flags_accepted: Mapped[bool] = mapped_column(db.Boolean, nullable=False, default=False)
    excluded: Mapped[bool] = mapped_column(db.Boolean, nullable=False, default=False)

    survey = relationship("Survey")
    area = relationship("Area")
    token = relationship("SurveyToken")
    answers = relationship("SurveyAnswer", back_populates="response", cascade="all, delete-orphan",
                           order_by="SurveyAnswer.id")

    @property
    def flags(self):
        return [name for name, on in (("speeder", self.is_speeder), ("straightliner", self.is_straightliner),
                                      ("burst", self.is_burst), ("repeat", self.is_repeat),
                                      ("over_quota", self.over_quota)) if on]

    @hybrid_property
    def is_flagged(self):
        """Carries a quality flag that keeps it out of the headline (an over-quota answer is not one)."""
        return any(getattr(self, name) for name in QUALITY_FLAGS)

    @is_flagged.inplace.expression
    @classmethod
    def _is_flagged(cls):
        return db.or_(*(getattr(cls, name).is_(True) for name in QUALITY_FLAGS))

    @hybrid_property
    def is_held_back(self):
        """Flagged and not counted in by a staff decision: left out of the headline, shown beside it."""
        return self.is_flagged and not self.flags_accepted

    @is_held_back.inplace.expression
    @classmethod
    def _is_held_back(cls):
        return db.and_(cls.is_flagged, cls.flags_accepted.is_(False))

    @hybrid_property
    def is_counted(self):
        """In every figure: not excluded, and not held back for its flags. The one rule the results, the tallies,
        the exports and the scorecards count by."""
        return not self.excluded and not self.is_held_back

    @is_counted.inplace.expression
    @classmethod
    def _is_counted(cls):
        return db.and_(cls.excluded.is_(False), db.not_(cls.is_held_back))


class SurveyAnswer(db.Model):
    """One value of a response: a chosen option (one row each for multiple choice), a level, a matrix item's
    level, a rating, a number, a text or an area. ``value`` holds option indexes, levels, ratings and area ids."""

    __tablename__ = "survey_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(db.ForeignKey("survey_responses.id", ondelete="CASCADE"),
                                             nullable=False, index=True)
    question_id: Mapped[int] = mapped_column(db.ForeignKey("survey_questions.id", ondelete="CASCADE"),
                                             nullable=False, index=True)
    item: Mapped[str] = mapped_column(db.String(40), nullable=False, default="")  # matrix item code
    value: Mapped[int | None] = mapped_column()
    number: Mapped[float | None] = mapped_column(db.Float)
    text: Mapped[str | None] = mapped_column(db.Text)

    response = relationship("SurveyResponse", back_populates="answers")


class SurveyTally(db.Model):
    """Running count of valid answers per (question, item, value, source, stratum): what results are read from.

    Kept in step on every submission and exclusion, and rebuildable from the answers at any time
    (``surveys.tallies.rebuild_tallies``), so the results page never loops over responses.
    """

    __tablename__ = "survey_tallies"
    __table_args__ = (
        db.UniqueConstraint("survey_id", "question_id", "item", "value", "source", "stratum",
                            name="uq_survey_tallies_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(db.ForeignKey("surveys.id", ondelete="CASCADE"), nullable=False)
    question_id: Mapped[int] = mapped_column(db.ForeignKey("survey_questions.id", ondelete="CASCADE"),
                                             nullable=False)
    item: Mapped[str] = mapped_column(db.String(40), nullable=False, default="")
    value: Mapped[int] = mapped_column(nullable=False)
    source: Mapped[Source] = mapped_column(enum_column(Source), nullable=False)
    stratum: Mapped[int] = mapped_column(nullable=False, default=NO_AREA)  # survey_areas.id, or NO_AREA
    count: Mapped[int] = mapped_column(nullable=False, default=0)


class SurveyToken(db.Model):
    """A printed token card: one card, one response. ``code`` is what the card's QR code and text carry."""

    __tablename__ = "survey_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(db.ForeignKey("surveys.id", ondelete="CASCADE"), nullable=False,
                                           index=True)
    area_id: Mapped[int | None] = mapped_column(db.ForeignKey("areas.id"))
    batch: Mapped[int] = mapped_column(nullable=False, default=1)
    code: Mapped[str] = mapped_column(db.String(16), unique=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    area = relationship("Area")


class SurveyPhoneCode(db.Model):
    """A verification code sent to a phone for a once-per-phone survey. Only keyed hashes are stored."""

    __tablename__ = "survey_phone_codes"
    __table_args__ = (db.Index("ix_survey_phone_codes_survey_phone", "survey_id", "phone_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(db.ForeignKey("surveys.id", ondelete="CASCADE"), nullable=False)
    phone_hash: Mapped[str] = mapped_column(db.String(64), nullable=False)
    code_hash: Mapped[str] = mapped_column(db.String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    attempts: Mapped[int] = mapped_column(nullable=False, default=0)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


EXCLUSION = "exclusion"  # a decision on the response as a whole
FLAGS = "flags"  # a decision on its quality flags: excluded False = counted in despite them, True = held back again


class SurveyExclusion(db.Model):
    """A staff decision to exclude a response from the figures (or to take it back in), or to count a flagged
    response in the headline after all (or to hold it back again): who, when, why."""

    __tablename__ = "survey_exclusions"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(db.ForeignKey("survey_responses.id", ondelete="CASCADE"),
                                             nullable=False, index=True)
    decision: Mapped[str] = mapped_column(db.String(16), nullable=False, default=EXCLUSION,
                                          server_default=EXCLUSION)
    excluded: Mapped[bool] = mapped_column(db.Boolean, nullable=False)  # False: taken back in / counted in
    reason: Mapped[str] = mapped_column(db.String(300), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    actor = relationship("User")


class SurveyCallNumber(db.Model):
    """A number on a telephone survey's call list (the sampling frame): only answers from these phones are
    sampled. Only keyed hashes are stored, like verification codes."""

    __tablename__ = "survey_call_numbers"
    __table_args__ = (db.UniqueConstraint("survey_id", "phone_hash", name="uq_survey_call_numbers_phone"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(db.ForeignKey("surveys.id", ondelete="CASCADE"), nullable=False)
    phone_hash: Mapped[str] = mapped_column(db.String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
