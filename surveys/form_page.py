"""The blank answer form of a survey, rendered once per content, language and address in each process.

A QR code on a poster sends every resident to the same blank form: rendering it (the survey, its sections and
questions as models, then the templates) cost five times what storing an answer does. The page is the same for
everyone but for two values: the session's CSRF token and the form token (a fresh idempotency key). So the rendered
page is kept with those two replaced by markers, and filled in for each visitor.

The key holds everything the page shows: every column of the survey's row, of its sections and of its questions,
read in one statement as the database stores them (no model, no type conversion: a fraction of the models' cost),
the language, the address with its query string (the language links), the city settings' ``updated_at`` (name,
hotline) and the process's catalogues. Any edit of the survey, a section or a question (rewording stays possible
once opened) changes a row, so the key, and the next visitor gets the page as edited, in this worker and in every
other; so does closing the survey (its state is a column, and the same statement gives the view its settings as a
``SurveyRow`` to decide whether the form is shown at all). Only the plain case is kept: an anonymous visitor
without messages waiting, no area link, no token, no answers or problems to show again, and no question listing
areas (their names live in another table).
"""
import hashlib
from collections import OrderedDict
from dataclasses import dataclass, fields
from threading import Lock

from flask import current_app, request, session
from flask_login import current_user
from sqlalchemy import type_coerce
from sqlalchemy.types import NullType

from portal.city import city_setting
from portal.extensions import db
from portal.i18n import current_locale
from portal.prepared import Prepared
from portal.signing import generate_csrf
from surveys.models import QuestionKind, Survey, SurveyQuestion, SurveySection
from surveys.sheets import SurveyRow

CSRF_MARK, FORM_MARK = "\x00csrf\x00", "\x00form\x00"  # no rendered page holds a NUL byte
KEPT_PAGES = 128

_surveys, _sections, _questions = Survey.__table__, SurveySection.__table__, SurveyQuestion.__table__
_ROW_COLUMNS = len(fields(SurveyRow))


def _raw(table, prefix):
    """Every column of ``table`` as the driver gives it (no result processing: JSON stays text on SQLite)."""
    return [type_coerce(column, NullType()).label(f"{prefix}_{column.name}") for column in table.c]


# One statement, built once: the survey's settings (typed, as a SurveyRow), then every column of the survey, of each
# section and of each question, one row per question (a section without questions once), in a fixed order.
_CONTENT = Prepared(db.select(*(_surveys.c[f.name] for f in fields(SurveyRow)), *_raw(_surveys, "survey"),
                               *_raw(_sections, "section"), *_raw(_questions, "question"))
                    .select_from(_surveys.join(_sections, _sections.c.survey_id == _surveys.c.id)
                                 .outerjoin(_questions, _questions.c.section_id == _sections.c.id))
                    .where(_surveys.c.slug == db.bindparam("slug"))
                    .order_by(_sections.c.id, _questions.c.id))
_KIND = [column.name for column in _CONTENT.statement.selected_columns].index(f"question_{_questions.c.kind.name}")
_AREA_KIND = {QuestionKind.AREA, QuestionKind.AREA.value}


@dataclass(frozen=True)
class Blank:
    """What the form's GET needs to answer a plain visit: the survey's settings, the page's key (None when the
    page is not kept: a question lists areas) and the kept page, if this process has it."""

    survey: SurveyRow
    key: tuple | None
    page: str | None


def is_plain_visit():
    """An anonymous first look at the form: nothing on the page belongs to this visitor."""
    return not current_user.is_authenticated and "_flashes" not in session


def look_up(slug):
    """The survey's Blank from one statement, or None when there is no such survey or it has no section."""
    rows = _CONTENT.read({"slug": slug}).rows  # outside the session: a kept page then never checks out a connection
    if not rows:
        return None
    survey = SurveyRow(*rows[0][:_ROW_COLUMNS])
    if any(row[_KIND] in _AREA_KIND for row in rows):
        return Blank(survey, None, None)
    content = repr([tuple(row[_ROW_COLUMNS:]) for row in rows])
    key = (survey.id, current_locale(), request.full_path, city_setting("updated_at"),
           hashlib.blake2b(content.encode(), digest_size=20).hexdigest())
    kept = _pages()
    with kept["lock"]:
        page = kept["pages"].get(key)
        if page is not None:
            kept["pages"].move_to_end(key)
    return Blank(survey, key, page)


def _pages():
    pages = current_app.extensions.get("survey_form_pages")
    if pages is None:
        pages = current_app.extensions.setdefault("survey_form_pages", {"pages": OrderedDict(), "lock": Lock()})
    return pages


def fill(page, form_token):
    """The kept page with this visitor's CSRF token and ``form_token``."""
    return page.replace(CSRF_MARK, generate_csrf()).replace(FORM_MARK, form_token)


def keep(key, html, form_token):
    """Keep ``html``, the blank form just rendered for this visitor with ``form_token``, under ``key``; returns it."""
    page = html.replace(generate_csrf(), CSRF_MARK).replace(form_token, FORM_MARK)
    kept = _pages()
    with kept["lock"]:
        kept["pages"][key] = page
        while len(kept["pages"]) > KEPT_PAGES:
            kept["pages"].popitem(last=False)
    return html
