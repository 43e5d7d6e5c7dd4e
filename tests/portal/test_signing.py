"""Signed values are checked with serializers kept per process (portal/signing.py): a value signed with one secret
key is still refused under another, a rotated key (SECRET_KEY_FALLBACKS) still opens what it signed, and tampering
is refused, exactly as when every request built its own serializer."""
from types import SimpleNamespace

import pytest

from portal.auth.models import Role
from surveys import guards
from surveys.definition import SurveyError
from tests.factories import make_user


def _signed_in_cookie(app, user):
    client = app.test_client()
    response = client.post("/login", data={"username": user.username, "password": "password123"})
    assert response.status_code == 302
    return client.get_cookie("session").value


def _opens_console(app, cookie):
    client = app.test_client()
    client.set_cookie("session", cookie)
    return client.get("/console/").status_code == 200


def test_a_session_signed_with_another_secret_opens_nothing(make_app):
    first = make_app(SECRET_KEY="first-secret")
    with first.app_context():
        cookie = _signed_in_cookie(first, make_user(Role.DISPATCHER))
        assert _opens_console(first, cookie)
    other = make_app(SECRET_KEY="second-secret")
    with other.app_context():
        assert not _opens_console(other, cookie)
    with first.app_context():  # the first app's kept serializer is untouched by the second
        assert _opens_console(first, cookie)


def test_a_rotated_secret_still_opens_the_sessions_it_signed(make_app):
    old = make_app(SECRET_KEY="old-secret")
    with old.app_context():
        cookie = _signed_in_cookie(old, make_user(Role.LEADER))
    rotated = make_app(SECRET_KEY="new-secret", SECRET_KEY_FALLBACKS=["old-secret"])
    with rotated.app_context():
        assert _opens_console(rotated, cookie)


def test_a_tampered_session_cookie_opens_nothing(app):
    cookie = _signed_in_cookie(app, make_user(Role.ADMIN))
    payload, stamp, signature = cookie.rsplit(".", 2)
    # the first character: the last one of a base64 HMAC carries padding bits ("A" and "B" can decode the same)
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    assert _opens_console(app, cookie)
    assert not _opens_console(app, f"{payload}.{stamp}.{flipped}")


@pytest.mark.parametrize("reader_secret", ["another-secret", "SECRET"])
def test_a_form_token_or_device_cookie_from_another_secret_is_refused(reader_secret):
    survey = SimpleNamespace(id=7)
    token = guards.new_form_token("secret", survey)
    key, _started = guards.read_form_token("secret", survey, token)
    assert len(key) == 24  # 18 random bytes, URL-safe base64
    with pytest.raises(SurveyError) as refused:
        guards.read_form_token(reader_secret, survey, token)
    assert refused.value.code == "form_expired"
    assert guards.read_device_cookie(reader_secret, guards.new_device_cookie("secret")) is None


def test_a_form_token_of_another_survey_is_refused():
    token = guards.new_form_token("secret", SimpleNamespace(id=7))
    with pytest.raises(SurveyError):
        guards.read_form_token("secret", SimpleNamespace(id=8), token)


# ---------------------------------------------------------------- the CSRF token, through a kept serializer

def _csrf_token_of(client, path="/report?lang=en"):
    import re

    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def _report(client, token, category_id, area_id):
    import uuid

    return client.post("/report", data={"csrf_token": token, "idempotency_key": uuid.uuid4().hex,
                                        "category_id": str(category_id), "area_id": str(area_id),
                                        "description": "路灯不亮", "anonymous": "y"})


@pytest.fixture
def csrf_app(make_app):
    from portal.registry.models import AreaLevel
    from tests.factories import make_area, make_category

    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        category = make_category("路灯")
        area = make_area("第1网格", level=AreaLevel.GRID, parent=make_area("示范区"))
        from portal.extensions import db

        db.session.commit()
        return app, category.id, area.id


def test_the_form_token_files_a_report_and_a_wrong_one_is_refused(csrf_app):
    from complaints.models import Case
    from portal.extensions import db

    app, category, area = csrf_app
    client = app.test_client()
    token = _csrf_token_of(client)
    signed, signature = token.rsplit(".", 1)  # flip the signature's first character: its last one has padding bits
    flipped = f"{signed}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"

    assert _report(client, flipped, category, area).status_code == 400
    assert _report(client, "", category, area).status_code == 400
    assert _report(app.test_client(), token, category, area).status_code == 400  # another browser's session
    assert _report(client, token, category, area).status_code == 302
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Case.id))) == 1


def test_tokens_signed_by_flask_wtf_and_by_the_kept_serializer_are_the_same_tokens(csrf_app):
    from flask import g, session
    from flask_wtf import csrf as flask_wtf_csrf
    from wtforms import ValidationError

    from portal import signing

    app, _category, _area = csrf_app
    with app.test_request_context():
        library = flask_wtf_csrf.generate_csrf()
        delattr(g, "csrf_token")
        ours = signing.generate_csrf()
        for token in (library, ours):  # each accepted by both checks
            signing.validate_csrf(token)
            flask_wtf_csrf.validate_csrf(token)
        session["csrf_token"] = "another session's"
        for check in (signing.validate_csrf, flask_wtf_csrf.validate_csrf):
            with pytest.raises(ValidationError, match="The CSRF tokens do not match."):
                check(ours)
    other = signing.csrf_serializer("another-secret").dumps("x")
    with app.test_request_context(), pytest.raises(ValidationError, match="The CSRF token is invalid."):
        session["csrf_token"] = "x"
        signing.validate_csrf(other)


def test_a_csrf_token_expires_only_with_a_time_limit(csrf_app, monkeypatch):
    import time

    from flask import session
    from wtforms import ValidationError

    from portal import signing

    app, _category, _area = csrf_app
    with app.test_request_context():
        token = signing.generate_csrf()
        real = time.time()
        monkeypatch.setattr(time, "time", lambda: real + 3601)
        assert "csrf_token" in session
        signing.validate_csrf(token)  # WTF_CSRF_TIME_LIMIT is None: a form on a phone may stay open for long
        with pytest.raises(ValidationError, match="The CSRF token has expired."):
            signing.validate_csrf(token, time_limit=3600)
        signing.validate_csrf(token, time_limit=3602)


def test_flask_wtf_csrf_code_is_what_kept_csrf_protect_copies():
    """signing.KeptCSRFProtect.protect, validate_csrf and generate_csrf are Flask-WTF 1.3.0's with a kept serializer:
    when a new Flask-WTF changes them, read the new ones and copy again (then update these digests)."""
    import hashlib
    import inspect

    from flask_wtf import csrf

    digests = {name: hashlib.sha256(inspect.getsource(code).encode()).hexdigest()[:16] for name, code in (
        ("protect", csrf.CSRFProtect.protect), ("validate_csrf", csrf.validate_csrf),
        ("generate_csrf", csrf.generate_csrf), ("validate_csrf_token", csrf._FlaskFormCSRF.validate_csrf_token))}
    assert digests == {"protect": "60961f8ee3e9ef3f", "validate_csrf": "647c0372b8c77385",
                       "generate_csrf": "016213b9f24494e8", "validate_csrf_token": "c55a22b291d5332f"}


@pytest.mark.parametrize("salt", ["cookie-session", "survey-form", "wtf-csrf-token"])
def test_the_kept_signers_sign_as_the_libraries_do_with_openssls_hmac(app, salt, monkeypatch):
    """The kept serializers sign with OpenSSL's HMAC-SHA1 in one call (the libraries' default SHA-1 is a Python
    function, which sends hmac to its pure-Python path): the very same signatures, both ways."""
    import hashlib

    from flask.sessions import SecureCookieSessionInterface
    from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer
    from itsdangerous import timed as itsdangerous_timed

    from portal import signing
    from portal.extensions import SessionInterface

    monkeypatch.setattr(itsdangerous_timed.time, "time", lambda: 1_760_000_000)  # one timestamp for both
    library = SecureCookieSessionInterface()
    kwargs = {"key_derivation": library.key_derivation, "digest_method": library.digest_method}
    theirs = URLSafeTimedSerializer("secret", salt=salt, signer_kwargs=kwargs)
    ours = signing.timed_serializer(("secret",), salt, None, library.key_derivation, library.digest_method)
    assert type(ours.make_signer().algorithm) is signing._SHA1
    value = {"csrf_token": "0123456789abcdef", "answers": ["满意", 3]}
    assert ours.dumps(value) == theirs.dumps(value)
    assert ours.loads(theirs.dumps(value)) == value == theirs.loads(ours.dumps(value))
    head, signature = ours.dumps(value).rsplit(".", 1)
    flipped = f"{head}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"  # the first: no padding bits there
    with pytest.raises(BadSignature):
        ours.loads(flipped)
    assert signing.serializer("secret", salt).dumps(7) == \
        URLSafeSerializer("secret", salt=salt).dumps(7)  # the untimed one: itsdangerous's own default digest
    session_serializer = SessionInterface().get_signing_serializer(app)
    assert type(session_serializer.make_signer().algorithm) is signing._SHA1
    sha256 = signing.timed_serializer(("secret",), salt, None, None, hashlib.sha256)  # another digest: as it is
    assert type(sha256.make_signer().algorithm) is not signing._SHA1
    assert sha256.dumps(value) == URLSafeTimedSerializer(
        "secret", salt=salt, signer_kwargs={"digest_method": hashlib.sha256}).dumps(value)
