"""The one outbound HTTP client: timeouts on every call, retries with backoff, one error when it gives up."""
import re
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
import requests
from requests.adapters import BaseAdapter

from portal.config import ROOT
from portal.http import HttpClient, OutboundError, get_client, retry_after_seconds


class FakeGateway(BaseAdapter):
    """A requests transport adapter that answers from a script: (status, headers, json) tuples or exceptions.

    Mounted on a client's session it stands in for any server, so no test opens a socket. When the script
    runs out, the last answer repeats.
    """

    def __init__(self, *script):
        super().__init__()
        self.script = list(script) or [(200, {}, {"errcode": 0})]
        self.calls = []

    def send(self, request, **kwargs):
        self.calls.append((request, kwargs))
        answer = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(answer, Exception):
            raise answer
        status, headers, body = answer
        response = requests.Response()
        response.status_code, response.url, response.request = status, request.url, request
        response.headers.update(headers)
        response._content = requests.compat.json.dumps(body).encode() if body is not None else b""
        return response

    def close(self):
        pass

    @property
    def bodies(self):
        return [requests.compat.json.loads(request.body) for request, _kwargs in self.calls]


def scripted_client(*script, **options):
    client = HttpClient(**options)
    client.slept = []
    client.sleep = client.slept.append  # record the waits instead of waiting
    gateway = FakeGateway(*script)
    client.session.mount("http://", gateway)
    client.session.mount("https://", gateway)
    return client, gateway


def test_connection_errors_and_server_errors_are_retried_with_exponential_backoff():
    client, gateway = scripted_client(requests.ConnectionError("refused"), (503, {}, None), (200, {}, {"ok": 1}),
                                      retries=3, backoff=0.5)
    response = client.post_json("http://sms.test/send", {"phone": "13800138000"})
    assert response.status_code == 200 and response.json() == {"ok": 1}
    assert len(gateway.calls) == 3
    assert client.slept == [0.5, 1.0]


def test_retry_after_is_honoured_up_to_the_cap():
    client, gateway = scripted_client((429, {"Retry-After": "2"}, None), (503, {"Retry-After": "600"}, None),
                                      (200, {}, {}), retries=3, max_retry_after=30)
    client.request("GET", "http://sms.test/")
    assert client.slept == [2.0, 30.0]


def test_retry_after_may_be_an_http_date():
    later = datetime.now(timezone.utc) + timedelta(seconds=90)
    assert 80 <= retry_after_seconds(format_datetime(later, usegmt=True)) <= 90
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_exhausted_retries_raise_one_outbound_error_with_a_short_reason():
    client, gateway = scripted_client((500, {}, {"error": "boom"}), retries=2, backoff=0.1)
    with pytest.raises(OutboundError) as caught:
        client.post_json("http://sms.test/send", {})
    assert caught.value.reason == "HTTP 500" and caught.value.status == 500 and caught.value.attempts == 3
    assert len(gateway.calls) == 3 and client.slept == [0.1, 0.2]


def test_timeouts_are_retried_then_reported_as_timeout():
    client, gateway = scripted_client(requests.ReadTimeout("slow"), retries=1)
    with pytest.raises(OutboundError, match="timeout"):
        client.request("GET", "http://sms.test/")
    assert len(gateway.calls) == 2


def test_client_errors_are_not_retried():
    client, gateway = scripted_client((400, {}, {"error": "bad phone"}), retries=3)
    with pytest.raises(OutboundError, match="HTTP 400"):
        client.post_json("http://sms.test/send", {})
    assert len(gateway.calls) == 1 and client.slept == []


def test_no_retries_means_one_try():
    client, gateway = scripted_client((502, {}, None), retries=3)
    with pytest.raises(OutboundError):
        client.request("GET", "http://sms.test/", retries=0)
    assert len(gateway.calls) == 1


def test_errors_and_logs_never_show_a_webhook_key(caplog):
    url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=SECRET-KEY"
    client, _gateway = scripted_client(requests.ConnectionError(f"Max retries exceeded with url: {url}"), retries=1)
    with pytest.raises(OutboundError) as caught:
        client.post_json(url, {})
    assert "SECRET" not in caught.value.reason and "SECRET" not in caplog.text
    assert "qyapi.weixin.qq.com/cgi-bin/webhook/send" in caplog.text


def test_every_request_carries_the_configured_connect_and_read_timeouts(make_app):
    app = make_app(OUTBOUND_CONNECT_TIMEOUT=1.5, OUTBOUND_READ_TIMEOUT=4, OUTBOUND_RETRIES=0)
    with app.app_context():
        client = get_client()
        gateway = FakeGateway((200, {}, {}))
        client.session.mount("http://", gateway)
        client.request("GET", "http://sms.test/")
        assert client is get_client() and client.retries == 0
    assert gateway.calls[0][1]["timeout"] == (1.5, 4.0)


def test_nothing_but_the_client_module_imports_requests():
    pattern = re.compile(r"^\s*(import requests|from requests\b)", re.MULTILINE)
    offenders = [str(path.relative_to(ROOT))
                 for package in ("portal", "complaints", "surveys", "oversight", "composition")
                 for path in (ROOT / package).rglob("*.py") if pattern.search(path.read_text(encoding="utf-8"))]
    assert offenders == ["portal/http.py"]
