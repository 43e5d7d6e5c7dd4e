"""Reporter privacy on staff pages: masked numbers everywhere, full numbers only on an audited reveal."""
import pytest

from complaints import handling
from complaints.privacy import mask_name, mask_phone
from portal.auth.models import AuditEntry, Role
from portal.extensions import db
from tests.factories import make_case, make_unit, make_user

PHONE = "13812345678"
MASKED = "138****5678"


@pytest.mark.parametrize("phone, masked", [
    ("13812345678", "138****5678"),
    ("138 1234 5678", "138****5678"),
    ("+86 138-1234-5678", "138****5678"),
    ("0571-87654367", "0571****67"),
    ("(0571) 8765 4367", "0571****67"),
    ("010-12345678", "010****78"),
    ("020 8765 4321", "020****21"),
    ("+86 571 87654367", "0571****67"),
    ("87654321", "****21"),
    ("110", "****"),
    ("", ""),
    (None, ""),
])
def test_phone_masks(phone, masked):
    assert mask_phone(phone) == masked


def test_names_keep_only_the_first_character():
    assert (mask_name("陈女士"), mask_name("王"), mask_name(None)) == ("陈**", "王*", "")


@pytest.fixture
def reported(app, client):
    """A case with the reporter's phone, with the unit of a handler so that the handler may open it."""
    client.set_cookie("lang", "en")
    unit = make_unit("市环卫处")
    case = make_case(reporter_name="陈女士", reporter_phone=PHONE)
    handling.file_case(case, None)
    handling.dispatch_case(case, unit, None)
    db.session.commit()
    return case, unit


def reveal_count():
    return db.session.scalar(db.select(db.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "reveal_phone"))


@pytest.mark.parametrize("role", [Role.LEADER, Role.MODERATOR, Role.HANDLER, Role.INSPECTOR, Role.ADMIN])
def test_roles_without_reveal_never_get_the_full_number(reported, client, login, role):
    case, unit = reported
    login(make_user(role, unit=unit if role == Role.HANDLER else None))
    for url in ("/console/cases/", f"/console/cases/{case.number}", f"/console/cases/{case.number}?lang=zh_Hans"):
        response = client.get(url)
        html = response.get_data(as_text=True)
        assert PHONE not in html and "陈女士" not in html, url
    if role != Role.INSPECTOR:  # an inspector without areas does not see the case at all
        assert MASKED in html and "陈**" in html and "Show number" not in html
    response = client.post(f"/console/cases/{case.number}/reveal-phone")
    assert response.status_code == 403 and reveal_count() == 0


@pytest.mark.parametrize("role", [Role.DISPATCHER, Role.OPERATOR])
def test_a_reveal_shows_the_number_for_one_page_view_and_is_audited(reported, client, login, role):
    case, _unit = reported
    user = login(make_user(role))
    detail = client.get(f"/console/cases/{case.number}").get_data(as_text=True)
    assert PHONE not in detail and MASKED in detail and "Show number" in detail

    response = client.post(f"/console/cases/{case.number}/reveal-phone")
    assert response.status_code == 302
    revealed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert PHONE in revealed and "陈女士" in revealed
    entry = db.session.execute(db.select(AuditEntry).where(AuditEntry.action == "reveal_phone")).scalar_one()
    assert (entry.actor_id, entry.object_type, entry.object_id, entry.summary) == (
        user.id, "cases", case.id, case.number)

    again = client.get(f"/console/cases/{case.number}").get_data(as_text=True)
    assert PHONE not in again and MASKED in again


def test_a_reveal_does_not_carry_over_to_another_case(reported, client, login):
    case, _unit = reported
    other = make_case(reporter_phone="13900001111")
    login(make_user(Role.DISPATCHER))
    client.post(f"/console/cases/{case.number}/reveal-phone")
    assert "13900001111" not in client.get(f"/console/cases/{other.number}").get_data(as_text=True)
    assert PHONE not in client.get(f"/console/cases/{case.number}").get_data(as_text=True)


def test_the_query_code_is_shown_only_to_the_desks_that_take_calls(reported, client, login):
    case, unit = reported
    login(make_user(Role.HANDLER, unit=unit))
    html = client.get(f"/console/cases/{case.number}").get_data(as_text=True)
    assert case.query_code not in html and 'id="query-code"' not in html
    client.post("/logout")
    login(make_user(Role.OPERATOR))
    assert case.query_code in client.get(f"/console/cases/{case.number}").get_data(as_text=True)


def test_an_anonymous_report_offers_nothing_to_reveal(app, client, login):
    client.set_cookie("lang", "en")
    case = make_case(anonymous=True, reporter_phone=PHONE)
    login(make_user(Role.DISPATCHER))
    html = client.get(f"/console/cases/{case.number}").get_data(as_text=True)
    assert "Confidential" in html and "Show number" not in html
    client.post(f"/console/cases/{case.number}/reveal-phone")
    assert reveal_count() == 0
