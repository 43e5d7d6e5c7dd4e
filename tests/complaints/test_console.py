"""The staff case console over HTTP: the lifecycle from filing to closure, refusals, scoping, the list's
filters and saved filters, bulk steps, phone follow-ups. The hotline console is in test_console_intake."""
import io
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from complaints import handling, services
from complaints.models import Case, CaseState, SavedFilter
from portal.auth.models import Role
from portal.extensions import db
from tests.factories import make_area, make_case, make_category, make_point, make_rule, make_unit, make_user

SH = ZoneInfo("Asia/Shanghai")
LONG_AGO = datetime.now(timezone.utc) - timedelta(days=20)  # a case dispatched then is overdue now


@pytest.fixture
def city(app, client):
    client.set_cookie("lang", "en")
    east, west = make_area("东城区"), make_area("西城区")
    sanitation, parks = make_unit("市环卫处"), make_unit("市园林局")
    category = make_category("暴露垃圾", limit_hours=8, urgent_limit_hours=2)
    make_rule(category, sanitation)  # citywide: the suggestion for every case of the category
    return SimpleNamespace(
        east=east, west=west, sanitation=sanitation, parks=parks, category=category,
        east_point=make_point(east, "人民公园公厕"), west_point=make_point(west, "西城公厕"),
        dispatcher=make_user(Role.DISPATCHER, display_name="指挥中心小王"),
        operator=make_user(Role.OPERATOR, display_name="坐席小李"),
        handler=make_user(Role.HANDLER, unit=sanitation, display_name="环卫处小张"),
        parks_handler=make_user(Role.HANDLER, unit=parks),
    )


@pytest.fixture
def sign_in(client, login):
    """Sign out whoever is signed in, then sign ``user`` in."""

    def switch(user):
        client.post("/logout")
        return login(user)

    return switch


@pytest.fixture
def new_case(city):
    """A case of the city's category in 受理, at the east point unless told otherwise."""

    def make(point=None, **kw):
        return make_case(category=city.category, point=point or city.east_point, **kw)

    return make


@pytest.fixture
def advance(city):
    """Move a case along the main line with the services, up to ``state`` (dispatch ``now`` if given)."""

    def move(case, state, now=None):
        steps = [
            lambda: handling.file_case(case, city.dispatcher),
            lambda: handling.dispatch_case(case, city.sanitation, city.dispatcher, now=now),
            lambda: handling.accept_case(case, city.handler),
            lambda: handling.handle_case(case, city.handler, "已清运"),
            lambda: handling.verify_case(case, city.dispatcher, True, "已清理干净"),
        ]
        for step in steps:
            if case.state == state:
                break
            step()
        assert case.state == state
        db.session.commit()
        return case

    return move


def reload(case):
    db.session.expire_all()
    return db.session.get(Case, case.id)


def page(response):
    return response.get_data(as_text=True)


# ---------------------------------------------------------------- the lifecycle over HTTP

def test_a_case_goes_from_filing_to_closure_through_the_console(city, client, sign_in, new_case):
    case = new_case()
    url = f"/console/cases/{case.number}"
    sign_in(city.dispatcher)
    assert client.post(f"{url}/file", data={"file-note": "情况属实"}).status_code == 302
    detail = page(client.get(url))
    assert "Suggested: 市环卫处" in detail and "the citywide rule for the category" in detail
    assert f'<option selected value="{city.sanitation.id}">' in detail
    assert client.post(f"{url}/dispatch", data={"dispatch-unit": str(city.sanitation.id)}).status_code == 302
    case = reload(case)
    assert case.state == CaseState.DISPATCHED and case.unit == city.sanitation and case.due_at is not None

    sign_in(city.handler)
    assert case.number in page(client.get("/console/cases/queue"))
    client.post(f"{url}/accept")
    response = client.post(f"{url}/handle", data={"handle-note": "已清运完毕"}, follow_redirects=True)
    assert "Reported handled" in page(response)
    assert reload(case).state == CaseState.HANDLED

    sign_in(city.dispatcher)
    client.post(f"{url}/verify", data={"verify-result": "pass", "verify-note": "现场核查已清理"})
    case = reload(case)
    assert case.state == CaseState.CLOSED and case.outcome == "现场核查已清理"
    timeline = page(client.get(url))
    assert "环卫处小张" in timeline and "指挥中心小王" in timeline  # staff names on every step
    assert case.first_owner_id == city.dispatcher.id and "First owner" in timeline


def test_the_dispatcher_can_override_the_suggested_unit(city, client, sign_in, new_case, advance):
    case = advance(new_case(), CaseState.FILED)
    sign_in(city.dispatcher)
    client.post(f"/console/cases/{case.number}/dispatch",
                data={"dispatch-unit": str(city.parks.id), "dispatch-note": "园林绿地内"})
    case = reload(case)
    assert case.unit == city.parks and case.events[-1].note == "园林绿地内"


def test_verifying_a_filed_case_is_refused_with_a_message_and_changes_nothing(city, client, sign_in, new_case, advance):
    case = advance(new_case(), CaseState.FILED)
    sign_in(city.dispatcher)
    response = client.post(f"/console/cases/{case.number}/verify",
                           data={"verify-result": "pass", "verify-note": "ok"}, follow_redirects=True)
    assert "This step is not possible now: the case is “Filed”." in page(response)
    case = reload(case)
    assert case.state == CaseState.FILED and len(case.events) == 2


def test_a_missing_reason_keeps_what_was_typed_and_says_what_is_missing(city, client, sign_in, new_case):
    case = new_case()
    sign_in(city.dispatcher)
    response = client.post(f"/console/cases/{case.number}/reject", data={"reject-reason": ""})
    assert response.status_code == 200 and "Please correct the following" in page(response)
    assert reload(case).state == CaseState.RECEIVED


def test_a_handler_of_another_unit_cannot_open_or_accept_the_case(city, client, sign_in, new_case, advance):
    case = advance(new_case(), CaseState.DISPATCHED)
    sign_in(city.parks_handler)
    assert client.get(f"/console/cases/{case.number}").status_code == 404
    assert client.post(f"/console/cases/{case.number}/accept").status_code == 404
    assert case.number not in page(client.get("/console/cases/"))
    assert reload(case).state == CaseState.DISPATCHED


def test_a_unit_returns_a_misrouted_case_and_is_sent_back_to_its_queue(city, client, sign_in, new_case, advance):
    case = advance(new_case(), CaseState.IN_PROGRESS)
    sign_in(city.handler)
    response = client.post(f"/console/cases/{case.number}/return", data={"return-reason": "非我单位职责"})
    assert response.headers["Location"].endswith("/console/cases/queue")
    assert reload(case).state == CaseState.FILED


def test_a_unit_asks_for_more_time_and_the_dispatcher_approves(city, client, sign_in, new_case, advance):
    case = advance(new_case(), CaseState.IN_PROGRESS)
    due = case.due_at
    sign_in(city.handler)
    client.post(f"/console/cases/{case.number}/extension",
                data={"extension-kind": "extend", "extension-hours": "4", "extension-reason": "需采购配件"})
    assert 'id="action-extension"' not in page(client.get(f"/console/cases/{case.number}"))  # one at a time
    sign_in(city.dispatcher)
    assert "需采购配件" in page(client.get(f"/console/cases/{case.number}"))
    client.post(f"/console/cases/{case.number}/decide-extension", data={"decide-extension-decision": "approve"})
    assert reload(case).due_at > due


def test_merging_into_an_unknown_number_says_so_on_the_field(city, client, sign_in, new_case):
    case = new_case()
    sign_in(city.dispatcher)
    response = client.post(f"/console/cases/{case.number}/merge", data={"merge-target": "20000101-9999"})
    assert "No case has this number." in page(response)
    assert reload(case).state == CaseState.RECEIVED


def test_after_photos_are_stored_with_the_handling(make_app, tmp_path):
    app = make_app(UPLOAD_FOLDER=str(tmp_path))
    with app.app_context():
        client = app.test_client()
        client.set_cookie("lang", "en")
        unit = make_unit("市环卫处")
        handler = make_user(Role.HANDLER, unit=unit)
        case = make_case()
        handling.file_case(case, None)
        handling.dispatch_case(case, unit, None)
        handling.accept_case(case, handler)
        db.session.commit()
        client.post("/login", data={"username": handler.username, "password": "password123"})
        picture = io.BytesIO()
        Image.new("RGB", (64, 48), "green").save(picture, "PNG")
        picture.seek(0)
        response = client.post(f"/console/cases/{case.number}/handle", content_type="multipart/form-data",
                               data={"handle-note": "已修复", "handle-photos": (picture, "after.png")})
        assert response.status_code == 302
        case = reload(case)
        assert case.state == CaseState.HANDLED and [p.stage for p in case.photos] == ["after"]
        photo_url = f"/console/cases/{case.number}/photos/{case.photos[0].id}/thumb"
        assert photo_url in page(client.get(f"/console/cases/{case.number}"))
        served = client.get(photo_url)
        assert served.mimetype == "image/jpeg"
        served.close()

        refused = client.post(f"/console/cases/{case.number}/handle", content_type="multipart/form-data",
                              data={"handle-note": "x", "handle-photos": (io.BytesIO(b"not a picture"), "x.png")})
        assert refused.status_code == 302  # handled already: the step is no longer offered


def test_steps_need_the_forms_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        dispatcher = make_user(Role.DISPATCHER)
        case = make_case()
        client = app.test_client()

        def token(html, name="csrf_token"):
            return html.split(f'name="{name}" type="hidden" value="')[1].split('"')[0]

        client.post("/login", data={"username": dispatcher.username, "password": "password123",
                                    "csrf_token": token(page(client.get("/login")))})
        assert client.post(f"/console/cases/{case.number}/file", data={}).status_code == 400
        assert reload(case).state == CaseState.RECEIVED
        detail = page(client.get(f"/console/cases/{case.number}"))
        response = client.post(f"/console/cases/{case.number}/file",
                               data={"file-csrf_token": token(detail, "file-csrf_token")})
        assert response.status_code == 302 and reload(case).state == CaseState.FILED


# ---------------------------------------------------------------- scope

def test_a_handler_sees_only_their_units_cases(city, client, sign_in, new_case, advance):
    ours = advance(new_case(), CaseState.DISPATCHED)
    theirs = advance(new_case(), CaseState.FILED)
    handling.dispatch_case(theirs, city.parks, city.dispatcher)
    db.session.commit()
    sign_in(city.handler)
    listing = page(client.get("/console/cases/"))
    assert ours.number in listing and theirs.number not in listing
    assert client.get(f"/console/cases/{theirs.number}").status_code == 404


def test_an_inspector_sees_only_cases_in_their_areas(city, client, sign_in, new_case):
    street = make_area("东华街道", level="street", parent=city.east)
    inside = new_case(point=make_point(street, "东华路口"))
    outside = new_case(point=city.west_point)
    sign_in(make_user(Role.INSPECTOR, areas=[city.east]))
    listing = page(client.get("/console/cases/"))
    assert inside.number in listing and outside.number not in listing
    assert client.get(f"/console/cases/{inside.number}").status_code == 200
    assert client.get(f"/console/cases/{outside.number}").status_code == 404


# ---------------------------------------------------------------- the list

def numbers_listed(client, query=""):
    html = page(client.get(f"/console/cases/?{query}"))
    return {row.split('"')[0] for row in html.split('<tr data-number="')[1:]}


def test_the_list_filters_by_state_unit_channel_and_overdue(city, client, sign_in, new_case, advance):
    received = new_case(channel="hotline")
    filed = advance(new_case(), CaseState.FILED)
    overdue = advance(new_case(), CaseState.DISPATCHED, now=LONG_AGO)
    on_time = advance(new_case(), CaseState.DISPATCHED)
    sign_in(city.dispatcher)
    assert numbers_listed(client, "state=filed") == {filed.number}
    assert numbers_listed(client, "state=open") == {received.number, filed.number, overdue.number, on_time.number}
    assert numbers_listed(client, f"unit={city.sanitation.id}") == {overdue.number, on_time.number}
    assert numbers_listed(client, "channel=hotline") == {received.number}
    assert numbers_listed(client, "overdue=y") == {overdue.number}
    listing = page(client.get("/console/cases/"))
    assert listing.index(overdue.number) < listing.index(on_time.number) < listing.index(received.number)
    assert 'data-light="red"' in listing


def test_the_list_filters_by_local_reporting_day_and_text(city, client, sign_in, new_case):
    late, next_morning = new_case(description="深夜的垃圾"), new_case(description="早上的垃圾")
    late.created_at = datetime(2026, 11, 20, 23, 30, tzinfo=SH)  # 15:30 UTC on the 20th
    next_morning.created_at = datetime(2026, 11, 21, 0, 30, tzinfo=SH)  # 16:30 UTC, still the 20th in UTC
    db.session.commit()
    sign_in(city.dispatcher)
    day = "created_from=2026-11-21&created_to=2026-11-21"
    assert numbers_listed(client, day) == {next_morning.number}
    assert numbers_listed(client, "created_to=2026-11-20") == {late.number}
    assert numbers_listed(client, "q=深夜") == {late.number}
    assert numbers_listed(client, f"q={late.number}") == {late.number}


def test_the_list_filters_by_area_subtree_and_category_group(city, client, sign_in, new_case):
    street = make_area("东华街道", level="street", parent=city.east)
    deep = new_case(point=make_point(street, "东华路口"))
    east, west = new_case(), new_case(point=city.west_point)
    other = make_case(category=make_category("井盖缺失"), point=city.east_point)
    sign_in(city.dispatcher)
    assert numbers_listed(client, f"area={city.east.id}") == {deep.number, east.number, other.number}
    group = city.category.parent_id
    assert numbers_listed(client, f"category={group}") == {deep.number, east.number, west.number}


def test_nonsense_in_the_query_string_is_shown_and_ignored(city, client, sign_in, new_case):
    case = new_case()
    sign_in(city.dispatcher)
    query = "unit=abc&area=99999999999&category=-1&state=nope&channel=fax&created_from=2026-13-45"
    response = client.get(f"/console/cases/?{query}")
    assert response.status_code == 200 and "Not a valid date value" in page(response)
    assert case.number in page(response)


def test_saved_filters_are_kept_per_user_listed_and_deleted(city, client, sign_in):
    sign_in(city.dispatcher)
    client.post("/console/cases/filters", data={"name": "我的超期件", "query": "overdue=y&page=3&lang=zh_Hans"})
    saved = db.session.execute(db.select(SavedFilter)).scalar_one()
    assert (saved.user_id, saved.query) == (city.dispatcher.id, "overdue=y")
    listing = page(client.get("/console/cases/"))
    assert "我的超期件" in listing and 'href="/console/cases/?overdue=y"' in listing

    sign_in(city.operator)
    assert "我的超期件" not in page(client.get("/console/cases/"))
    assert client.post(f"/console/cases/filters/{saved.id}/delete").status_code == 404

    sign_in(city.dispatcher)
    client.post(f"/console/cases/filters/{saved.id}/delete")
    assert db.session.execute(db.select(SavedFilter)).first() is None


# ---------------------------------------------------------------- bulk steps

def test_bulk_dispatch_reports_the_case_not_filed_and_dispatches_the_others(city, client, sign_in, new_case, advance):
    first, second = advance(new_case(), CaseState.FILED), advance(new_case(), CaseState.FILED)
    not_filed = new_case()
    sign_in(city.dispatcher)
    response = client.post("/console/cases/bulk", follow_redirects=True, data={
        "bulk-action": "dispatch", "bulk-unit": str(city.parks.id),
        "bulk-cases": [str(c.id) for c in (first, second, not_filed)]})
    html = page(response)
    assert f"Dispatched: {first.number}, {second.number}." in html
    assert f"Not done: {not_filed.number} (the case is “Received”)." in html
    assert [reload(c).state for c in (first, second, not_filed)] == [
        CaseState.DISPATCHED, CaseState.DISPATCHED, CaseState.RECEIVED]
    assert reload(first).unit == city.parks


def test_bulk_merge_links_the_selected_cases_to_the_chosen_one(city, client, sign_in, new_case, advance):
    target, one, two = new_case(), new_case(), new_case()
    closed = advance(new_case(), CaseState.CLOSED)
    sign_in(city.dispatcher)
    response = client.post("/console/cases/bulk", follow_redirects=True, data={
        "bulk-action": "merge", "bulk-target": target.number,
        "bulk-cases": [str(c.id) for c in (target, one, two, closed)]})
    assert f"Not done: {closed.number}" in page(response)
    assert {reload(c).state for c in (one, two)} == {CaseState.MERGED}
    assert reload(one).duplicate_of_id == target.id and reload(target).me_too_count == 2


def test_bulk_steps_are_for_dispatchers_only(city, client, sign_in, new_case, advance):
    case = advance(new_case(), CaseState.FILED)
    sign_in(city.operator)
    assert 'name="bulk-cases"' not in page(client.get("/console/cases/"))
    response = client.post("/console/cases/bulk", data={
        "bulk-action": "dispatch", "bulk-unit": str(city.parks.id), "bulk-cases": [str(case.id)]})
    assert response.status_code == 403 and reload(case).state == CaseState.FILED


# ---------------------------------------------------------------- follow-up and afterwards

def test_an_operator_records_a_phone_followup(city, client, sign_in, new_case, advance):
    case = advance(new_case(), CaseState.CLOSED)
    sign_in(city.operator)
    client.post(f"/console/cases/{case.number}/followup",
                data={"followup-rating": "3", "followup-comment": "还是很脏", "followup-ask_reopen": "y"})
    case = reload(case)
    assert (case.rating, case.reopen_requested) == (3, True)
    assert case.events[-2].actor_id == city.operator.id and case.events[-2].data["by_phone"] is True

    sign_in(city.dispatcher)
    client.post(f"/console/cases/{case.number}/reopen", data={"reopen-note": "重新派遣"})
    case = reload(case)
    assert case.state == CaseState.FILED and case.reopen_count == 1


def test_the_dispatcher_declines_a_reopen_request_with_a_public_note(city, client, sign_in, new_case, advance):
    case = advance(new_case(), CaseState.CLOSED)
    services.rate_case(case, 3, ask_reopen=True)
    db.session.commit()
    sign_in(city.dispatcher)
    client.post(f"/console/cases/{case.number}/decline-reopen", data={"decline-reopen-note": "已按标准处理"})
    case = reload(case)
    assert case.state == CaseState.CLOSED and not case.reopen_requested and case.events[-1].public


def test_a_rebound_is_marked_and_the_case_filed_again(city, client, sign_in, new_case, advance):
    case = advance(new_case(), CaseState.CLOSED)
    sign_in(city.dispatcher)
    client.post(f"/console/cases/{case.number}/rebound", data={"rebound-note": "三天后又堆积"})
    case = reload(case)
    assert (case.state, case.rebound_count) == (CaseState.FILED, 1)


def test_a_description_with_a_script_is_escaped_on_list_and_detail(city, client, sign_in, new_case):
    case = new_case(description='<script>alert("x")</script>')
    sign_in(city.dispatcher)
    for url in ("/console/cases/", f"/console/cases/{case.number}"):
        html = page(client.get(url))
        assert "<script>alert" not in html and "&lt;script&gt;alert" in html, url


def test_the_overdue_quick_link_counts_cases_in_scope(city, client, sign_in, new_case, advance):
    advance(new_case(), CaseState.DISPATCHED, now=LONG_AGO)
    sign_in(city.dispatcher)
    assert '<span class="badge text-bg-danger" id="count-overdue">1</span>' in page(client.get("/console/cases/"))
    sign_in(city.parks_handler)
    assert '<span class="badge text-bg-danger" id="count-overdue">0</span>' in page(client.get("/console/cases/"))


def test_the_queue_lists_the_units_open_cases_due_soonest_first(city, client, sign_in, new_case, advance):
    later = advance(new_case(), CaseState.DISPATCHED)
    sooner = advance(new_case(), CaseState.DISPATCHED, now=LONG_AGO)
    closed = advance(new_case(), CaseState.CLOSED)
    sign_in(city.handler)
    html = page(client.get("/console/cases/queue"))
    assert html.index(sooner.number) < html.index(later.number) and closed.number not in html
