"""The case ledger (台账) as CSV and XLSX, and a case's printable record: right rows, no phones, few queries."""
import csv
import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from complaints import handling, services
from complaints.models import Channel
from portal.auth.models import Role
from portal.city import city_today
from portal.clock import utcnow
from portal.extensions import db
from portal.registry.models import AreaLevel
from tests.factories import make_area, make_case, make_category, make_point, make_unit, make_user
from tests.sqlcount import recorded_statements

SH = ZoneInfo("Asia/Shanghai")
PHONE = re.compile(r"1\d{10}")
HEADER = ["Case number", "Received at", "Channel", "Category", "Area", "Point", "Description", "State", "Unit",
          "Dispatched at", "Due at", "Handled at", "Closed at", "On time", "Rework count", "Reopen count",
          "Rebound count", "Me too count", "Rating", "Outcome"]


@pytest.fixture
def city(app):
    """Two districts, a street in the first; a closed case there, an overdue hotline case in the second."""
    east = make_area("东城区")
    street = make_area("北街道", level=AreaLevel.STREET, parent=east)
    west = make_area("西城区")
    unit = make_unit("市环卫处")
    dispatcher, handler = make_user(Role.DISPATCHER), make_user(Role.HANDLER, unit=unit)
    category = make_category("暴露垃圾", questions=[
        {"key": "smell", "label": "有异味吗", "label_en": "Does it smell?", "type": "yesno"}])
    closed = make_case(category=category, point=make_point(street, name="人民公园公厕"), reporter_phone="13800138000",
                       reporter_name="张三", answers={"smell": True}, description="公厕门口垃圾堆积")
    handling.file_case(closed, dispatcher)
    handling.dispatch_case(closed, unit, dispatcher)
    handling.accept_case(closed, handler)
    handling.handle_case(closed, handler, "已清运")
    handling.verify_case(closed, dispatcher, True, "现场核查已清理干净")
    services.rate_case(closed, 1, "很快")
    overdue = make_case(category=category, point=make_point(west, name="西门菜场"), channel="hotline",
                        reporter_phone="13900139000", description="=HYPERLINK(\"http://evil.test\")")
    handling.file_case(overdue, dispatcher)
    handling.dispatch_case(overdue, unit, dispatcher, now=datetime(2025, 3, 3, 9, 0, tzinfo=SH))
    waiting = make_case(category=category, point=make_point(street, name="北街菜场"))
    db.session.commit()
    return {"closed": closed, "overdue": overdue, "waiting": waiting, "east": east, "west": west, "unit": unit,
            "category": category}


def sign_in(client, role):
    user = make_user(role)
    assert client.post("/login", data={"username": user.username, "password": "password123"}).status_code == 302


def csv_rows(client, query=""):
    response = client.get(f"/console/ledger/cases.csv?lang=en{query}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    return response, rows


def test_the_csv_ledger_has_a_bom_a_header_and_one_row_per_case_without_phones(client, city):
    sign_in(client, Role.DISPATCHER)
    response, rows = csv_rows(client)
    assert rows[0] == HEADER and len(rows) == 4
    assert "attachment" in response.headers["Content-Disposition"] and ".csv" in response.headers["Content-Disposition"]
    closed = dict(zip(HEADER, rows[1], strict=True))
    assert closed["Case number"] == city["closed"].number and closed["State"] == "Closed"
    assert closed["Area"] == "东城区 / 北街道" and closed["Point"].endswith("人民公园公厕")
    assert closed["Category"] == "市容环境 / 暴露垃圾" and closed["Unit"] == "市环卫处"
    assert closed["On time"] == "Yes" and closed["Rating"] == "Satisfied" and closed["Outcome"] == "现场核查已清理干净"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", closed["Received at"]) and closed["Closed at"]
    overdue = dict(zip(HEADER, rows[2], strict=True))
    assert overdue["Channel"] == "Hotline" and overdue["On time"] == "Overdue"
    assert overdue["Description"].startswith("'=HYPERLINK")  # a formula in a report stays text in Excel
    assert not PHONE.search(response.get_data(as_text=True)) and "张三" not in response.get_data(as_text=True)


@pytest.mark.parametrize("query, expected", [
    ("&state=closed", ["closed"]),
    ("&state=filed&state=dispatched", ["overdue"]),
    ("&channel=hotline", ["overdue"]),
    ("&area={east}", ["closed", "waiting"]),  # the district with its street
    ("&unit={unit}", ["closed", "overdue"]),
    ("&category={category}", ["closed", "overdue", "waiting"]),
    ("&from={first}&to={last}", ["closed", "overdue", "waiting"]),
    ("&from={tomorrow}", []),
    ("&state=nonsense&unit=abc", ["closed", "overdue", "waiting"]),  # unknown values are ignored
])
def test_the_ledger_filters_from_the_query_string(client, city, query, expected):
    sign_in(client, Role.LEADER)
    # The city's days the cases were received on (one day, or two when the fixture ran across local midnight).
    days = sorted(city_today(city[name].created_at) for name in ("closed", "overdue", "waiting"))
    query = query.format(east=city["east"].id, unit=city["unit"].id, category=city["category"].parent_id,
                         first=days[0].isoformat(), last=days[-1].isoformat(),
                         tomorrow=(days[-1] + timedelta(days=1)).isoformat())
    _response, rows = csv_rows(client, query)
    assert [row[0] for row in rows[1:]] == [city[name].number for name in expected]


def test_the_xlsx_ledger_opens_in_openpyxl_with_the_filtered_cases_and_no_phones(client, city):
    sign_in(client, Role.ADMIN)
    response = client.get(f"/console/ledger/cases.xlsx?lang=en&unit={city['unit'].id}")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    assert re.search(r"case-ledger-\d{8}\.xlsx", response.headers["Content-Disposition"])
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADER and [r[0] for r in rows[1:]] == [city["closed"].number, city["overdue"].number]
    assert isinstance(rows[1][1], datetime) and rows[2][6] == "=HYPERLINK(\"http://evil.test\")"
    assert sheet.cell(row=3, column=7).data_type == "s"  # text, not a formula
    assert sheet.column_dimensions["G"].width == 50 and sheet.freeze_panes == "A2"
    assert not any(PHONE.search(str(value)) for row in rows for value in row if value is not None)


def test_an_export_of_200_cases_takes_a_bounded_number_of_queries(client, app):
    category = make_category()
    units = [make_unit("市环卫处"), make_unit("市园林局")]
    points = [make_point(name=f"点位{i}") for i in range(5)]
    dispatcher = make_user(Role.DISPATCHER)
    for i in range(200):
        case, _created = services.submit_report(category=category, description=f"第{i}号问题", channel=Channel.WEB,
                                                point=points[i % 5], reporter_phone="13800138000")
        if i % 2:
            handling.file_case(case, dispatcher)
            handling.dispatch_case(case, units[i % 4 // 2], dispatcher)
    db.session.commit()
    sign_in(client, Role.DISPATCHER)
    with recorded_statements() as statements:
        csv_body = client.get("/console/ledger/cases.csv").get_data(as_text=True)
        csv_queries = len(statements)
        xlsx = client.get("/console/ledger/cases.xlsx")
    assert csv_body.count("\n") == 201 and "市园林局" in csv_body
    assert len(load_workbook(io.BytesIO(xlsx.data)).active["A"]) == 201
    assert csv_queries <= 10 and len(statements) - csv_queries <= 10, statements


def test_the_printable_record_shows_the_raw_and_closing_records_with_the_phone_masked(client, city):
    sign_in(client, Role.DISPATCHER)
    case = city["closed"]
    page = client.get(f"/console/ledger/cases/{case.number}/record?lang=en").get_data(as_text=True)
    assert "Raw report" in page and "Closing record" in page and "Timeline" in page
    for text in ("公厕门口垃圾堆积", "人民公园公厕", "东城区 / 北街道", "Does it smell?", "已清运",
                 "现场核查已清理干净", "市环卫处", "Satisfied", "很快", "Checked and closed"):
        assert text in page, text
    assert "138****8000" in page and "13800138000" not in page and "张*" in page and "张三" not in page
    assert case.query_code not in page
    stylesheet = re.search(r'href="(/static/css/print-record\.[0-9a-f]{12}\.css)"', page)[1]
    assert "@page { size: A4" in client.get(stylesheet).get_data(as_text=True)


def test_an_unknown_case_has_no_record(client, city):
    sign_in(client, Role.ADMIN)
    assert client.get("/console/ledger/cases/20990101-0001/record").status_code == 404


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.HANDLER, Role.INSPECTOR, Role.MODERATOR])
def test_only_dispatchers_admins_and_leaders_export(client, city, role):
    sign_in(client, role)
    for url in ("/console/ledger/", "/console/ledger/cases.csv", "/console/ledger/cases.xlsx",
                f"/console/ledger/cases/{city['closed'].number}/record"):
        assert client.get(url).status_code == 403, url


def test_the_ledger_page_offers_the_filters_and_the_sidebar_links_it(client, city):
    sign_in(client, Role.LEADER)
    page = client.get("/console/ledger/?lang=en").get_data(as_text=True)
    assert "Download CSV" in page and "Download XLSX" in page and "东城区" in page
    assert 'href="/console/ledger/"' in page and "/console/ledger/notifications" not in page  # leaders: no log
    assert client.get("/console/ledger/record?number=20261122-0042").headers["Location"].endswith(
        "/console/ledger/cases/20261122-0042/record")


def test_on_time_is_decided_by_the_closing_time(app, city):
    from flask_babel import force_locale

    from complaints.ledger.records import on_time

    with force_locale("en"):
        _check_on_time(city, on_time)
    with force_locale("zh_Hans"):
        assert on_time(city["closed"], utcnow()) in ("否", "是")  # the column speaks the export's language


def _check_on_time(city, on_time):
    case = city["closed"]
    assert on_time(case, utcnow()) == "Yes"
    case.closed_at = case.due_at + timedelta(minutes=1)
    assert on_time(case, utcnow()) == "No"
    assert on_time(city["overdue"], utcnow()) == "Overdue" and on_time(city["waiting"], utcnow()) == ""


# ---------------------------------------------------------------- every export is audit-logged

def exports_logged():
    from portal.auth.models import AuditEntry

    return db.session.execute(db.select(AuditEntry).where(AuditEntry.action == "export")
                              .order_by(AuditEntry.id)).scalars().all()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_each_ledger_download_is_audit_logged_with_who_the_filter_and_the_row_count(client, city, fmt):
    leader = make_user(Role.LEADER)
    assert client.post("/login", data={"username": leader.username, "password": "password123"}).status_code == 302
    before = utcnow()
    assert client.get(f"/console/ledger/cases.{fmt}?unit={city['unit'].id}&state=closed&state=dispatched"
                      f"&from=2025-01-01").status_code == 200
    client.get(f"/console/ledger/cases.{fmt}")
    filtered, everything = exports_logged()
    assert (filtered.actor_id, filtered.object_type, filtered.at >= before) == (leader.id, "cases", True)
    assert filtered.changes == {"format": fmt, "rows": 2, "filter": {
        "states": ["closed", "dispatched"], "unit_id": city["unit"].id, "created_from": "2025-01-01"}}
    assert everything.changes == {"format": fmt, "rows": 3, "filter": {}}


def test_opening_a_printable_record_is_audit_logged_and_a_refused_export_is_not(client, city):
    sign_in(client, Role.OPERATOR)
    assert client.get("/console/ledger/cases.csv").status_code == 403
    assert exports_logged() == []
    client.post("/logout")
    sign_in(client, Role.DISPATCHER)
    client.get(f"/console/ledger/cases/{city['closed'].number}/record")
    assert client.get("/console/ledger/cases/20990101-0001/record").status_code == 404
    [entry] = exports_logged()
    assert (entry.object_type, entry.object_id, entry.changes["format"], entry.changes["rows"]) == (
        "cases", city["closed"].id, "record", 1)


def test_the_audit_log_page_shows_the_exports(client, city):
    sign_in(client, Role.DISPATCHER)
    client.get(f"/console/ledger/cases.xlsx?category={city['category'].parent_id}")
    client.post("/logout")
    sign_in(client, Role.ADMIN)
    page = client.get("/console/audit").get_data(as_text=True)
    assert "export" in page and "xlsx · 3" in page and f"&#39;category_id&#39;: {city['category'].parent_id}" in page
