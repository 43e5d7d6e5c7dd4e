"""The base of every form: Flask-WTF's CSRF protection, with WTForms' own messages in the reader's language.

Flask-WTF loads WTForms' catalogue on every message and knows no zh_Hant; this caches one catalogue per locale
and maps 繁體 to WTForms' zh_TW (its zh is Simplified).
"""
from functools import lru_cache

from flask_wtf import FlaskForm
from wtforms.i18n import get_translations

from portal.i18n import current_locale

WTFORMS_LOCALES = {"zh_Hans": "zh", "zh_Hant": "zh_TW", "en": "en"}


@lru_cache(maxsize=len(WTFORMS_LOCALES))
def _wtforms_translations(locale):
    return get_translations([WTFORMS_LOCALES.get(locale, "en")])


class BaseForm(FlaskForm):
    class Meta:
        def get_translations(self, form):
            return _wtforms_translations(current_locale())
