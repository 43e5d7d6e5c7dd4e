"""The staff scorecard pages: they render in three languages, link numbers to cases, validate the period, keep
rule versions, export every table, and the dashboard runs a bounded number of queries."""
import csv
import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook

from complaints.models import CaseState
from oversight.scorecards.models import ScoreRule
from oversight.scorecards.periods import Period
from portal.auth.models import Role
from portal.extensions import db
from portal.registry.models import AreaLevel
from tests.factories import make_area, make_category, make_unit, make_user
from tests.oversight.scorecards.helpers import local, put_case
from tests.sqlcount import recorded_statements

C = CaseState
NOVEMBER = "month:2026-11"


@pytest.fixture
def city(app):
    district = make_area("东城区")
    street = make_area("北街道", level=AreaLevel.STREET, parent=district)
    unit = make_unit("市环卫处")
    category = make_category("暴露垃圾")
    put_case(category=category, area=street, unit=unit, received=local(2026, 11, 2, 9), state=C.CLOSED,
             due=local(2026, 11, 3, 10), handled=local(2026, 11, 3, 9), closed=local(2026, 11, 3, 11), rating=1)
    put_case(category=category, area=street, unit=unit, received=local(2026, 11, 4, 9), state=C.CLOSED,
             due=local(2026, 11, 5, 10), handled=local(2026, 11, 6, 10), closed=local(2026, 11, 6, 12), rating=3)
    put_case(category=category, area=street, unit=unit, received=local(2026, 11, 8, 9), state=C.IN_PROGRESS,
             due=local(2026, 11, 9, 10), channel="hotline")
    return {"district": district, "street": street, "unit": unit, "category": category}


@pytest.fixture
def leader(login):
    return login(make_user(Role.LEADER))


@pytest.mark.parametrize("lang, html, words", [("zh_Hans", "zh-Hans", "2026年11月"),
                                               ("zh_Hant", "zh-Hant", "2026年11月"), ("en", "en", "Nov 2026")])
def test_every_page_renders_in_three_languages(client, city, leader, lang, html, words):
    pages = ["/console/scorecards/", "/console/scorecards/units", "/console/scorecards/areas",
             "/console/scorecards/categories", f"/console/scorecards/units/{city['unit'].id}",
             f"/console/scorecards/areas/{city['district'].id}",
             f"/console/scorecards/categories/{city['category'].id}",
             f"/console/scorecards/compare?unit={city['unit'].id}", "/console/scorecards/definitions",
             "/console/scorecards/rules/1"]
    for page in pages:
        separator = "&" if "?" in page else "?"
        response = client.get(f"{page}{separator}period={NOVEMBER}&lang={lang}")
        assert response.status_code == 200, page
        text = response.get_data(as_text=True)
        assert f'<html lang="{html}">' in text, page
        if "definitions" not in page and "rules" not in page:
            assert words in text, page  # the period, in the reader's language


def test_the_unit_scorecard_shows_the_figures_and_links_them_to_cases(english_client, city):
    user = make_user(Role.LEADER)
    english_client.post("/login", data={"username": user.username, "password": "password123"})
    page = english_client.get(f"/console/scorecards/units/{city['unit'].id}?period={NOVEMBER}").get_data(as_text=True)
    assert "Closure rate (结案率)" in page
    assert "66.7%" in page  # 2 closed of 3 due
    assert "50.0%" in page  # 1 of 2 rated satisfied
    unit_id = city["unit"].id
    assert f"/console/cases/?unit={unit_id}&amp;created_from=2026-11-01&amp;created_to=2026-11-30" in page
    assert "channel=hotline" in page


def test_the_received_link_opens_exactly_the_cases_counted(client, city, login):
    login(make_user(Role.ADMIN))
    page = client.get(f"/console/scorecards/units?period={NOVEMBER}").get_data(as_text=True)
    link = f"/console/cases/?unit={city['unit'].id}&created_from=2026-11-01&created_to=2026-11-30"
    assert link.replace("&", "&amp;") in page
    from complaints.models import Case

    numbers = db.session.execute(db.select(Case.number)).scalars().all()
    cases = client.get(link).get_data(as_text=True)
    assert all(number in cases for number in numbers)


def test_a_bad_custom_range_is_explained_and_this_month_shown_instead(english_client, city):
    user = make_user(Role.LEADER)
    english_client.post("/login", data={"username": user.username, "password": "password123"})
    response = english_client.get("/console/scorecards/?kind=custom&start=2026-11-09&end=2026-11-03")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The first day must not be after the last day." in page
    response = english_client.get("/console/scorecards/?kind=custom&start=2026-11-09")
    assert "Give the last day of the range." in response.get_data(as_text=True)
    response = english_client.get("/console/scorecards/?kind=month&day=2099-01-01")
    assert "The period has not started yet." in response.get_data(as_text=True)
    response = english_client.get("/console/scorecards/?period=month:2026-13", follow_redirects=True)
    assert "is not a period" in response.get_data(as_text=True)


def test_the_picker_chooses_a_xun(english_client, city):
    user = make_user(Role.LEADER)
    english_client.post("/login", data={"username": user.username, "password": "password123"})
    page = english_client.get("/console/scorecards/units?kind=xun&day=2026-11-05").get_data(as_text=True)
    assert "Nov 2026, days 1–10" in page


def test_saving_rules_makes_a_version_and_keeps_the_old_one_readable(english_client, city):
    admin = make_user(Role.ADMIN)
    english_client.post("/login", data={"username": admin.username, "password": "password123"})
    assert english_client.get("/console/scorecards/rules").status_code == 200
    bad = english_client.post("/console/scorecards/rules", data={
        "weight_closure_rate": "50", "target_closure_rate": "90", "weight_on_time_rate": "30"})
    assert "The weights must add up to 100 (they add up to 80)." in bad.get_data(as_text=True)
    assert db.session.execute(db.select(db.func.count()).select_from(ScoreRule)).scalar() == 1
    good = english_client.post("/console/scorecards/rules", data={
        "weight_closure_rate": "50", "target_closure_rate": "90", "weight_on_time_rate": "50",
        "target_on_time_rate": "70", "veto_followup_satisfaction_rate": "85", "note": "2027"},
        follow_redirects=True)
    assert "Saved as version 2" in good.get_data(as_text=True)
    old = english_client.get("/console/scorecards/rules/1").get_data(as_text=True)
    assert "Follow-up satisfaction rate (回访满意率)" in old  # version 1 weighted it
    new = db.session.execute(db.select(ScoreRule).where(ScoreRule.version == 2)).scalar()
    assert new.parts == [{"name": "closure_rate", "weight": 50, "target": 0.9},
                         {"name": "on_time_rate", "weight": 50, "target": 0.7}]
    assert new.vetoes == [{"name": "followup_satisfaction_rate", "line": 0.85}]


def test_only_admins_configure_the_rules(client, city, leader):
    assert client.get("/console/scorecards/rules").status_code == 403


def test_the_csv_export_has_a_bom_a_header_and_the_figures(english_client, city):
    user = make_user(Role.DISPATCHER)
    english_client.post("/login", data={"username": user.username, "password": "password123"})
    response = english_client.get(f"/console/scorecards/export/units.csv?period={NOVEMBER}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())
    lines = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert lines[0] == ["Nov 2026", NOVEMBER]
    header = lines[1]
    row = dict(zip(header, lines[2], strict=True))
    assert row["Unit"] == "市环卫处"
    assert (row["Received (受理)"], row["Due (应结案)"], row["Closed (结案)"]) == ("3", "3", "2")
    assert row["Closure rate (结案率)"] == "66.7"
    assert row["Follow-up satisfaction rate (回访满意率)"] == "50.0"


def test_the_xlsx_export_keeps_numbers_as_numbers(english_client, city):
    user = make_user(Role.LEADER)
    english_client.post("/login", data={"username": user.username, "password": "password123"})
    response = english_client.get(f"/console/scorecards/export/areas.xlsx?period={NOVEMBER}")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[1]
    by_name = {r[0]: dict(zip(header, r, strict=True)) for r in rows[2:]}
    assert by_name["东城区"]["Received (受理)"] == 3 and by_name["北街道"]["Received (受理)"] == 3
    assert by_name["东城区"]["Closure rate (结案率)"] == pytest.approx(66.7)


def test_comparison_puts_chosen_units_side_by_side(english_client, city):
    other = make_unit("市政处")
    user = make_user(Role.MODERATOR)
    english_client.post("/login", data={"username": user.username, "password": "password123"})
    page = english_client.get(f"/console/scorecards/compare?period={NOVEMBER}&unit={other.id}"
                              f"&unit={city['unit'].id}").get_data(as_text=True)
    assert page.index("市政处") < page.index("市环卫处", page.index("sc-compare"))
    csv_text = english_client.get(f"/console/scorecards/export/compare.csv?period={NOVEMBER}&unit={other.id}"
                                  f"&unit={city['unit'].id}").get_data().decode("utf-8-sig")
    assert [line.split(",")[0] for line in csv_text.splitlines()[2:]] == ["市政处", "市环卫处"]


def _count_queries(app, client, url):
    with recorded_statements() as statements:
        assert client.get(url).status_code == 200
    return statements


def test_the_dashboard_runs_the_same_few_queries_however_many_units_and_areas(app, client, city, leader):
    url = f"/console/scorecards/?period={NOVEMBER}"
    client.get(url)  # the first visit stores rule version 1
    few = _count_queries(app, client, url)
    for n in range(6):
        unit = make_unit(f"第{n}保洁公司")
        area = make_area(f"第{n}街道", level=AreaLevel.STREET, parent=city["district"])
        put_case(category=city["category"], area=area, unit=unit, received=local(2026, 11, 10 + n, 9),
                 state=C.CLOSED, due=local(2026, 11, 11 + n, 10), handled=local(2026, 11, 11 + n, 9),
                 closed=local(2026, 11, 11 + n, 11))
    many = _count_queries(app, client, url)

    def figures(statements):  # the counting queries (session and settings reloads aside)
        return [s for s in statements if any(t in s for t in ("FROM cases", "scorecard_", "survey_responses",
                                                             "supervision_notices"))]

    assert len(figures(many)) == len(figures(few))
    assert len(many) <= 60


def test_periods_of_every_kind_render(client, city, leader):
    # the city's three cases were received on 2 Nov, 4 Nov and 8 Nov: counted by hand for each period
    for key, received in (("day:2026-11-03", 0), ("xun:2026-11-1", 3), ("quarter:2026-Q4", 3), ("year:2026", 3),
                          ("custom:2026-11-03:2026-11-09", 2)):
        response = client.get(f"/console/scorecards/units/{city['unit'].id}?period={key}&lang=en")
        assert response.status_code == 200, key
        shown = re.search(r"<td>Received \(受理\)</td>\s*<td class=\"text-end\">(?:<a [^>]*>)?(\d+)",
                          response.get_data(as_text=True))
        assert shown and int(shown.group(1)) == received, key
    assert Period.parse("year:2026").contains(date(2026, 11, 3))
