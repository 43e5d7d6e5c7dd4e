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
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
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
