"""In a real browser: the API documentation page renders the OpenAPI description with the vendored Swagger UI under
the Content-Security-Policy, without a single violation and without fetching anything from elsewhere."""
from tests.browser.test_weight_and_csp import WATCH_CSP


def test_the_api_docs_render_the_description_under_the_csp(live_server, desktop):
    desktop.add_init_script(WATCH_CSP)
    page = desktop.new_page()
    messages, hosts = [], set()
    page.on("console", lambda message: messages.append(message.text))
    page.on("request", lambda request: hosts.add(request.url.split("/")[2]))
    page.goto(live_server.url + "/api/docs?lang=en", wait_until="load")
    page.get_by_text("/open311/v2/requests.{format}").first.wait_for(timeout=15000)
    page.get_by_text("/open311/v2/services.{format}").first.click()  # an operation opens
    page.wait_for_timeout(500)
    assert page.evaluate("window.__csp") == []
    assert [m for m in messages if "Content Security Policy" in m] == []
    assert hosts == {live_server.url.split("/")[2]}
