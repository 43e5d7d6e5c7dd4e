"""Signing in and out, passwords, sessions, and managing staff accounts."""
from portal.auth.models import AuditEntry, Role, User
from portal.extensions import db
from tests.factories import make_area, make_unit, make_user


def test_wrong_password_is_refused_with_a_message(client, app):
    user = make_user(Role.ADMIN)
    response = client.post("/login?lang=en", data={"username": user.username, "password": "nope"})
    assert response.status_code == 200
    assert "Wrong username or password" in response.get_data(as_text=True)
    assert client.get("/console/").status_code == 302


def test_passwords_are_stored_hashed(app):
    user = make_user(Role.ADMIN, password="s3cret-pass")
    assert "s3cret-pass" not in user.password_hash and user.check_password("s3cret-pass")


def test_outside_the_tests_passwords_are_hashed_with_scrypt(make_app):
    """The suite hashes with a cheap method (tests/conftest.py); a deployment keeps werkzeug's costly scrypt."""
    from portal.config import DEFAULTS

    app = make_app(PASSWORD_HASH_METHOD=DEFAULTS["PASSWORD_HASH_METHOD"])
    with app.app_context():
        user = User(username="x")
        user.set_password("s3cret-pass")
    assert user.password_hash.startswith("scrypt:32768:8:1$") and user.check_password("s3cret-pass")


def test_sign_in_returns_to_the_page_asked_for_but_never_off_site(client, app):
    user = make_user(Role.ADMIN)
    response = client.post("/login?next=/console/users/", data={"username": user.username, "password": "password123"})
    assert response.headers["Location"] == "/console/users/"
    client.post("/logout")
    response = client.post("/login?next=//evil.example/x", data={"username": user.username, "password": "password123"})
    assert response.headers["Location"] == "/console/"


def test_sign_out_ends_the_session(client, login, app):
    login(make_user(Role.LEADER))
    assert client.get("/console/").status_code == 200
    client.post("/logout")
    assert client.get("/console/").status_code == 302


def test_an_anonymous_visitors_session_is_not_rewritten_on_every_page(client, app):
    with client.session_transaction() as session:
        session["case_codes"] = {"20261122-0001": "12345678"}  # what a resident's report leaves in the session

    response = client.get("/board/")

    assert response.status_code == 200
    assert response.headers.getlist("Set-Cookie") == []  # no re-signed session, no remember-cookie deletion


def test_a_signed_in_session_replayed_from_another_browser_is_signed_out(client, login, app):
    login(make_user(Role.LEADER))
    assert client.get("/console/").status_code == 200

    stolen = client.get("/console/", headers={"User-Agent": "somebody else's browser"})

    assert stolen.status_code == 302 and "/login" in stolen.headers["Location"]
    assert client.get("/console/").status_code == 302  # the session was cleared


def test_changing_the_password_signs_out_other_sessions(app, login, client):
    user = make_user(Role.DISPATCHER)
    other = app.test_client()
    other.post("/login", data={"username": user.username, "password": "password123"})
    login(user)
    response = client.post("/console/account/password",
                           data={"current": "password123", "new": "new-password-1", "confirm": "new-password-1"})
    assert response.status_code == 302
    assert client.get("/console/").status_code == 200  # this session goes on
    assert other.get("/console/").status_code == 302  # the other one is signed out
    assert db.session.get(User, user.id).check_password("new-password-1")


def test_password_change_lists_every_problem(app, login, client):
    login(make_user(Role.DISPATCHER))
    response = client.post("/console/account/password", data={"current": "", "new": "short", "confirm": "other"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.count('class="invalid-feedback d-block"') >= 3


def test_sign_in_attempts_are_rate_limited(make_app):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    codes = [client.post("/login", data={"username": "x", "password": "y"}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


def test_sign_in_limits_are_shared_through_redis_across_workers(make_app, redis_url):
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    config = {"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "3 per minute", "RATELIMIT_STORAGE_URI": redis_url}
    first, second = make_app(**config), make_app(**config)  # two workers, one counter
    codes = [app.test_client().post("/login", data={"username": "x", "password": "y"}).status_code
             for app in (first, second, first, second)]
    assert codes == [200, 200, 200, 429]


def test_admin_creates_a_handler_who_must_belong_to_a_unit(app, login, client):
    login(make_user(Role.ADMIN))
    data = {"username": "wang.handler", "display_name": "王经办", "role": "handler", "password": "handler-pass-1",
            "active": "y"}
    response = client.post("/console/users/new", data=data)
    assert response.status_code == 200
    assert db.session.execute(db.select(User).filter_by(username="wang.handler")).first() is None
    unit = make_unit("市环卫处")
    response = client.post("/console/users/new", data=dict(data, unit_id=str(unit.id)))
    assert response.status_code == 302
    created = db.session.execute(db.select(User).filter_by(username="wang.handler")).scalar_one()
    assert created.unit_id == unit.id and created.check_password("handler-pass-1")
    assert db.session.execute(db.select(AuditEntry).filter_by(object_type="users", object_id=created.id)).first()


def test_inspectors_are_bound_to_areas(app, login, client):
    login(make_user(Role.ADMIN))
    grid = make_area("第1网格")
    data = {"username": "li.inspector", "display_name": "李网格员", "role": "inspector", "password": "inspect-pass-1",
            "active": "y"}
    assert client.post("/console/users/new", data=data).status_code == 200
    assert client.post("/console/users/new", data=dict(data, areas=[str(grid.id)])).status_code == 302
    created = db.session.execute(db.select(User).filter_by(username="li.inspector")).scalar_one()
    assert [a.id for a in created.areas] == [grid.id]


def test_an_admin_cannot_lock_themselves_out(app, login, client):
    admin = login(make_user(Role.ADMIN))
    client.post(f"/console/users/{admin.id}/active", data={"active": "0"})
    assert db.session.get(User, admin.id).active
    response = client.post(f"/console/users/{admin.id}/edit",
                           data={"username": admin.username, "display_name": "x", "role": "leader", "active": "y"})
    assert response.status_code == 200
    assert db.session.get(User, admin.id).role == Role.ADMIN


def test_usernames_are_unique(app, login, client):
    login(make_user(Role.ADMIN, username="boss"))
    response = client.post("/console/users/new", data={"username": "boss", "display_name": "x", "role": "leader",
                                                       "password": "long-enough-1", "active": "y"})
    assert response.status_code == 200
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 1
