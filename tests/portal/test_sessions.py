"""Sessions end on the server: a cookie copied before signing out opens nothing afterwards; ``next=`` with line
breaks or other control characters is never followed (and never a 500)."""
import pytest

from portal.auth.models import Role
from tests.factories import make_user


def test_a_cookie_saved_before_sign_out_no_longer_opens_the_console(app, client, login):
    login(make_user(Role.DISPATCHER))
    saved = client.get_cookie("session").value  # what an attacker (or a shared computer) kept
    assert client.get("/console/").status_code == 200

    client.post("/logout")
    thief = app.test_client()
    thief.set_cookie("session", saved)

    response = thief.get("/console/")
    assert response.status_code == 302 and response.location.startswith("/login")


def test_signing_in_again_after_sign_out_works(app, client, login):
    user = make_user(Role.LEADER, display_name="周局长")
    login(user)
    client.post("/logout")
    assert client.get("/console/").status_code == 302  # signed out indeed

    login(user)

    page = client.get("/console/")
    assert page.status_code == 200 and "周局长" in page.get_data(as_text=True)  # the console greets them again


@pytest.mark.parametrize("target", ["/console/%0d%0aSet-Cookie:%20x=1", "/console/\r\nX-Evil: 1", "/\\evil.example",
                                    "/console/\t", "/%0a/evil.example"])
def test_next_with_control_characters_or_a_backslash_goes_to_the_dashboard(client, app, target):
    user = make_user(Role.ADMIN)

    response = client.post("/login", query_string={"next": target},
                           data={"username": user.username, "password": "password123"})

    assert response.status_code == 302 and response.headers["Location"] == "/console/"
    assert "X-Evil" not in response.headers and "Set-Cookie: x" not in str(response.headers)
