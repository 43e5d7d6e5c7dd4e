"""The daily rollups: idempotent refreshes, only complete days, and a rebuild when the city's timezone changes."""
from datetime import date

from complaints.models import CaseState
from oversight.scorecards.figures import compute
from oversight.scorecards.models import DueRollup, ReceivedRollup, RollupState
from oversight.scorecards.periods import Period
from oversight.scorecards.rollups import refresh_rollups
from portal.city import ensure_city_settings
from portal.extensions import db
from tests.factories import make_area, make_category, make_unit
from tests.oversight.scorecards.helpers import local, put_case


def rows():
    received = db.session.execute(db.select(ReceivedRollup.level, ReceivedRollup.day, ReceivedRollup.key,
                                            ReceivedRollup.channel, ReceivedRollup.received)
                                  .order_by(ReceivedRollup.level, ReceivedRollup.day, ReceivedRollup.key)).all()
    due = db.session.execute(db.select(DueRollup.level, DueRollup.day, DueRollup.key, DueRollup.due,
                                       DueRollup.closed).order_by(DueRollup.level, DueRollup.day, DueRollup.key)).all()
    return received, due


def test_a_refresh_holds_complete_days_only_and_a_second_one_changes_nothing(app):
    area, unit, category = make_area(), make_unit(), make_category()
    put_case(category=category, area=area, unit=unit, received=local(2026, 11, 2, 9), state=CaseState.CLOSED,
             due=local(2026, 11, 3, 10), handled=local(2026, 11, 3, 9), closed=local(2026, 11, 3, 11),
             changed=local(2026, 11, 3, 11))
    put_case(category=category, area=area, unit=unit, received=local(2026, 11, 4, 9), changed=local(2026, 11, 4, 9))
    now = local(2026, 11, 4, 12)
    refresh_rollups(now)
    db.session.commit()
    first = rows()
    assert {row.day for row in first[0]} == {date(2026, 11, 2)}  # the 4th is today: counted live
    assert [(row.level, row.due, row.closed) for row in first[1] if row.level == "city"] == [("city", 1, 1)]
    assert db.session.get(RollupState, 1).rolled_through == date(2026, 11, 3)
    assert refresh_rollups(local(2026, 11, 4, 12, 5)) == 0
    db.session.commit()
    assert rows() == first
    (f,) = compute(Period.containing("month", date(2026, 11, 1)), "city", now=now)
    assert (f.received, f.due, f.closed) == (2, 1, 1)


def test_changing_the_timezone_rebuilds_the_rollups(app):
    area, category = make_area(), make_category()
    # 2026-11-01 23:30 in Shanghai is 15:30 UTC: the 1st there, also the 1st in UTC; 00:30 on the 2nd is the 1st in UTC
    put_case(category=category, area=area, received=local(2026, 11, 2, 0, 30), changed=local(2026, 11, 2, 1))
    refresh_rollups(local(2026, 11, 10))
    db.session.commit()
    assert {row.day for row in rows()[0]} == {date(2026, 11, 2)}
    settings = ensure_city_settings()
    settings.timezone = "UTC"
    db.session.commit()
    refresh_rollups(local(2026, 11, 10))
    db.session.commit()
    assert {row.day for row in rows()[0]} == {date(2026, 11, 1)}
    assert db.session.get(RollupState, 1).timezone == "UTC"
