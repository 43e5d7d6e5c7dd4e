"""The case list behind a scorecard number: following the number's link lists exactly the cases counted, with the
filters said in words; bad filter values are reported and ignored; the board's editors expose selected cases."""
import re
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from complaints.models import CaseState, SavedFilter
from complaints.supervision.models import NoticeKind, SupervisionNotice
from oversight.scorecards.figures import compute
from oversight.scorecards.periods import Period
from oversight.scorecards.views import _cases_link
from portal.auth.models import Role
from portal.city import city_today
from portal.clock import utcnow
from portal.extensions import db
from portal.registry.models import AreaLevel
from tests.factories import make_area, make_category, make_unit, make_user
from tests.oversight.scorecards.helpers import local, put_case

C = CaseState
NOVEMBER = Period.containing("month", date(2025, 11, 1))  # long past: every due time in it has passed
COUNTS = ("received", "filed", "due", "postponed", "closed", "closed_on_time", "reworked", "reopened",
          "followed_up", "satisfied", "supervised")


@pytest.fixture
def city(app, client, login):
    """The scorecards' hand-computed month (tests/oversight/scorecards/test_figures.py), a year earlier, with 督办单; a
    leader signed in, reading English."""
    client.set_cookie("lang", "en")
    district = make_area("东城区")
    north = make_area("北街道", level=AreaLevel.STREET, parent=district)
    south = make_area("南街道", level=AreaLevel.STREET, parent=district)
    sanitation, works = make_unit("市环卫处"), make_unit("市政处")
    garbage, lamps = make_category("暴露垃圾"), make_category("路灯不亮")
    common = {"category": garbage, "area": north, "unit": sanitation}
    put_case(**common, received=local(2025, 11, 2, 9), state=C.CLOSED, due=local(2025, 11, 3, 10),
             handled=local(2025, 11, 3, 9), closed=local(2025, 11, 3, 11), rating=1, channel="qr")
    put_case(**common, received=local(2025, 11, 4, 9), state=C.CLOSED, due=local(2025, 11, 5, 10),
             handled=local(2025, 11, 6, 10), closed=local(2025, 11, 6, 12), rework=1, rating=3, channel="hotline")
    put_case(**common, received=local(2025, 11, 8, 9), state=C.IN_PROGRESS, due=local(2025, 11, 9, 10),
             postponed=True)
    put_case(**common, received=local(2025, 11, 10, 9), state=C.CLOSED, due=local(2025, 11, 12, 10),
             handled=local(2025, 11, 11, 22), closed=local(2025, 11, 12, 9), reopen=1)
    overdue = put_case(**common, received=local(2025, 11, 12, 9), state=C.IN_PROGRESS, due=local(2025, 11, 14, 10))
    put_case(**common, received=local(2025, 10, 30, 9), state=C.CLOSED, due=local(2025, 11, 2, 10),
             handled=local(2025, 11, 1, 16), closed=local(2025, 11, 2, 9), rating=2, scale=5)
    put_case(**common, received=local(2025, 11, 28, 9), state=C.DISPATCHED, due=local(2025, 12, 2, 10))
    # due at 00:30 local on 1 December: 30 November in UTC, but not in November for the city
    put_case(**common, received=local(2025, 11, 29, 9), state=C.CLOSED, due=local(2025, 12, 1, 0, 30),
             handled=local(2025, 11, 30, 22), closed=local(2025, 12, 1, 9), rating=1)
    put_case(category=garbage, area=north, received=local(2025, 11, 15, 9), state=C.REJECTED)
    put_case(category=garbage, area=north, received=local(2025, 11, 16, 9), state=C.MERGED)
    put_case(category=lamps, area=south, unit=works, received=local(2025, 11, 20, 9), state=C.CLOSED,
             due=local(2025, 11, 21, 10), handled=local(2025, 11, 21, 8), closed=local(2025, 11, 21, 9),
             rating=4, scale=5)
    late = put_case(category=lamps, area=south, unit=works, received=local(2025, 11, 20, 10), state=C.CLOSED,
                    due=local(2025, 11, 21, 10), handled=local(2025, 11, 22, 10), closed=local(2025, 11, 22, 11))
    notices = [(overdue, sanitation, NoticeKind.SUPERVISE, local(2025, 11, 14, 11)),
               (overdue, sanitation, NoticeKind.SUPERVISE, local(2025, 12, 1, 9)),  # December: not counted
               (overdue, sanitation, NoticeKind.URGE, local(2025, 11, 14, 8)),  # 催办: not counted
               (late, works, NoticeKind.SUPERVISE, local(2025, 11, 30, 23, 30))]  # last hour of November
    for hours, (case, unit, kind, issued) in enumerate(notices):
        db.session.add(SupervisionNotice(kind=kind, case_id=case.id, unit_id=unit.id, issued_at=issued,
                                         due_at=case.due_at + timedelta(hours=hours)))
    db.session.commit()
    login(make_user(Role.LEADER))
    return {"district": district, "north": north, "sanitation": sanitation, "works": works, "garbage": garbage}


def listed(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return re.findall(r'<tr data-number="([^"]+)"', response.get_data(as_text=True))


def link(app, period, measure, level, key, channel=None):
    with app.test_request_context():
        return _cases_link(period, measure, level, key, channel)


def figures_of(period, level, key):
    found = {f.key: f for f in compute(period, level)}
    return found[key]


@pytest.mark.parametrize("measure", COUNTS)
def test_a_units_number_links_to_exactly_the_cases_it_counts(app, client, city, measure):
    unit = city["sanitation"].id
    expected = figures_of(NOVEMBER, "unit", unit).value(measure)
    assert len(listed(client, link(app, NOVEMBER, measure, "unit", unit))) == expected


@pytest.mark.parametrize("level,name", [("area", "district"), ("category", "garbage"), ("city", None)])
def test_area_category_and_city_numbers_link_to_exactly_their_cases(app, client, city, level, name):
    key = city[name].id if name else None
    figures = figures_of(NOVEMBER, level, key)
    for measure in COUNTS:
        found = listed(client, link(app, NOVEMBER, measure, level, key))
        assert len(found) == figures.value(measure), (level, measure)


def test_the_fixture_exercises_every_cohort(app, city):
    """Guards the tests above against passing on zeros."""
    f = figures_of(NOVEMBER, "unit", city["sanitation"].id)
    assert [f.value(m) for m in COUNTS] == [7, 7, 6, 1, 4, 3, 1, 1, 3, 2, 1]
    assert figures_of(NOVEMBER, "unit", city["works"].id).supervised == 1


def test_a_channels_number_links_to_its_cases(app, client, city):
    figures = figures_of(NOVEMBER, "city", None)
    assert figures.channels["hotline"] == 1
    for channel, count in figures.channels.items():
        assert len(listed(client, link(app, NOVEMBER, "received", "city", None, channel))) == count


def test_a_due_time_not_yet_passed_is_neither_counted_nor_listed(app, client, city):
    area = make_area("新区")
    unit = make_unit("新区城管")
    now = utcnow()
    past = put_case(category=city["garbage"], area=area, unit=unit, received=now - timedelta(days=2),
                    state=C.IN_PROGRESS, due=now - timedelta(hours=1))
    put_case(category=city["garbage"], area=area, unit=unit, received=now - timedelta(days=2),
             state=C.IN_PROGRESS, due=now + timedelta(days=10))
    today = city_today(now, "Asia/Shanghai")
    around = Period.custom(today - timedelta(days=20), today + timedelta(days=20))
    assert figures_of(around, "unit", unit.id).due == 1
    assert listed(client, link(app, around, "due", "unit", unit.id)) == [past.number]


def test_the_list_says_its_filters_in_words(app, client, city):
    url = link(app, NOVEMBER, "closed_on_time", "unit", city["sanitation"].id)
    text = client.get(url).get_data(as_text=True)
    words = text.split('id="filter-in-words"')[1].split("</div>")[0]
    assert "Closed on time (按期结案): closed, not postponed, handled by the due time" in words
    assert "Due from 2025-11-01 to 2025-11-30, due times already past" in words
    assert "Unit: 市环卫处" in words and "3 cases" in words
    supervised = client.get(link(app, NOVEMBER, "supervised", "unit", city["sanitation"].id)).get_data(as_text=True)
    assert "A supervision notice (督办单) issued from 2025-11-01 to 2025-11-30" in supervised
    assert 'id="filter-in-words"' not in client.get("/console/cases/").get_data(as_text=True)


@pytest.mark.parametrize("query,message", [
    ("outcome=happy", "Outcome: “happy” is not a known outcome."),
    ("due_from=2025-13-01", "Due: “2025-13-01” is not a date (YYYY-MM-DD)."),
    ("due_to=9999-12-31", "Due: “9999-12-31” is not a date (YYYY-MM-DD)."),
    ("supervised_from=yesterday", "Supervision notice (督办单) issued: “yesterday” is not a date (YYYY-MM-DD)."),
    ("due_from=2025-11-30&due_to=2025-11-01", "Due: The first day is after the last day."),
])
def test_a_bad_scorecard_filter_is_reported_and_ignored(client, city, query, message):
    everything = listed(client, "/console/cases/")
    response = client.get(f"/console/cases/?{query}")
    assert message in response.get_data(as_text=True)
    assert listed(client, f"/console/cases/?{query}") == everything and len(everything) == 12


def test_a_saved_filter_keeps_the_scorecard_filters(app, client, city):
    url = link(app, NOVEMBER, "reworked", "unit", city["sanitation"].id)
    query = urlsplit(url).query
    response = client.post("/console/cases/filters", data={"name": "返工 11月", "query": query})
    assert response.status_code == 302
    saved = db.session.execute(db.select(SavedFilter)).scalar_one()
    assert parse_qs(saved.query) == parse_qs(query)
    assert len(listed(client, response.headers["Location"])) == 1
    page = client.get("/console/cases/").get_data(as_text=True)
    href = re.search(r'<a class="btn btn-sm btn-outline-primary" href="([^"]+)">返工 11月', page).group(1)
    assert len(listed(client, href.replace("&amp;", "&"))) == 1


# ---------------------------------------------------------------- expose on the board

def test_a_board_editor_exposes_the_selected_cases(app, client, city, login):
    client.post("/logout")
    login(make_user(Role.MODERATOR))
    page = client.get("/console/cases/").get_data(as_text=True)
    assert 'id="bulk-expose"' in page and 'name="bulk-cases"' in page and 'name="bulk-action"' not in page
    numbers = listed(client, link(app, NOVEMBER, "closed", "unit", city["works"].id))
    from complaints.models import Case

    ids = [str(db.session.execute(db.select(Case.id).where(Case.number == n)).scalar_one()) for n in numbers]
    response = client.post("/console/cases/bulk/expose", data={"bulk-cases": ids})
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/console/board/new-from-cases"
    assert sorted(parse_qs(location.query)["cases"][0].split(",")) == sorted(numbers) and len(numbers) == 2


def test_exposing_nothing_says_so(client, city, login):
    client.post("/logout")
    login(make_user(Role.ADMIN))
    response = client.post("/console/cases/bulk/expose", data={"bulk-back": "outcome=closed"},
                           follow_redirects=True)
    assert "Select at least one case." in response.get_data(as_text=True)
    assert response.request.path == "/console/cases/" and response.request.args["outcome"] == "closed"


def test_only_board_editors_may_expose(client, city, login):
    client.post("/logout")
    login(make_user(Role.DISPATCHER))
    page = client.get("/console/cases/").get_data(as_text=True)
    assert 'name="bulk-action"' in page and 'id="bulk-expose"' not in page
    assert client.post("/console/cases/bulk/expose", data={"bulk-cases": ["1"]}).status_code == 403
