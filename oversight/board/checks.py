"""Text checks before an item goes public: phone numbers, ID numbers, and the identity of the residents who
reported the linked cases.

A reporter's name or phone in the text blocks publication (the board never exposes who reported); phone and ID
number patterns only warn, since a unit's public hotline may belong in an item, and the publisher confirms them.
"""
import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from complaints.case_records import MeToo
from portal.extensions import db
from portal.i18n import to_simplified
from portal.masking import ID_NUMBER, LANDLINE, MOBILE, mask_name, mask_phone

DIGIT_RUN = re.compile(r"\+?\d[\d\s-]{5,}\d")
MIN_NAME = 2  # a one-character "name" would match everywhere

KINDS = {
    "reporter_name": _l("Name of a reporter"),
    "reporter_phone": _l("Phone number of a reporter"),
    "mobile": _l("Mobile phone number"),
    "landline": _l("Landline phone number"),
    "id_number": _l("ID card number"),
}


@dataclass(frozen=True)
class Finding:
    """Something in ``field`` that looks personal. ``shown`` is safe to display (masked for reporters)."""

    kind: str
    field: str
    shown: str
    blocking: bool

    @property
    def label(self):
        return KINDS[self.kind]


def texts_of(item):
    """(field name, text) for every public text of an item, entries included."""
    fields = [("title", item.title), ("title_en", item.title_en), ("description", item.description),
              ("description_en", item.description_en), ("location_text", item.location_text),
              ("correction_note", item.correction_note)]
    for number, entry in enumerate(item.entries, start=1):
        fields.append((f"entry {number}", entry.text))
        fields.append((f"entry {number} (en)", entry.text_en))
    return [(name, text) for name, text in fields if text]


def reporters_of(item):
    """The names and phones of the residents behind the item's cases (reporters and "me too"s)."""
    names, phones = set(), set()
    case_ids = []
    for link in item.case_links:
        case = link.case
        case_ids.append(case.id)
        if case.reporter_name and len(case.reporter_name.strip()) >= MIN_NAME:
            names.add(case.reporter_name.strip())
        if case.reporter_phone:
            phones.add(case.reporter_phone)
    if case_ids:
        with db.session.no_autoflush:
            phones.update(p for p in db.session.execute(
                db.select(MeToo.phone).where(MeToo.case_id.in_(case_ids), MeToo.phone.is_not(None))).scalars())
    return names, {d for d in (_digits(p) for p in phones) if len(d) >= 7}


def _digits(text):
    digits = re.sub(r"\D", "", text or "")
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


def check_text(field, text, names=(), phones=()):
    findings = []
    folded = to_simplified(text).lower()
    for name in names:
        if to_simplified(name).lower() in folded:
            findings.append(Finding("reporter_name", field, mask_name(name), True))
    reporter_spans = []
    for match in DIGIT_RUN.finditer(text):
        digits = _digits(match.group())
        for phone in phones:
            if phone in digits:
                findings.append(Finding("reporter_phone", field, mask_phone(phone), True))
                reporter_spans.append(match.span())
    for kind, pattern in (("id_number", ID_NUMBER), ("mobile", MOBILE), ("landline", LANDLINE)):
        for match in pattern.finditer(text):
            if any(start <= match.start() < end for start, end in reporter_spans):
                continue  # already reported as the reporter's own number
            shown = match.group() if kind != "id_number" else match.group()[:6] + "********" + match.group()[-4:]
            findings.append(Finding(kind, field, shown, False))
    return findings


def check_item(item):
    """Every finding in the item's public texts; ``blocking`` ones forbid publication."""
    names, phones = reporters_of(item)
    findings = []
    for field, text in texts_of(item):
        findings.extend(check_text(field, text, names, phones))
    return findings
