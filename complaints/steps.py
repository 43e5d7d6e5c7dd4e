"""What every step on a case shares: the refusal (``CaseError``), a photo attached to a step, and the "me too"
count kept in one UPDATE. The resident's steps (``services``), the dispatcher's and unit's (``handling``) and
reopening (``reopening``) stand on this module.
"""
from complaints.models import Case, CasePhoto
from portal.extensions import db


class CaseError(Exception):
    """A request the complaints side refuses. ``code`` picks the message; ``field`` the form field, if any."""

    def __init__(self, code, field=None):
        super().__init__(code)
        self.code, self.field = code, field


def attach_photo(case, event, photo, stage):
    record = CasePhoto(stage=stage, key=photo.key, thumb_key=photo.thumb_key, width=photo.width, height=photo.height)
    case.photos.append(record)
    if event is not None:
        event.photos.append(record)
    return record


def add_to_me_too_count(case, amount):
    """Add to the count in one UPDATE (read-then-write in Python lost updates under concurrent "me too"s); the
    attribute is reloaded from the row when next read."""
    db.session.execute(db.update(Case).where(Case.id == case.id)
                       .values(me_too_count=Case.me_too_count + amount)
                       .execution_options(synchronize_session=False))
    db.session.expire(case, ["me_too_count"])
