"""Every CSV/XLSX download goes through portal.exports: formula-looking text never becomes a formula, numbers stay
numbers, control characters are dropped, and file names may be Chinese. One test covers every export route."""
import csv
import io
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from complaints.handling import dispatch_case, file_case
from oversight.scorecards import jobs
from oversight.scorecards.periods import Period
from portal import exports
from portal.auth.models import Role
from portal.extensions import db
from portal.registry.models import AreaLevel
from surveys.answering import submit_response
from tests.factories import make_area, make_case, make_category, make_point, make_unit, make_user
from tests.oversight.scorecards.snapshot_factories import figures, stand_in_engine
from tests.surveys.factories import key, make_survey, satisfaction, text

SHANGHAI = ZoneInfo("Asia/Shanghai")
HYPERLINK = '=HYPERLINK("http://x","y")'
NUMBER = re.compile(r"-?\d+(\.\d+)?")
PLANTED = (HYPERLINK, "=1+1", "@SUM(1)", "+1", "-1+1", "\uff1d1+1")


# ---------------------------------------------------------------- the cell rules, one by one


@pytest.mark.parametrize(("value", "cell"), [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1+1", "'-1+1"), ("@SUM(1)", "'@SUM(1)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("＝1+1", "'＝1+1"), ("＋1", "'＋1"), ("－1", "'－1"), ("＠SUM(1)", "'＠SUM(1)"),
    ("a=1", "a=1"), ("公厕-东门", "公厕-东门"), ("", ""), (None, ""),
    ("a\x00b\x01c\x1fd", "abcd"), ("\x00=1", "'=1"), ("行一\n行二", "行一\n行二"),
    (7, 7), (-3, -3), (2.5, 2.5), (-0.5, -0.5),
    (datetime(2026, 11, 2, 9, 5), "2026-11-02 09:05"),
])
def test_a_csv_cell_is_escaped_only_when_it_is_text_that_looks_like_a_formula(value, cell):
    assert exports.csv_value(value) == cell


def test_an_escaped_cell_reads_back_as_typed_and_other_quotes_stay():
    assert exports.unescape_csv("'=1+1") == "=1+1"
    assert exports.unescape_csv("'＝1") == "＝1"
    assert exports.unescape_csv("'abc") == "'abc"  # a quote the resident typed is theirs
    assert exports.unescape_csv("'") == "'"


def test_csv_is_utf8_with_a_bom_or_gb18030_when_asked():
    rows = [["名称", "数量"], ["公厕", 3]]
    utf8 = exports.csv_bytes(rows)
    assert utf8 == b"\xef\xbb\xbf" + "名称,数量\r\n公厕,3\r\n".encode("utf-8")
    gb = exports.csv_bytes(rows, exports.csv_encoding("GB18030"))
    assert gb == "名称,数量\r\n公厕,3\r\n".encode("gb18030") and not gb.startswith(b"\xef\xbb\xbf")
    assert exports.csv_encoding("latin-1") == exports.csv_encoding(None) == "utf-8-sig"


def test_a_streamed_csv_comes_in_chunks_that_join_to_the_whole_table():
    rows = [[n, f"行{n}"] for n in range(450)]
    chunks = list(exports.csv_chunks(rows))
    assert len(chunks) >= 3  # the BOM, then one chunk per 200 rows
    assert b"".join(chunks).decode("utf-8-sig").splitlines()[449] == "449,行449"


def test_a_chinese_file_name_goes_in_filename_star_with_an_ascii_fallback():
    header = exports.content_disposition("案件台账-20261206.csv", "case-ledger-20261206.csv")
    assert header == ("attachment; filename=case-ledger-20261206.csv; "
                      "filename*=UTF-8''%E6%A1%88%E4%BB%B6%E5%8F%B0%E8%B4%A6-20261206.csv")
    assert exports.content_disposition("areas-2026-12-06.csv") == "attachment; filename=areas-2026-12-06.csv"
    # English (plain ASCII) takes the fallback's name, so that the name does not change with the language
    assert exports.content_disposition("Case ledger-20261206.csv", "case-ledger-20261206.csv") == \
        "attachment; filename=case-ledger-20261206.csv"


def test_a_sheet_title_is_one_excel_accepts():
    assert exports.sheet_title("xun:2026/11?") == "xun 2026 11"
    assert exports.sheet_title("长" * 40) == "长" * 31
    assert exports.sheet_title("\x00") == "Sheet1"


# ---------------------------------------------------------------- every export route, with planted formulas


def export_routes(app):
    """Every URL rule that answers with a CSV or XLSX file, as (endpoint, format) pairs."""
    found = set()
    for rule in app.url_map.iter_rules():
        formats = [fmt for fmt in ("csv", "xlsx") if f".{fmt}" in rule.rule or re.search(rf"any\([^)]*\b{fmt}\b",
                                                                                         rule.rule)]
        found |= {(rule.endpoint, fmt) for fmt in formats}
    return found


def local(*args):
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def planted(app, monkeypatch):
    """Records whose names and texts look like formulas, reachable from every export."""
    city = make_area("示范市", AreaLevel.CITY)
    area = make_area("@SUM(1)", AreaLevel.DISTRICT, parent=city)
    unit = make_unit(HYPERLINK)
    category = make_category("+1")
    # PostgreSQL holds no NUL: the address carries other control characters
    point = make_point(area, name="=1+1", owner=unit, longitude=-120.5, latitude=30.25, address="东华路\x01\x1f88号")
    case = make_case(category=category, point=point, description="-1+1 路灯坏了")
    file_case(case, actor=None)
    dispatch_case(case, unit, actor=None)
    db.session.commit()

    survey = make_survey([satisfaction(), text(kind="short_text"), {"key": "age", "kind": "number",
                                                                    "text": "您的年龄", "required": False}])
    for answer, number in zip(PLANTED, ("-3", "1", "2.5", "7", "0", "42"), strict=True):
        submit_response(survey, {"overall": ["1"], "comment": [answer], "age": [number]}, idempotency_key=key())
    db.session.commit()

    stand_in_engine(monkeypatch, {("xun:2026-11-1", "unit"): [figures(unit.id, received=12, due=10, closed=9)],
                                  ("xun:2026-11-1", "city"): [figures(None, "city", "city", received=12)]})
    bulletin = jobs.publish_xun_bulletin(local(2026, 11, 11, 0, 30))
    monkeypatch.undo()
    period = Period.containing("month", datetime.now(SHANGHAI)).key
    return {"survey": survey.id, "bulletin": bulletin.id, "period": period, "unit": unit.id}


def urls(planted):
    """Each export endpoint's URLs (one per table it offers), with the planted records."""
    survey, bulletin, period = planted["survey"], planted["bulletin"], planted["period"]
    return {
        "ledger.cases_csv": ["/console/ledger/cases.csv"],
        "ledger.cases_xlsx": ["/console/ledger/cases.xlsx"],
        "transfer.export_csv": [f"/console/export/{kind}.csv" for kind in ("areas", "units", "points")],
        "bulletins.export": [f"/console/bulletins/{bulletin}/export.{{fmt}}"],
        "scorecards.export": [f"/console/scorecards/export/{table}.{{fmt}}?period={period}&unit={planted['unit']}"
                              for table in ("city", "units", "areas", "categories", "compare")],
        "survey_results.export_responses": [f"/console/surveys/{survey}/export/responses.{{fmt}}?lang=en"],
        "survey_results.export_summary": [f"/console/surveys/{survey}/export/summary.{{fmt}}?lang=en"],
    }


def test_the_test_below_covers_every_export_route(app):
    covered = set(urls({"survey": 1, "bulletin": 1, "period": "", "unit": 1}))
    missing = {endpoint for endpoint, _fmt in export_routes(app)} - covered
    assert not missing, f"export routes without a formula test: {missing} (add them to urls() above)"


def _csv_cells(data):
    assert data.startswith(b"\xef\xbb\xbf")
    return [cell for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))) for cell in row]


def _xlsx_cells(data):
    sheet = load_workbook(io.BytesIO(data)).active
    return [cell for row in sheet.iter_rows() for cell in row]


def test_no_export_turns_planted_text_into_a_formula(planted, client, login):
    login(make_user(Role.ADMIN))
    seen_csv, seen_xlsx = set(), set()
    for endpoint, fmt in sorted(export_routes(client.application)):
        for url in urls(planted)[endpoint]:
            response = client.get(url.format(fmt=fmt))
            assert response.status_code == 200, url
            assert response.headers["Content-Disposition"].startswith("attachment; filename=")
            if fmt == "csv":
                assert response.mimetype == "text/csv"
                cells = _csv_cells(response.get_data())
                for cell in cells:  # a number (-2: two places down) is written as is
                    assert not cell.startswith(exports.FORMULA_START) or NUMBER.fullmatch(cell), (url, cell)
                    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", cell), (url, cell)
                seen_csv |= {cell for cell in cells if cell.lstrip("'") in PLANTED}
            else:
                assert response.mimetype == exports.XLSX_MIME
                for cell in _xlsx_cells(response.get_data()):
                    assert cell.data_type != "f", (url, cell.value)
                    if isinstance(cell.value, str) and cell.value in PLANTED:
                        seen_xlsx.add(cell.value)
                        assert cell.data_type == "s"
    # each planted text came out at least once, escaped in CSV and as typed (a string cell) in XLSX
    assert seen_csv == {"'" + text for text in PLANTED}
    assert seen_xlsx == set(PLANTED)


def test_real_numbers_stay_numbers_and_typed_text_stays_text(planted, client, login):
    login(make_user(Role.ADMIN))
    points = client.get("/console/export/points.csv").get_data().decode("utf-8-sig")
    assert ",-120.5," in points and ",30.25," in points  # a western longitude is no formula
    assert "东华路88号" in points  # the control characters are gone

    sheet = load_workbook(io.BytesIO(client.get(
        f"/console/surveys/{planted['survey']}/export/responses.xlsx?lang=en").get_data())).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    by_answer = {row[header.index("您的意见和建议")]: row[header.index("您的年龄")] for row in rows[1:]}
    assert by_answer == {HYPERLINK: -3, "=1+1": 1, "@SUM(1)": 2.5, "+1": 7, "-1+1": 0, "＝1+1": 42}
    csv_rows = list(csv.reader(io.StringIO(client.get(
        f"/console/surveys/{planted['survey']}/export/responses.csv?lang=en").get_data().decode("utf-8-sig"))))
    assert {(row[-2], row[-1]) for row in csv_rows[1:]} == {
        ("'" + HYPERLINK, "-3"), ("'=1+1", "1"), ("'@SUM(1)", "2.5"), ("'+1", "7"), ("'-1+1", "0"), ("'＝1+1", "42")}

    ledger = load_workbook(io.BytesIO(client.get("/console/ledger/cases.xlsx").get_data())).active
    row = list(ledger[2])  # columns: 7 the description, 15 the rework count
    assert (row[6].value, row[6].data_type) == ("-1+1 路灯坏了", "s")
    assert (row[14].value, row[14].data_type) == (0, "n")


def test_the_ledger_has_a_chinese_file_name_and_gb18030_on_request(planted, client, login):
    login(make_user(Role.ADMIN))
    before = datetime.now(SHANGHAI).strftime("%Y%m%d")
    response = client.get("/console/ledger/cases.csv?encoding=gb18030")
    after = datetime.now(SHANGHAI).strftime("%Y%m%d")  # the name takes the city's day, even across midnight
    header = response.headers["Content-Disposition"]
    named = re.fullmatch(r"attachment; filename=case-ledger-(\d{8})\.csv; filename\*=UTF-8''%.+-\1\.csv", header)
    assert named and named.group(1) in (before, after)
    data = response.get_data()
    assert not data.startswith(b"\xef\xbb\xbf") and response.mimetype == "text/csv"
    assert "'-1+1 路灯坏了" in data.decode("gb18030")
