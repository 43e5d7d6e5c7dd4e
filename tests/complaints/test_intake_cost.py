"""What one report costs the database: a bound on the SQL statements of the resident's POST, so that a change
that adds queries to the busiest write path shows here (``make bench`` measures the throughput itself)."""
import uuid
from datetime import datetime, timezone

from complaints import services
from complaints.models import Case, CaseEvent
from portal import city
from portal.extensions import db
from portal.registry.models import AreaLevel
from tests.factories import make_area, make_category
from tests.sqlcount import recorded_statements as statements

# The idempotency key, the category and the area are looked up; the day's number counter is bumped; the case and
# its first event are inserted. The city settings come from the process's copy.
REPORT_STATEMENTS = 6


def report(client, category, area, n):
    return client.post("/report", data={"category_id": str(category.id), "area_id": str(area.id),
                                        "description": f"第{n}件：路边垃圾未清运", "anonymous": "y",
                                        "idempotency_key": uuid.uuid4().hex})


def test_a_report_takes_at_most_six_statements(app, served):
    category = make_category("暴露垃圾")
    area = make_area("第1网格", level=AreaLevel.GRID, parent=make_area("示范区"))
    client = served.test_client()
    assert report(client, category, area, 1).status_code == 302  # the first request reads the settings once

    with statements(served) as seen:
        response = report(client, category, area, 2)

    assert response.status_code == 302
    assert len(seen) <= REPORT_STATEMENTS, "\n".join(seen)
    assert db.session.scalar(db.select(db.func.count(Case.id))) == 2
    assert db.session.scalar(db.select(db.func.count(CaseEvent.id))) == 2


def test_a_settings_change_in_this_process_is_seen_by_the_next_request(app, served):
    category = make_category("暴露垃圾")
    area = make_area("第1网格", level=AreaLevel.GRID, parent=make_area("示范区"))
    client = served.test_client()
    client.get("/report")

    with served.app_context():
        city.save_city_settings({"hotline": "0571-12345"}, actor=None)
        db.session.commit()

    assert "0571-12345" in client.get("/report").get_data(as_text=True)
    assert report(client, category, area, 1).status_code == 302


def test_cases_are_numbered_by_the_day_in_the_citys_timezone(app):
    city.save_city_settings({"timezone": "Pacific/Pago_Pago"}, actor=None)  # UTC-11
    db.session.commit()

    number = services.next_case_number(now=datetime(2026, 11, 22, 2, 0, tzinfo=timezone.utc))

    assert number == "20261121-0001"  # 21 Nov, 15:00 there (in Shanghai it is already the 22nd)
