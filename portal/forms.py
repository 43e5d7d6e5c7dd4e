"""The base of every form: Flask-WTF's CSRF protection, with WTForms' own messages in the reader's language.

Flask-WTF loads WTForms' catalogue on every message and knows no zh_Hant; this caches one catalogue per locale
and maps 繁體 to WTForms' zh_TW (its zh is Simplified).

A form is built on every submission, so building one does no work that only showing it needs: the reader's
catalogue is looked up when a message is first produced, and the CSRF token is signed when the form is rendered
(a form that passes its checks and is answered with a redirect needs neither).
"""
from functools import lru_cache

from flask import g, request
from flask_wtf import FlaskForm
from flask_wtf.csrf import _FlaskFormCSRF, logger
from flask_wtf.form import _Auto, _is_submitted
from werkzeug.datastructures import ImmutableMultiDict
from wtforms import ValidationError
from wtforms.i18n import get_translations

from portal.i18n import current_locale
from portal.input_guard import strip_nul
from portal.signing import generate_csrf, validate_csrf

WTFORMS_LOCALES = {"zh_Hans": "zh", "zh_Hant": "zh_TW", "en": "en"}


@lru_cache(maxsize=len(WTFORMS_LOCALES))
def _wtforms_translations(locale):
    return get_translations([WTFORMS_LOCALES.get(locale, "en")])


class ReaderTranslations:
    """WTForms' messages in the language of the current request, resolved per message."""

    def gettext(self, string):
        return _wtforms_translations(current_locale()).gettext(string)

    def ngettext(self, singular, plural, n):
        return _wtforms_translations(current_locale()).ngettext(singular, plural, n)


READER_TRANSLATIONS = ReaderTranslations()


class TokenWhenShown:
    """The CSRF token of a form's hidden field, signed the first time it is turned into text."""

    def __init__(self, sign):
        self._sign, self._token = sign, None

    def __str__(self):
        if self._token is None:
            self._token = self._sign()
        return self._token


class RenderedTokenCSRF(_FlaskFormCSRF):
    """Flask-WTF's form CSRF, with the token for the hidden field signed only when the field is rendered.

    Tokens are signed and checked with a kept serializer (portal/signing.py) as CSRFProtect's are; the checks are
    Flask-WTF's (CSRFProtect checks every POST before the view; the form checks again when CSRFProtect is off for a
    view)."""

    def generate_csrf_token(self, _field):
        meta = self.meta
        return TokenWhenShown(lambda: generate_csrf(secret_key=meta.csrf_secret, token_key=meta.csrf_field_name))

    def validate_csrf_token(self, form, field):
        if g.get("csrf_valid", False):  # already checked by CSRFProtect
            return
        try:
            validate_csrf(field.data, self.meta.csrf_secret, self.meta.csrf_time_limit, self.meta.csrf_field_name)
        except ValidationError as e:
            logger.info(e.args[0])
            raise


def _plain(value):
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def form_fields_of_json(body):
    """(name, value) pairs an HTML form could have sent, from a JSON body: an object's text and number values and
    lists of them; everything else (another type of body, nested objects, true/false/null) is left out."""
    if not isinstance(body, dict):
        return []
    pairs = []
    for name, value in body.items():
        for item in value if isinstance(value, list) else [value]:
            plain = _plain(item)
            if plain is not None:
                pairs.append((name, plain))
    return pairs


class BaseForm(FlaskForm):
    class Meta:
        csrf_class = RenderedTokenCSRF

        def get_translations(self, form):
            return READER_TRANSLATIONS

        def wrap_formdata(self, form, formdata):
            # Flask-WTF reads a JSON body as the form's data and fails (a 500) on anything but an object of plain
            # values: an array, a number, nested objects. Our forms take the fields of an HTML form: from JSON,
            # only text, numbers and lists of them count; the rest is as if not sent (the form says what's missing).
            if formdata is _Auto and request.is_json and not request.form and not request.files and _is_submitted():
                return ImmutableMultiDict(form_fields_of_json(request.get_json(silent=True)))
            return super().wrap_formdata(form, formdata)

        def bind_field(self, form, unbound_field, options):
            if form.KEEP_BOUND_FIELDS and not unbound_field.field_class.__name__.startswith("CSRF"):
                return _bound_copy(self, form, unbound_field, options)
            return _bind(form, unbound_field, options)

    # A form whose fields never change after binding (no choices, labels, flags or render_kw set on an instance)
    # may take copies of fields bound once per process: building a field (its label, flags and filters) is most
    # of the cost of building a form on every POST. Its CSRF field is always bound afresh (it holds the form's
    # token check).
    KEEP_BOUND_FIELDS = False


def _bind(form, unbound_field, options):
    # Every field drops NUL bytes first (requests carrying one are refused before any view: see
    # portal/input_guard.py; this covers forms filled from other data).
    filters = [strip_nul, *unbound_field.kwargs.get("filters", ())]
    return unbound_field.bind(form=form, **dict(options, filters=filters))


_KEPT_FIELDS = {}  # (unbound field, name, prefix) -> the field bound once; its copies get the form's meta and data


def _bound_copy(meta, form, unbound_field, options):
    key = (unbound_field, options["name"], options["prefix"])
    kept = _KEPT_FIELDS.get(key)
    if kept is None:
        kept = _KEPT_FIELDS[key] = _bind(form, unbound_field, options)
    field = object.__new__(type(kept))
    field.__dict__.update(kept.__dict__)  # data, errors and raw_data are set afresh by process() and validate()
    field.meta = meta
    return field
