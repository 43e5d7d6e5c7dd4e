"""The blank answer form of a survey, rendered once per content, language and address in each process.

A QR code on a poster sends every resident to the same blank form: rendering it (the survey, its sections and
questions as models, then the templates) cost five times what storing an answer does. The page is the same for
everyone but for two values: the session's CSRF token and the form token (a fresh idempotency key). So the rendered
page is kept with those two replaced by markers, and filled in for each visitor.

The key holds everything the page shows: every column of the survey's row, of its sections and of its questions
(read as plain rows, a fraction of the models' cost), the language, the address with its query string (the language
links), the city settings' ``updated_at`` (name, hotline) and the process's catalogues. Any edit of the survey, a
section or a question (rewording stays possible once opened) changes a row, so the key, and the next visitor gets
the page as edited, in this worker and in every other. Only the plain case is kept: an anonymous visitor without
messages waiting, no area link, no token, no answers or problems to show again, and no question listing areas
(their names live in another table).
"""
import hashlib
from collections import OrderedDict
from threading import Lock

from flask import current_app, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from portal.city import city_setting
from portal.extensions import db
from portal.i18n import current_locale
from surveys.models import QuestionKind, SurveyQuestion, SurveySection

CSRF_MARK, FORM_MARK = "\x00csrf\x00", "\x00form\x00"  # no rendered page holds a NUL byte
KEPT_PAGES = 128

_SECTIONS = db.select(SurveySection.__table__).where(SurveySection.__table__.c.survey_id == db.bindparam("survey_id"))
_QUESTIONS = db.select(SurveyQuestion.__table__).where(
    SurveyQuestion.__table__.c.survey_id == db.bindparam("survey_id"))
_AREA_KIND = {QuestionKind.AREA, QuestionKind.AREA.value}


def is_plain_visit():
    """An anonymous first look at the form: nothing on the page belongs to this visitor."""
    return not current_user.is_authenticated and "_flashes" not in session


def _key(survey):
    """The page's key, or None when the survey has a question listing areas."""
    sections = sorted(tuple(row) for row in db.session.execute(_SECTIONS, {"survey_id": survey.id}))
    questions = db.session.execute(_QUESTIONS, {"survey_id": survey.id}).all()
    if any(row._mapping["kind"] in _AREA_KIND for row in questions):
        return None
    columns = tuple(getattr(survey, attribute.key) for attribute in survey.__mapper__.column_attrs)
    content = repr((columns, sections, sorted(tuple(row) for row in questions)))
    return (survey.id, current_locale(), request.full_path, city_setting("updated_at"),
            hashlib.blake2b(content.encode(), digest_size=20).hexdigest())


def _pages():
    pages = current_app.extensions.get("survey_form_pages")
    if pages is None:
        pages = current_app.extensions.setdefault("survey_form_pages", {"pages": OrderedDict(), "lock": Lock()})
    return pages


def render_blank_form(survey, form_token, render):
    """The blank form's HTML for ``survey`` with this visitor's CSRF token and ``form_token``; ``render(token)``
    renders it when this process has not kept it yet."""
    key = _key(survey)
    csrf = generate_csrf()  # the template's csrf_token() gives the same value within this request
    if key is None:
        return render(form_token)
    kept = _pages()
    with kept["lock"]:
        page = kept["pages"].get(key)
        if page is not None:
            kept["pages"].move_to_end(key)
    if page is None:
        html = render(form_token)
        page = html.replace(csrf, CSRF_MARK).replace(form_token, FORM_MARK)
        with kept["lock"]:
            kept["pages"][key] = page
            while len(kept["pages"]) > KEPT_PAGES:
                kept["pages"].popitem(last=False)
        return html
    return page.replace(CSRF_MARK, csrf).replace(FORM_MARK, form_token)
