"""Reporter privacy on staff pages: contact details are masked (138****5678) unless the role needs them.

Only roles with ``Permission.PHONE_REVEAL`` may see a full number, one case and one page view at a time, and
every reveal is written to the audit log (GB/T 33358: a caller's personal data is kept confidential).
"""
from dataclasses import dataclass

from flask import session

from portal.auth import audit
from portal.auth.permissions import Permission, can
from portal.masking import mask_name, mask_phone

REVEAL_KEY = "cases.revealed_contact"  # the case id whose contact the next page view may show in full


@dataclass(frozen=True)
class Contact:
    """What a staff page shows of a case's reporter."""

    anonymous: bool
    name: str
    phone: str
    revealed: bool  # the full values are shown
    can_reveal: bool  # a "show number" button is offered


def contact_for(case, user, revealed=False):
    """The reporter's contact as ``user`` may see it; ``revealed`` only counts for roles with PHONE_REVEAL."""
    allowed = can(user, Permission.PHONE_REVEAL)
    full = bool(revealed and allowed)
    has_contact = bool(case.reporter_phone or case.reporter_name)
    return Contact(
        anonymous=case.anonymous,
        name=(case.reporter_name or "") if full else mask_name(case.reporter_name),
        phone=(case.reporter_phone or "") if full else mask_phone(case.reporter_phone),
        revealed=full and has_contact,
        can_reveal=allowed and has_contact and not full,
    )


def reveal_contact(case, actor):
    """Log the reveal and let the next page view of this case show the full contact. The caller commits."""
    audit.record(actor, "reveal_phone", case, summary=case.number)
    session[REVEAL_KEY] = case.id


def take_reveal(case):
    """True once after ``reveal_contact`` for this case: the reveal lasts one page view."""
    return session.pop(REVEAL_KEY, None) == case.id
