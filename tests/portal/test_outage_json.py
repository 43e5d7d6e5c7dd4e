"""Found by the load test's PostgreSQL restart (make loadtest-faults FAULT=pg-restart): the exposure board's JSON API
lives under /board/api/, and during an outage it answered the HTML 503 page to API clients."""
import pytest

from tests.portal.test_outage import Outage


@pytest.fixture
def outage(served):
    outage = Outage(served)
    yield outage
    outage.remove()


@pytest.mark.parametrize("url", ["/board/api/items", "/board/api/items/1"])
def test_the_board_api_answers_a_json_503_during_an_outage(served, outage, url):
    client = served.test_client()
    outage.begin()

    response = client.get(url, headers={"Accept": "*/*"})  # what curl and most API clients send

    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.get_json()["error"] == 503


def test_an_unknown_board_api_path_answers_json(served):
    response = served.test_client().get("/board/api/nosuch", headers={"Accept": "*/*"})

    assert response.status_code == 404
    assert response.get_json()["error"] == 404


def test_pages_still_answer_html_503(served, outage):
    client = served.test_client()
    client.set_cookie("lang", "en")
    outage.begin()

    response = client.get("/board/", headers={"Accept": "*/*"})

    assert response.status_code == 503 and response.headers["Content-Type"].startswith("text/html")
    assert 'lang="en"' in response.get_data(as_text=True)
