"""Stored snapshots: the jobs pick the right period, never store twice, never change a stored snapshot; staff
pages print, publish, annotate and export them; the public board shows only what was published."""
import io
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from complaints.handling import dispatch_case, file_case
from oversight.scorecards import honours, jobs, snapshots
from oversight.scorecards.demo import seed_snapshots
from oversight.scorecards.periods import Period
from oversight.scorecards.published import unit_public_figures
from oversight.scorecards.snapshot_models import Snapshot, SnapshotFrozen, SnapshotKind, SnapshotNote
from portal.auth.models import Role
from portal.extensions import db
from tests.factories import make_case, make_category, make_point, make_unit, make_user
from tests.oversight.scorecards.snapshot_factories import figures, stand_in_engine

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*args):
    return datetime(*args, tzinfo=SHANGHAI)


def count(kind=None):
    query = db.select(db.func.count()).select_from(Snapshot)
    if kind is not None:
        query = query.where(Snapshot.kind == kind)
    return db.session.scalar(query)


def sign_in(client, role, **kw):
    user = make_user(role, **kw)
    response = client.post("/login", data={"username": user.username, "password": "password123"})
    assert response.status_code == 302
    return user


# ---------------------------------------------------------------- which period


@pytest.mark.parametrize(("now", "kind", "key"), [
    (local(2026, 11, 11, 0, 30), SnapshotKind.XUN_BULLETIN, "xun:2026-11-1"),
    (local(2026, 11, 10, 23, 30), SnapshotKind.XUN_BULLETIN, "xun:2026-10-3"),
    (local(2026, 11, 21, 1, 0), SnapshotKind.XUN_BULLETIN, "xun:2026-11-2"),
    (local(2026, 12, 1, 0, 5), SnapshotKind.XUN_BULLETIN, "xun:2026-11-3"),
    (local(2026, 12, 1, 0, 5), SnapshotKind.MONTH_RANKING, "month:2026-11"),
    (local(2026, 11, 30, 23, 59), SnapshotKind.MONTH_RANKING, "month:2026-10"),
    (local(2027, 1, 1, 0, 5), SnapshotKind.HONOURS, "month:2026-12"),
])
def test_each_job_covers_the_last_complete_period_in_local_time(app, monkeypatch, now, kind, key):
    stand_in_engine(monkeypatch, {})
    job = {SnapshotKind.XUN_BULLETIN: jobs.publish_xun_bulletin, SnapshotKind.MONTH_RANKING:
           jobs.publish_month_ranking, SnapshotKind.HONOURS: jobs.publish_honours}[kind]
    snapshot = job(now)
    assert (snapshot.kind, snapshot.period_key) == (kind, key)
    period = Period.parse(key)
    assert (snapshot.period_start, snapshot.period_end) == (period.start, period.end)
    assert snapshot.published_at is None  # internal until someone publishes it


def test_the_bulletin_of_11_november_covers_days_1_to_10(app, monkeypatch):
    stand_in_engine(monkeypatch, {})
    snapshot = jobs.publish_xun_bulletin(local(2026, 11, 11, 0, 30))
    assert snapshot.data["period"] == {"kind": "xun", "key": "xun:2026-11-1", "start": "2026-11-01",
                                       "end": "2026-11-10"}
    assert snapshot.data["previous_period"]["key"] == "xun:2026-10-3"


# ---------------------------------------------------------------- idempotency


def test_running_every_job_twice_stores_each_snapshot_once(app, monkeypatch):
    calls = stand_in_engine(monkeypatch, {})
    now = local(2026, 12, 1, 0, 30)
    first = [jobs.publish_xun_bulletin(now), jobs.publish_month_ranking(now), jobs.publish_honours(now)]
    computed = len(calls)
    second = [jobs.publish_xun_bulletin(now), jobs.publish_month_ranking(now), jobs.publish_honours(now)]
    assert [s.id for s in first] == [s.id for s in second]
    assert count() == 3
    assert len(calls) == computed  # the second run computed nothing


def test_a_crash_after_the_insert_leaves_nothing_and_the_rerun_stores_one(app, monkeypatch):
    stand_in_engine(monkeypatch, {})
    now = local(2026, 11, 11, 0, 30)

    def crash(*_args, **_kwargs):
        raise RuntimeError("power cut")

    with monkeypatch.context() as patch:
        patch.setattr(snapshots.audit, "record", crash)
        with pytest.raises(RuntimeError):
            jobs.publish_xun_bulletin(now)
    db.session.rollback()
    assert count() == 0
    snapshot = jobs.publish_xun_bulletin(now)
    jobs.publish_xun_bulletin(now)
    assert count() == 1 and snapshot.period_key == "xun:2026-11-1"


def test_a_run_that_loses_the_race_returns_the_stored_snapshot(app, monkeypatch):
    stand_in_engine(monkeypatch, {})
    now = local(2026, 11, 11, 0, 30)
    winner = jobs.publish_xun_bulletin(now)
    real_find = snapshots.find_snapshot
    seen = []

    def blind_once(kind, key):  # the other run committed between our check and our insert
        seen.append(key)
        return None if len(seen) == 1 else real_find(kind, key)

    monkeypatch.setattr(snapshots, "find_snapshot", blind_once)
    loser = jobs.publish_xun_bulletin(now)
    assert loser.id == winner.id and count() == 1 and len(seen) == 2


def test_only_a_complete_period_can_be_stored(app, monkeypatch):
    stand_in_engine(monkeypatch, {})
    with pytest.raises(snapshots.SnapshotError) as caught:
        snapshots.generate_snapshot(SnapshotKind.MONTH_RANKING, Period.containing("month", local(2026, 11, 30)),
                                    now=local(2026, 11, 30, 23, 0))
    assert caught.value.code == "period_incomplete"
    with pytest.raises(snapshots.SnapshotError):
        snapshots.generate_snapshot(SnapshotKind.HONOURS, Period.containing("xun", local(2026, 10, 1)))
    assert count() == 0


# ---------------------------------------------------------------- never changes


def test_a_stored_snapshot_cannot_be_edited_unpublished_or_deleted(app, monkeypatch):
    stand_in_engine(monkeypatch, {})
    snapshot = jobs.publish_xun_bulletin(local(2026, 11, 11, 0, 30))
    snapshot.data = {"rows": []}
    with pytest.raises(SnapshotFrozen):
        db.session.flush()
    db.session.rollback()
    snapshots.publish_snapshot(snapshot, actor=None)
    db.session.commit()
    with pytest.raises(snapshots.SnapshotError) as caught:
        snapshots.publish_snapshot(snapshot, actor=None)
    assert caught.value.code == "already_published"
    snapshot.published_at = None
    with pytest.raises(SnapshotFrozen):
        db.session.flush()
    db.session.rollback()
    db.session.delete(snapshot)
    with pytest.raises(SnapshotFrozen):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(Snapshot, snapshot.id).is_published


def _received(unit, category, point, when):
    case = make_case(category=category, point=point)
    file_case(case, actor=None)
    dispatch_case(case, unit, actor=None, now=when)
    case.created_at = when
    db.session.commit()
    return case


def test_a_published_bulletin_keeps_its_figures_when_cases_change_afterwards(app, client):
    unit = make_unit("市环卫处")
    category = make_category("暴露垃圾")
    point = make_point(owner=unit)
    for day in (2, 5):
        _received(unit, category, point, local(2026, 11, day, 10, 0))
    _received(unit, category, point, local(2026, 11, 10, 23, 30))  # still 上旬 in Shanghai
    _received(unit, category, point, local(2026, 11, 11, 0, 30))  # 中旬
    snapshot = jobs.publish_xun_bulletin(local(2026, 11, 11, 1, 0))
    row = next(r for r in snapshot.data["rows"] if r["id"] == unit.id)
    assert row["figures"]["received"] == 3
    assert snapshot.data["city"]["received"] == 3
    snapshots.publish_snapshot(snapshot, actor=None)
    db.session.commit()
    stored = dict(snapshot.data)
    _received(unit, category, point, local(2026, 11, 3, 9, 0))  # a late entry into the same 旬
    again = jobs.publish_xun_bulletin(local(2026, 11, 12, 9, 0))
    assert again.id == snapshot.id and again.data == stored
    db.session.expire_all()
    assert db.session.get(Snapshot, snapshot.id).data == stored
    page = client.get(f"/board/honours/bulletins/{snapshot.id}?lang=en").get_data(as_text=True)
    assert f'data-unit="{unit.id}"' in page
    assert "<td>3 " in page


# ---------------------------------------------------------------- content


@pytest.fixture
def units(app):
    return {name: make_unit(name) for name in ("环卫处", "园林局", "市政处")}


def _bulletin_engine(monkeypatch, units):
    a, b, c = (units[n].id for n in ("环卫处", "园林局", "市政处"))
    now_rows = [figures(a, received=12, due=10, closed=9, closed_on_time=8, followed_up=40, satisfied=24, supervised=2),
                figures(b, received=9, due=10, closed=10, closed_on_time=10, followed_up=10, satisfied=9),
                figures(c, received=3, due=3, closed=3, closed_on_time=1, followed_up=3, satisfied=1)]
    before_rows = [figures(a, received=10, due=10, closed=10, followed_up=10, satisfied=9)]
    city = [figures(None, "city", "city", received=24, due=23, closed=22, followed_up=23, satisfied=18)]
    city_before = [figures(None, "city", "city", received=10, due=10, closed=10, followed_up=10, satisfied=9)]
    stand_in_engine(monkeypatch, {("xun:2026-11-1", "unit"): now_rows, ("xun:2026-10-3", "unit"): before_rows,
                                  ("xun:2026-11-1", "city"): city, ("xun:2026-10-3", "city"): city_before})


def test_the_bulletin_names_units_below_the_line_and_compares_with_the_previous_xun(units, monkeypatch, client):
    _bulletin_engine(monkeypatch, units)
    snapshot = jobs.publish_xun_bulletin(local(2026, 11, 11, 0, 30))
    a, b, c = (units[n].id for n in ("环卫处", "园林局", "市政处"))
    # 环卫处 24/40 = 60%, Wilson [44.6, 73.7] wholly below 85%: named; 园林局 9/10 = 90% [59.6, 98.2]: the
    # interval includes 85%, not enough evidence; 市政处 33% but only 3 ratings (< 5): not judged.
    assert snapshot.data["named"] == [a]
    rows = {row["id"]: row for row in snapshot.data["rows"]}
    assert rows[c]["judged"] is False and rows[c]["below_target"] is False
    assert rows[b]["verdict"] == "unclear" and rows[c]["verdict"] == "too_few"
    assert rows[a]["previous"]["followup_satisfaction_rate"] == pytest.approx(0.9)
    assert rows[b]["previous"] is None
    assert [row["id"] for row in snapshot.data["rows"]] == [b, a, c]  # best satisfaction first
    snapshots.publish_snapshot(snapshot, actor=None)
    db.session.commit()
    html = client.get(f"/board/honours/bulletins/{snapshot.id}?lang=en").get_data(as_text=True)
    assert "Units below 85% follow-up satisfaction" in html
    named = html.split('id="named-units"')[1].split("</p>")[0]
    assert "环卫处" in named and "园林局" not in named
    assert '<span class="ms-delta ms-down">-30.0</span>' in html  # 环卫处: 90% → 60%
    city = html.split('id="city-table"')[1].split("</table>")[0]
    assert "<td>95.7%</td><td>100.0%</td>" in city  # 结案率 22/23 this 旬, 10/10 the one before


def _ranking_engine(monkeypatch, units, scores, ytd_scores=None, previous=None):
    ids = [u.id for u in units.values()]
    rows = [figures(i, received=30, due=30, closed=27) for i in ids]
    table = {("month:2026-11", "unit"): rows, ("custom:2026-01-01:2026-11-30", "unit"): rows}
    if previous is not None:
        table[("month:2026-10", "unit")] = rows
    return stand_in_engine(monkeypatch, table, scores)


def test_the_ranking_shows_rank_changes_against_last_months_stored_ranking_and_the_year_to_date(
        units, monkeypatch, client):
    a, b, c = (units[n].id for n in ("环卫处", "园林局", "市政处"))
    _ranking_engine(monkeypatch, units, {a: (70.0, []), b: (90.0, []), c: (80.0, [])}, previous=True)
    october = jobs.publish_month_ranking(local(2026, 11, 1, 0, 30))
    assert [row["id"] for row in october.data["rows"]] == [b, c, a]
    _ranking_engine(monkeypatch, units, {a: (95.0, []), b: (85.0, []), c: (85.0, [])})
    november = jobs.publish_month_ranking(local(2026, 12, 1, 0, 30))
    rows = {row["id"]: row for row in november.data["rows"]}
    assert (rows[a]["rank"], rows[a]["previous_rank"], rows[a]["rank_change"]) == (1, 3, 2)
    assert (rows[b]["rank"], rows[c]["rank"]) == (2, 2)  # equal index, equal rank
    assert rows[b]["rank_change"] == -1 and rows[c]["rank_change"] == 0
    assert november.data["previous_period"] == {"key": "month:2026-10", "source": "snapshot"}
    assert november.data["ytd"]["elapsed"] == round(334 / 365, 4)
    assert rows[a]["ytd"]["rank"] == 1 and rows[a]["ytd"]["score"] == 95.0
    snapshots.publish_snapshot(november, actor=None)
    db.session.commit()
    html = client.get(f"/board/honours/bulletins/{november.id}?lang=en").get_data(as_text=True)
    assert "91.5% of the year elapsed" in html and "▲2" in html and "▼1" in html


def test_small_units_are_listed_without_a_rank(units, monkeypatch):
    a, b, c = (units[n].id for n in ("环卫处", "园林局", "市政处"))
    rows = [figures(a, received=30), figures(b, received=19), figures(c, received=25)]
    stand_in_engine(monkeypatch, {("month:2026-11", "unit"): rows},
                    {a: (60.0, []), b: (99.0, []), c: (70.0, [])})
    snapshot = jobs.publish_month_ranking(local(2026, 12, 1, 0, 30))
    assert [(row["id"], row["rank"]) for row in snapshot.data["rows"]] == [(c, 1), (a, 2), (b, None)]


# ---------------------------------------------------------------- staff pages


def test_staff_generate_publish_and_annotate_a_snapshot(units, monkeypatch, english_client):
    _bulletin_engine(monkeypatch, units)
    sign_in(english_client, Role.LEADER)
    page = english_client.post("/console/bulletins/generate",
                               data={"kind": "xun_bulletin", "month": "2026-11", "xun": "1"})
    snapshot = db.session.execute(db.select(Snapshot)).scalar_one()
    assert page.status_code == 302 and page.headers["Location"].endswith(f"/console/bulletins/{snapshot.id}")
    again = english_client.post("/console/bulletins/generate",
                                data={"kind": "xun_bulletin", "month": "2026-11", "xun": "1"}, follow_redirects=True)
    assert "already stored" in again.get_data(as_text=True) and count() == 1
    html = english_client.get(f"/console/bulletins/{snapshot.id}").get_data(as_text=True)
    assert 'id="publish-form"' in html and "internal" in html
    printable = english_client.get(f"/console/bulletins/{snapshot.id}/print").get_data(as_text=True)
    assert "Internal: not published" in printable and 'id="unit-table"' in printable
    stylesheet = re.search(r'href="(/static/css/print-snapshot\.[0-9a-f]{12}\.css)"', printable)[1]
    assert "size: A4" in english_client.get(stylesheet).get_data(as_text=True)
    assert english_client.get(f"/board/honours/bulletins/{snapshot.id}").status_code == 404
    english_client.post(f"/console/bulletins/{snapshot.id}/publish")
    assert db.session.get(Snapshot, snapshot.id).is_published
    again = english_client.post(f"/console/bulletins/{snapshot.id}/publish", follow_redirects=True)
    assert "already published" in again.get_data(as_text=True)
    empty = english_client.post(f"/console/bulletins/{snapshot.id}/notes", data={"text": "  "},
                                follow_redirects=True)
    assert "Write the correction or remark." in empty.get_data(as_text=True)
    correction = "环卫处回访数据更正：满意8件。<b>x</b>"
    english_client.post(f"/console/bulletins/{snapshot.id}/notes", data={"text": correction})
    notes = db.session.execute(db.select(SnapshotNote)).scalars().all()
    assert [n.text for n in notes] == [correction]
    public = english_client.get(f"/board/honours/bulletins/{snapshot.id}").get_data(as_text=True)
    assert "环卫处回访数据更正" in public and "&lt;b&gt;x&lt;/b&gt;" in public


def test_generating_a_running_period_or_a_bad_month_is_refused_with_a_message(app, english_client):
    sign_in(english_client, Role.ADMIN)
    page = english_client.post("/console/bulletins/generate", data={"kind": "month_ranking", "month": "2099-01"},
                               follow_redirects=True)
    assert "not over yet" in page.get_data(as_text=True)
    page = english_client.post("/console/bulletins/generate", data={"kind": "month_ranking", "month": "2026-13"},
                               follow_redirects=True)
    assert "Give the month as YYYY-MM" in page.get_data(as_text=True)
    assert count() == 0


def test_a_moderator_reads_but_cannot_publish(units, monkeypatch, client):
    _bulletin_engine(monkeypatch, units)
    snapshot = jobs.publish_xun_bulletin(local(2026, 11, 11, 0, 30))
    sign_in(client, Role.MODERATOR)
    html = client.get(f"/console/bulletins/{snapshot.id}").get_data(as_text=True)
    assert "环卫处" in html and 'id="publish-form"' not in html and 'id="note-form"' not in html
    assert client.post(f"/console/bulletins/{snapshot.id}/publish").status_code == 403
    assert not db.session.get(Snapshot, snapshot.id).is_published


@pytest.mark.parametrize("lang", ["zh_Hans", "zh_Hant", "en"])
def test_the_console_pages_render_in_every_language(units, monkeypatch, client, lang):
    _bulletin_engine(monkeypatch, units)
    bulletin = jobs.publish_xun_bulletin(local(2026, 11, 11, 0, 30))
    a, b, c = (units[n].id for n in ("环卫处", "园林局", "市政处"))
    _ranking_engine(monkeypatch, units, {a: (95.0, ["veto"]), b: (85.0, []), c: (None, [])})
    ranking = jobs.publish_month_ranking(local(2026, 12, 1, 0, 30))
    sign_in(client, Role.ADMIN)
    client.set_cookie("lang", lang)
    for url in ("/console/bulletins/", f"/console/bulletins/{bulletin.id}", f"/console/bulletins/{bulletin.id}/print",
                f"/console/bulletins/{ranking.id}", f"/console/bulletins/{ranking.id}/print",
                "/console/bulletins/rule"):
        page = client.get(url)
        assert page.status_code == 200, url
        assert f'lang="{ {"zh_Hans": "zh-Hans", "zh_Hant": "zh-Hant", "en": "en"}[lang] }"' in page.get_data(
            as_text=True)
    month = {"zh_Hans": "2026年11月", "zh_Hant": "2026年11月", "en": "Nov 2026"}[lang]
    assert month in client.get(f"/console/bulletins/{ranking.id}").get_data(as_text=True)


def test_a_snapshot_table_exports_as_csv_and_xlsx(units, monkeypatch, english_client):
    units["环卫处"].name = "=HYPERLINK(1)"
    db.session.commit()
    _bulletin_engine(monkeypatch, units)
    snapshot = jobs.publish_xun_bulletin(local(2026, 11, 11, 0, 30))
    sign_in(english_client, Role.LEADER)
    response = english_client.get(f"/console/bulletins/{snapshot.id}/export.csv")
    assert response.status_code == 200 and "xun_bulletin-xun-2026-11-1.csv" in response.headers["Content-Disposition"]
    text = response.get_data().decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0].startswith("Unit,Received,Closure rate (%)")
    assert "园林局,9,100.0,100.0,90.0" in text
    assert "'=HYPERLINK(1),12,90.0,80.0,60.0,2,10,90.0,yes" in text
    response = english_client.get(f"/console/bulletins/{snapshot.id}/export.xlsx")
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "Unit" and len(values) == 4
    formula = next(row for row in values if "HYPERLINK" in str(row[0]))
    assert formula[0] == "=HYPERLINK(1)" and sheet.cell(row=values.index(formula) + 1, column=1).data_type == "s"


# ---------------------------------------------------------------- public board


def test_the_public_lists_show_only_published_bulletins_and_rankings(units, monkeypatch, client):
    _bulletin_engine(monkeypatch, units)
    first = jobs.publish_xun_bulletin(local(2026, 11, 11, 0, 30))
    second = jobs.publish_xun_bulletin(local(2026, 11, 21, 0, 30))
    snapshots.publish_snapshot(first, actor=None)
    db.session.commit()
    html = client.get("/board/honours/bulletins?lang=en").get_data(as_text=True)
    assert f"/board/honours/bulletins/{first.id}" in html and f"/board/honours/bulletins/{second.id}" not in html
    assert client.get(f"/board/honours/bulletins/{second.id}").status_code == 404
    assert client.get("/board/honours/bulletins/999999").status_code == 404
    for lang in ("zh_Hans", "zh_Hant", "en"):
        page = client.get(f"/board/honours/bulletins/{first.id}?lang={lang}")
        assert page.status_code == 200 and 'id="unit-table"' in page.get_data(as_text=True)


def test_a_published_honours_id_leads_to_its_month_page(app, monkeypatch, client):
    stand_in_engine(monkeypatch, {})
    honours_snapshot = jobs.publish_honours(local(2026, 12, 1, 0, 30))
    snapshots.publish_snapshot(honours_snapshot, actor=None)
    db.session.commit()
    response = client.get(f"/board/honours/bulletins/{honours_snapshot.id}")
    assert response.status_code == 302 and response.headers["Location"].endswith("/board/honours/2026-11")


def test_a_units_public_figures_come_from_the_latest_published_ranking(units, monkeypatch):
    a, b, c = (units[n].id for n in ("环卫处", "园林局", "市政处"))
    assert unit_public_figures(a) is None
    _ranking_engine(monkeypatch, units, {a: (70.0, []), b: (90.0, []), c: (80.0, [])}, previous=True)
    october = jobs.publish_month_ranking(local(2026, 11, 1, 0, 30))
    assert unit_public_figures(a) is None  # stored but not published
    snapshots.publish_snapshot(october, actor=None)
    db.session.commit()
    _ranking_engine(monkeypatch, units, {a: (95.0, []), b: (85.0, []), c: (85.0, [])})
    jobs.publish_month_ranking(local(2026, 12, 1, 0, 30))  # newer, not published: not shown
    shown = unit_public_figures(a)
    assert shown["period_key"] == "month:2026-10" and shown["rank"] == 3 and shown["ranked"] == 3
    assert shown["score"] == 70.0 and shown["figures"]["closure_rate"] == pytest.approx(0.9)
    assert unit_public_figures(999999) is None


def test_the_demo_seeds_the_last_bulletin_ranking_and_lists_published(app, monkeypatch):
    stand_in_engine(monkeypatch, {})
    stored = seed_snapshots(local(2026, 11, 22, 9, 0))
    db.session.commit()
    assert [(s.kind, s.period_key) for s in stored] == [
        (SnapshotKind.XUN_BULLETIN, "xun:2026-11-2"), (SnapshotKind.MONTH_RANKING, "month:2026-10"),
        (SnapshotKind.HONOURS, "month:2026-10")]
    assert all(s.is_published for s in stored)
    assert stored[1].data["min_cases"] == 2  # the demo city's small months are ranked all the same
    seed_snapshots(local(2026, 11, 22, 9, 0))
    assert count() == 3 and len(honours.list_rule_versions()) == 1


def test_a_vetoed_index_ranks_below_every_index_without_a_veto(units, monkeypatch):
    a, b, c = (units[n].id for n in ("环卫处", "园林局", "市政处"))
    rows = [figures(i, received=30) for i in (a, b, c)]
    stand_in_engine(monkeypatch, {("month:2026-11", "unit"): rows},
                    {a: (97.0, ["满意率低于否决线"]), b: (70.0, []), c: (80.0, [])})
    snapshot = jobs.publish_month_ranking(local(2026, 12, 1, 0, 30))
    assert [(row["id"], row["rank"]) for row in snapshot.data["rows"]] == [(c, 1), (b, 2), (a, 3)]
    assert snapshot.data["rows"][2]["score"]["vetoes"][0]["zh_Hans"] == "满意率低于否决线"
