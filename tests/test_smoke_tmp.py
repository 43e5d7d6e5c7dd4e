from tests.factories import make_user, make_point
from portal.auth.models import Role

def test_boot(client, app, login):
    assert client.get("/").status_code == 200
    assert client.get("/login").status_code == 200
    u = make_user(Role.ADMIN)
    make_point()
    login(u)
    for url in ["/console/", "/console/areas/", "/console/units/", "/console/points/", "/console/categories/", "/console/rules/", "/console/users/", "/console/settings", "/console/audit", "/console/areas/new", "/console/users/new"]:
        r = client.get(url)
        assert r.status_code == 200, (url, r.get_data(as_text=True)[-3000:])
