"""Languages: which locale a request gets, names stored in three languages, and 简/繁-blind search keys."""
from functools import lru_cache
from pathlib import Path

from flask import g, has_request_context, request
from flask_babel import get_locale

LOCALES = ("zh_Hans", "zh_Hant", "en")
LOCALE_LABELS = {"zh_Hans": "简体中文", "zh_Hant": "繁體中文", "en": "English"}
HTML_LANG = {"zh_Hans": "zh-Hans", "zh_Hant": "zh-Hant", "en": "en"}
LANG_COOKIE = "lang"

# Accept-Language tags -> our locales. Region tags decide the script when none is given.
_HANT_REGIONS = {"tw", "hk", "mo"}


def locale_from_tag(tag):
    """Map a BCP 47 tag such as ``zh-TW`` or ``zh-Hant-HK`` or ``en-US`` to one of LOCALES, or None."""
    parts = tag.replace("_", "-").lower().split("-")
    if parts[0] == "en":
        return "en"
    if parts[0] != "zh":
        return None
    if "hant" in parts or _HANT_REGIONS.intersection(parts):
        return "zh_Hant"
    return "zh_Hans"


def normalise_locale(value):
    if not value:
        return None
    for code in LOCALES:
        if value.lower() == code.lower():
            return code
    return locale_from_tag(value)


def select_locale(city_default):
    """Babel's locale selector: ?lang=, then the switcher's cookie, then Accept-Language, then the city default
    (``city_default()``: ``portal.city.default_locale``, which stands above this module)."""
    if not has_request_context():  # CLI commands and jobs speak the city's default language
        return city_default()
    chosen = normalise_locale(request.args.get("lang"))
    if chosen:
        g.lang_to_remember = chosen
        return chosen
    chosen = normalise_locale(request.cookies.get(LANG_COOKIE))
    if chosen:
        return chosen
    for tag, _quality in request.accept_languages:
        chosen = locale_from_tag(tag)
        if chosen:
            return chosen
    return city_default()


@lru_cache(maxsize=16)
def _parsed(code):
    from babel import Locale

    return Locale.parse(code)


def babel_locale_selector(city_default):
    """Flask-Babel's locale selector: ``select_locale``'s choice as a Babel Locale parsed once per process (Flask-Babel
    parses the selector's string on every request it asks, and a Locale passes through its parse unchanged)."""
    chosen = select_locale(city_default)
    return _parsed(chosen) if chosen else None


def remember_locale(response):
    """After a ``?lang=`` request, keep the choice in a cookie for a year."""
    chosen = g.get("lang_to_remember")
    if chosen:
        response.set_cookie(LANG_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response


def current_locale():
    locale = get_locale()
    return str(locale) if locale else "zh_Hans"


@lru_cache(maxsize=4)
def _converter(config):
    import opencc

    return opencc.OpenCC(config)


# 繁體 follows one regional standard, Taiwan's, with its phrases (s2twp: 為 not 爲, 核查 not 覈查, 網路 not 網絡,
# 位置資訊 not 位置信息), then a few fix-ups in OpenCC's own dictionary format (只能 not 隻能, 工作台 not 工作臺).
TRADITIONAL = "s2twp"
TRADITIONAL_FIXUPS = str(Path(__file__).parent / "opencc" / "tw-fixups.json")


@lru_cache(maxsize=4096)
def to_traditional(text):
    """Automatic 简→繁 conversion with OpenCC: the zh_Hant catalogue, and names where no zh_Hant one was typed.
    Remembered per text: a 繁體 page converts the same few hundred names again and again (two OpenCC passes each)."""
    return _converter(TRADITIONAL_FIXUPS).convert(_converter(TRADITIONAL).convert(text)) if text else text


def to_simplified(text):
    return _converter("t2s").convert(text) if text else text


def search_key(*texts):
    """A lower-cased, simplified form so that 简体 and 繁體 spellings match the same record."""
    joined = " ".join(t for t in texts if t)
    return to_simplified(joined).lower()


def colon(locale=None):
    """The colon after a label: full-width "：" in Chinese text (no space after it), ": " in English."""
    return ": " if (locale or current_locale()) == "en" else "："


def list_separator(locale=None):
    """Between the clauses of a list: "；" in Chinese text, "; " in English."""
    return "; " if (locale or current_locale()) == "en" else "；"


@lru_cache(maxsize=1024)
def picker_key(*texts):
    """What a quick picker matches typing against: the search key (简体, lower-cased), the 繁體 spelling, and the
    pinyin, whole and by initials (路灯不亮: "ludengbuliang ldbl"), computed once on the server. Remembered per
    text: the hotline console asks it for every category on every page (0.4 ms each, 23 ms a page)."""
    from pypinyin import Style, lazy_pinyin

    joined = " ".join(t for t in texts if t)
    simplified = search_key(joined)
    syllables = lazy_pinyin(simplified, errors="ignore")
    initials = lazy_pinyin(simplified, style=Style.FIRST_LETTER, errors="ignore")
    return " ".join((simplified, to_traditional(simplified), "".join(syllables), "".join(initials))).lower()


def localized(zh_hans, zh_hant=None, en=None, locale=None):
    """Pick the text for ``locale``: its own version, else 简→繁 for zh_Hant, else zh_Hans."""
    locale = locale or current_locale()
    if locale == "zh_Hant":
        return zh_hant or to_traditional(zh_hans)
    if locale == "en":
        return en or zh_hans
    return zh_hans
