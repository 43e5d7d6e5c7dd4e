"""Messages to an exposed unit: the notice before publication (due process) and the decision on its appeal.

Queued through ``portal.notify.queue`` in the step's own transaction, to the unit's contact phone when it has
one; each message has a dedupe key, so a step is announced once however often the queueing runs. The unit's
handlers also see every item about their unit in the console inbox, phone or not.
"""
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from oversight.board.rules import notice_ends_at
from portal import notify
from portal.city import get_city_settings
from portal.clock import to_local
from portal.i18n import localized

NOTICE_TEXT = _l("[%(city)s] Exposure board notice: “%(title)s” about %(unit)s is in review and may be published "
                 "after %(until)s. Your unit may file an appeal in the console (%(url)s).")
DECISION_TEXTS = {
    "withdrawn": _l("[%(city)s] Your appeal on “%(title)s” was accepted: the item has been withdrawn."),
    "corrected": _l("[%(city)s] Your appeal on “%(title)s” was accepted: the item has been corrected."),
    "rejected": _l("[%(city)s] Your appeal on “%(title)s” was rejected: %(reason)s"),
}


def _locale():
    return get_city_settings().default_locale or current_app.config["BABEL_DEFAULT_LOCALE"]


def _params(item, locale):
    settings = get_city_settings()
    return {
        "city": localized(settings.city_name, settings.city_name_zh_hant, settings.city_name_en, locale=locale),
        "title": notify.shorten(localized(item.title, None, item.title_en, locale=locale), 40),
        "unit": item.unit.name_in(locale) if item.unit is not None else "",
        "url": notify.public_url("/console/board/inbox"),
    }


def queue_unit_notice(item, event):
    """The notice to the exposed unit when an item goes to review; None when the unit has no phone."""
    phone = (item.unit.contact_phone or "").strip() if item.unit is not None else ""
    if not phone:
        return None
    locale = _locale()
    with force_locale(locale):
        params = dict(_params(item, locale),
                      until=to_local(notice_ends_at(item), get_city_settings().timezone).strftime("%Y-%m-%d %H:%M"))
        text = str(NOTICE_TEXT) % params
    return notify.queue(channel=notify.person_channel(), recipient=phone, template="board_notice", text=text,
                        params=params, dedupe_key=f"board:{item.id}:event:{event.id}:notice")


def queue_appeal_decision(appeal, event):
    item = appeal.item
    phone = (item.unit.contact_phone or "").strip() if item.unit is not None else ""
    if not phone:
        return None
    locale = _locale()
    with force_locale(locale):
        params = dict(_params(item, locale), reason=notify.shorten(appeal.decision_reason))
        text = str(DECISION_TEXTS[appeal.decision.value]) % params
    return notify.queue(channel=notify.person_channel(), recipient=phone, template="board_appeal_decision",
                        text=text, params=params, dedupe_key=f"board:{item.id}:appeal:{appeal.id}:decision")
