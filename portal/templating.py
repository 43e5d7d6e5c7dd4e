"""Template helpers: local time, the language switcher, permissions, and the city settings on every page."""
from flask import request, url_for
from flask_babel import format_datetime
from flask_login import current_user

from portal.auth.permissions import Permission, can
from portal.city import get_city_settings, satisfaction_label
from portal.i18n import HTML_LANG, LOCALE_LABELS, LOCALES, colon, current_locale, list_separator
from portal.masking import mask_contacts


def localtime(value, format="yyyy-MM-dd HH:mm"):
    """Show a stored UTC time in the city's timezone (Babel's timezone selector is the city's)."""
    return format_datetime(value, format) if value else ""


def private_text(text):
    """Free text typed by a resident (a description) as the signed-in reader may see it: phone and ID numbers in
    it are masked unless their role may reveal a reporter's contact (portal/masking.py)."""
    return text if can(current_user, Permission.PHONE_REVEAL) else mask_contacts(text)


def url_with_lang(code):
    """This page's address in language ``code``, keeping its query. The address's own parts win over a query
    parameter of the same name (``/board/honours/2026-11?month=x``), and names that ``url_for`` reads as options
    (``endpoint``, ``_external``, ``_scheme``...) are not passed on: typed into the query they would break it."""
    args = {k: v for k, v in request.args.to_dict().items() if k != "endpoint" and not k.startswith("_")}
    args.update(request.view_args or {})
    args["lang"] = code
    return url_for(request.endpoint or "home.index", **args)


def init_app(app):
    app.jinja_env.filters["localtime"] = localtime
    app.jinja_env.filters["private_text"] = private_text
    app.jinja_env.globals["satisfaction_label"] = satisfaction_label
    app.jinja_env.globals["colon"] = colon
    app.jinja_env.globals["list_separator"] = list_separator
    app.jinja_env.add_extension("jinja2.ext.do")

    @app.context_processor
    def inject():
        locale = current_locale()
        return {
            "city": get_city_settings(),
            "current_locale": locale,
            "html_lang": HTML_LANG.get(locale, "zh-Hans"),
            "locales": [(code, LOCALE_LABELS[code]) for code in LOCALES],
            "url_with_lang": url_with_lang,
            "can": lambda name: can(current_user, Permission[name]),
            "Permission": Permission,
        }
