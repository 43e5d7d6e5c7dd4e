"""Translation catalogues: fill zh_Hant from zh_Hans, and check that every catalogue is complete and current.

English is the source language of the message ids; the en catalogue repeats them so wording can be tuned
without touching code. ``python -m portal.catalogues fill-hant`` and ``check`` are used by ``make translations``
and by the test suite.
"""
import sys

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from portal.config import ROOT
from portal.i18n import LOCALES, to_traditional

TRANSLATIONS = ROOT / "translations"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None,
            "pgettext": ((1, "c"), 2), "lazy_pgettext": ((1, "c"), 2), "_lp": ((1, "c"), 2),
            "npgettext": ((1, "c"), 2, 3)}
CONTEXT_SEPARATOR = "\x04"  # gettext's own: a pending key "case action\x04File" is msgid "File" in that context
METHOD_MAP = [
    ("portal/**.py", "python"),
    ("complaints/**.py", "python"),
    ("surveys/**.py", "python"),
    ("oversight/**.py", "python"),
    ("composition/**.py", "python"),
    ("**/templates/**.html", "jinja2"),
]


def po_path(locale):
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"


def load(locale):
    with open(po_path(locale), "rb") as fh:
        return read_po(fh, locale=locale)


def save(catalog, locale):
    with open(po_path(locale), "wb") as fh:
        write_po(fh, catalog, omit_header=False, sort_output=True, width=120, include_lineno=False)


def message_key(msgid, context=None):
    """One string naming a message: its id, prefixed by its context (msgctxt) and gettext's separator if any."""
    msgid = msgid if isinstance(msgid, str) else msgid[0]
    return f"{context}{CONTEXT_SEPARATOR}{msgid}" if context else msgid


def source_messages():
    """Message keys (see ``message_key``) used in the code and templates right now."""
    found = set()
    for _filename, _lineno, message, _comments, context in extract_from_dir(
        str(ROOT), METHOD_MAP, keywords=KEYWORDS,
        options_map={"**/templates/**.html": {"extensions": "jinja2.ext.do"}},
    ):
        found.add(message_key(message, context))
    return found


def _is_empty(message):
    if isinstance(message.string, (tuple, list)):
        return not all(message.string)
    return not message.string


class _AnyArguments(dict):
    def __missing__(self, key):
        return 1


def _formats(text):
    """Whether ``text % {...}`` works: templates' ``_()`` always %-formats, so a lone % in a translation breaks
    the page even when the English text has none."""
    try:
        text % _AnyArguments()
    except (ValueError, TypeError):
        return False
    return True


def _strings(value):
    return value if isinstance(value, (tuple, list)) else (value,)


def problems(wanted=None):
    """Everything that would make a language show English or stale text: one line per problem. ``wanted``: the
    message keys of the code and templates, when already extracted (``source_messages``)."""
    issues = []
    wanted = source_messages() if wanted is None else wanted
    for locale in LOCALES:
        if not po_path(locale).exists():
            issues.append(f"{locale}: catalogue missing (run `make translations`)")
            continue
        catalog = load(locale)
        have = {message_key(m.id, m.context) for m in catalog if m.id}
        for msgid in sorted(wanted - have):
            issues.append(f"{locale}: not in catalogue (stale, run `make translations`): {msgid!r}")
        for msgid in sorted(have - wanted):
            issues.append(f"{locale}: no longer used in the code (run `make translations`): {msgid!r}")
        for message in catalog:
            if message.id and (_is_empty(message) or message.fuzzy):
                issues.append(f"{locale}: untranslated: {message.id!r}")
            elif message.id and all(_formats(i) for i in _strings(message.id)) and not all(
                    _formats(t) for t in _strings(message.string)):
                issues.append(f"{locale}: a lone % breaks formatting (write %% or ％): {message.id!r}")
    return issues


def fill(regenerate=False):
    """zh_Hant from zh_Hans by OpenCC where empty (every entry with ``regenerate``); en from the message id where
    empty."""
    hans = {(m.id, m.context): m.string for m in load("zh_Hans") if m.id}
    for locale in ("zh_Hant", "en"):
        catalog = load(locale)
        for message in catalog:
            if not message.id or not (_is_empty(message) or (regenerate and locale == "zh_Hant")):
                continue
            if locale == "en":
                message.string = message.id
            elif hans.get((message.id, message.context)):
                source = hans[(message.id, message.context)]
                message.string = tuple(to_traditional(s) for s in source) if isinstance(source, tuple) \
                    else to_traditional(source)
            message.flags.discard("fuzzy")
        save(catalog, locale)


def merge_pending():
    """zh_Hans translations from ``translations/pending/*.json`` ({msgid: text or [singular, plural]}) into the
    catalogue where it is still empty; the files are removed once merged. Parallel work adds strings this way.
    A message with a context is keyed ``"context\\u0004msgid"`` (``message_key``)."""
    import json

    catalog = load("zh_Hans")
    merged = 0
    files = sorted((TRANSLATIONS / "pending").glob("*.json"))
    for path in files:
        pending = json.loads(path.read_text(encoding="utf-8"))
        for message in catalog:
            if message.id and _is_empty(message):
                key = message_key(message.id, message.context)
                if key in pending:
                    value = pending[key]
                    message.string = tuple(value) if isinstance(value, list) else value
                    message.flags.discard("fuzzy")
                    merged += 1
    save(catalog, "zh_Hans")
    for path in files:
        path.unlink()
    return merged


def main(argv):
    if argv[1:] == ["merge-pending"]:
        print(f"{merge_pending()} zh_Hans translations merged")
        return 0
    if argv[1:2] == ["fill-hant"] and argv[2:] in ([], ["--all"]):
        fill(regenerate=argv[2:] == ["--all"])
        return 0
    if argv[1:] == ["check"]:
        found = problems()
        print("\n".join(found) or "catalogues complete")
        return 1 if found else 0
    print("usage: python -m portal.catalogues fill-hant [--all]|check|merge-pending")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
