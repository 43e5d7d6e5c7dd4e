"""Sending notifications: the log channel in development, gateways that fail, retries, and never twice."""
import logging

import pytest

from complaints import handling
from complaints.models import Case, CaseState
from portal import notify
from portal.auth.models import Role
from portal.extensions import db
from portal.http import get_client
from portal.notify_models import Delivery
from tests.factories import make_case, make_user
from tests.portal.test_http import FakeGateway

REPORTER = "13800138000"
SMS_URL = "http://sms.test/send"
ROBOT_URL = "http://robot.test/cgi-bin/webhook/send?key=robot-key"


@pytest.fixture
def gateway_app(make_app):
    """An app whose SMS gateway and group robot are a scripted fake; the gateway answers 200 until told."""
    app = make_app(NOTIFY_SMS_URL=SMS_URL, NOTIFY_ROBOT_URL=ROBOT_URL, NOTIFY_TOKEN="gateway-token",
                   NOTIFY_MAX_ATTEMPTS=2, OUTBOUND_RETRIES=1)
    with app.app_context():
        gateway = FakeGateway((200, {}, {"errcode": 0, "errmsg": "ok"}))
        client = get_client()
        client.sleep = lambda _seconds: None
        client.session.mount("http://", gateway)
        app.gateway = gateway
        yield app


def sign_in(client, role):
    user = make_user(role)
    response = client.post("/login", data={"username": user.username, "password": "password123"})
    assert response.status_code == 302
    return user


def filed_case():
    """A reported case filed by a dispatcher: one pending message for the reporter."""
    case = make_case(reporter_phone=REPORTER)
    handling.file_case(case, make_user(Role.DISPATCHER))
    db.session.commit()
    return case


def only_delivery():
    db.session.expire_all()
    [delivery] = db.session.execute(db.select(Delivery)).scalars().all()
    return delivery


def test_in_development_messages_go_to_the_log_marked_sent_and_listed_masked(app, client, caplog):
    caplog.set_level(logging.INFO, logger="portal.notify")
    case = filed_case()
    assert notify.deliver_pending() == {"sent": 1, "failed": 0}
    delivery = only_delivery()
    assert (delivery.channel, delivery.status, delivery.attempts) == ("log", "sent", 1)
    assert delivery.sent_at is not None
    assert "138****8000" in caplog.text and case.number in caplog.text and REPORTER not in caplog.text

    sign_in(client, Role.ADMIN)
    page = client.get("/console/ledger/notifications?lang=en").get_data(as_text=True)
    assert "138****8000" in page and REPORTER not in page
    assert case.number in page and "case_file" in page and "Sent" in page


def test_a_request_never_waits_on_the_gateway_the_scheduler_sends_afterwards(gateway_app):
    gateway = gateway_app.gateway
    gateway.script = [(500, {}, {"error": "gateway down"})]
    dispatcher = make_user(Role.DISPATCHER)
    case = make_case(reporter_phone=REPORTER)

    @gateway_app.post("/_test/file/<int:case_id>")
    def file_view(case_id):  # a step as the console does it: one service, one commit
        handling.file_case(db.session.get(Case, case_id), dispatcher)
        db.session.commit()
        return "filed"

    response = gateway_app.test_client().post(f"/_test/file/{case.id}")
    assert response.status_code == 200 and response.get_data(as_text=True) == "filed"
    db.session.expire_all()
    assert db.session.get(Case, case.id).state == CaseState.FILED
    assert gateway.calls == []  # nothing was sent while the request waited
    assert (only_delivery().status, only_delivery().attempts) == ("pending", 0)

    assert notify.deliver_notifications_job() == {"sent": 0, "failed": 1}  # the scheduler's job
    delivery = only_delivery()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("failed", 1, "HTTP 500")
    gateway.script = [(200, {}, {"errcode": 0})]
    assert notify.deliver_pending() == {"sent": 1, "failed": 0}
    delivery = only_delivery()
    assert (delivery.status, delivery.attempts, delivery.channel) == ("sent", 2, "sms")
    request, kwargs = gateway.calls[-1]
    assert gateway.bodies[-1] == {"phone": REPORTER, "template": "case_file", "params": delivery.payload["params"],
                                  "text": delivery.payload["text"], "serial": f"delivery-{delivery.id}"}
    assert request.headers["Authorization"] == "Bearer gateway-token"
    assert request.headers["Idempotency-Key"] == f"delivery-{delivery.id}"
    assert kwargs["timeout"] == (3.05, 10.0)


def test_a_delivery_is_claimed_by_one_sender_only(app):
    delivery = notify.queue(channel="log", recipient=REPORTER, template="t", text="hello", dedupe_key="claim:1")
    db.session.commit()
    assert notify.claim(delivery.id) is True
    assert notify.claim(delivery.id) is False  # a second sender finds it taken
    assert notify.deliver_pending() == {"sent": 0, "failed": 0}
    assert (only_delivery().status, only_delivery().attempts) == ("sending", 1)


def test_a_claim_left_by_a_dead_sender_is_taken_again_after_the_timeout(app):
    from datetime import timedelta

    from portal.clock import utcnow

    delivery = notify.queue(channel="log", recipient=REPORTER, template="t", text="hello", dedupe_key="claim:2")
    db.session.commit()
    claimed_at = utcnow() - notify.claim_timeout() - timedelta(seconds=1)
    assert notify.claim(delivery.id, now=claimed_at)
    assert notify.deliver_pending() == {"sent": 1, "failed": 0}
    assert (only_delivery().status, only_delivery().attempts) == ("sent", 2)


def test_concurrent_senders_send_each_message_once(gateway_app):
    import threading

    for index in range(6):
        notify.queue(channel="sms", recipient=f"1380000000{index}", template="t", text="hello",
                     dedupe_key=f"many:{index}")
    db.session.commit()
    release = threading.Event()
    gateway = gateway_app.gateway
    original = gateway.send

    def slow_send(request, **kwargs):  # every sender is held inside the gateway until all have started
        release.wait(5)
        return original(request, **kwargs)

    gateway.send = slow_send
    results = []

    def sender():
        with gateway_app.app_context():
            results.append(notify.deliver_pending())

    threads = [threading.Thread(target=sender) for _ in range(3)]
    for thread in threads:
        thread.start()
    release.set()
    for thread in threads:
        thread.join()
    assert sum(r["sent"] for r in results) == 6
    assert sorted(body["phone"] for body in gateway.bodies) == [f"1380000000{i}" for i in range(6)]
    db.session.expire_all()
    assert {d.status for d in db.session.execute(db.select(Delivery)).scalars()} == {"sent"}


def test_the_command_retries_failed_deliveries(gateway_app):
    filed_case()
    gateway_app.gateway.script = [(503, {}, None)]
    notify.deliver_pending(retries=0)
    gateway_app.gateway.script = [(502, {}, None), (200, {}, {"errcode": 0})]
    result = gateway_app.test_cli_runner().invoke(args=["deliver-notifications"])
    assert result.exit_code == 0 and "sent 1, failed 0" in result.output
    assert only_delivery().status == "sent" and only_delivery().attempts == 2


def test_running_delivery_twice_sends_once(gateway_app):
    filed_case()
    assert notify.deliver_pending() == {"sent": 1, "failed": 0}
    assert notify.deliver_pending() == {"sent": 0, "failed": 0}
    assert len(gateway_app.gateway.calls) == 1


def test_queueing_the_same_message_twice_keeps_one(app):
    first = notify.queue(channel="log", recipient=REPORTER, template="t", text="hello", dedupe_key="k:1")
    assert notify.queue(channel="log", recipient=REPORTER, template="t", text="hello", dedupe_key="k:1") is None
    db.session.commit()
    assert notify.queue(channel="log", recipient=REPORTER, template="t", text="hello", dedupe_key="k:1") is None
    assert first.id and notify.deliver_pending() == {"sent": 1, "failed": 0}


def test_out_of_attempts_waits_for_a_person_then_retry_sends_it(gateway_app):
    filed_case()
    gateway_app.gateway.script = [(500, {}, None)]
    for _run in range(3):
        notify.deliver_pending()
    delivery = only_delivery()
    assert (delivery.status, delivery.attempts) == ("failed", 2)  # NOTIFY_MAX_ATTEMPTS=2: the third run skips it
    assert len(gateway_app.gateway.calls) == 4  # two runs, each a try and a retry

    gateway_app.gateway.script = [(200, {}, {"errcode": 0})]
    client = gateway_app.test_client()
    sign_in(client, Role.DISPATCHER)
    response = client.post("/console/ledger/notifications/retry?lang=en", data={"status": "failed"},
                           follow_redirects=True)
    assert response.status_code == 200 and "1 failed messages queued again: 1 sent" in response.get_data(True)
    assert (only_delivery().status, only_delivery().attempts) == ("sent", 3)


def test_a_robot_errcode_is_a_failure_and_the_robot_never_gets_our_token(gateway_app):
    notify.queue(channel="robot", recipient=notify.ROBOT, template="unit_dispatch", text="新派遣工单", dedupe_key="r")
    db.session.commit()
    gateway_app.gateway.script = [(200, {}, {"errcode": 93000, "errmsg": "invalid webhook url"})]
    assert notify.deliver_pending() == {"sent": 0, "failed": 1}
    delivery = only_delivery()
    assert delivery.last_error.startswith("errcode 93000") and "robot-key" not in delivery.last_error
    request, _kwargs = gateway_app.gateway.calls[0]
    assert request.url == ROBOT_URL and "Authorization" not in request.headers
    assert gateway_app.gateway.bodies[0] == {"msgtype": "text", "text": {"content": "新派遣工单"}}


def test_the_delivery_log_filters_by_status(app, client):
    for status, phone in (("sent", "13800000001"), ("failed", "13800000002"), ("pending", "13800000003")):
        db.session.add(Delivery(channel="sms", recipient=phone, template="case_file", payload={"text": status},
                                status=status, attempts=1, last_error="HTTP 500" if status == "failed" else None))
    db.session.commit()
    sign_in(client, Role.DISPATCHER)
    page = client.get("/console/ledger/notifications?status=failed&lang=en").get_data(as_text=True)
    assert "138****0002" in page and "HTTP 500" in page
    assert "138****0001" not in page and "138****0003" not in page


def test_only_dispatchers_and_admins_see_the_delivery_log(app, client):
    sign_in(client, Role.OPERATOR)
    assert client.get("/console/ledger/notifications").status_code == 403
    assert client.post("/console/ledger/notifications/retry").status_code == 403


def test_phones_are_masked_and_the_robot_is_named():
    assert notify.mask_recipient("13800138000") == "138****8000"
    assert notify.mask_recipient("robot") == "robot" and notify.mask_recipient(None) == ""


def test_gateways_and_timeouts_come_from_the_environment(tmp_path):
    from portal.config import config_from_env

    config = config_from_env(tmp_path, environ={"NOTIFY_SMS_URL": SMS_URL, "NOTIFY_ROBOT_URL": ROBOT_URL,
                                                "NOTIFY_TOKEN": "t", "NOTIFY_MAX_ATTEMPTS": "7",
                                                "OUTBOUND_READ_TIMEOUT": "2.5", "OUTBOUND_RETRIES": "1"})
    assert (config["NOTIFY_SMS_URL"], config["NOTIFY_ROBOT_URL"], config["NOTIFY_TOKEN"]) == (SMS_URL, ROBOT_URL, "t")
    assert config["NOTIFY_MAX_ATTEMPTS"] == 7 and config["OUTBOUND_READ_TIMEOUT"] == 2.5
    assert config["OUTBOUND_RETRIES"] == 1


def test_without_an_sms_gateway_residents_are_told_through_the_wechat_relay(make_app):
    app = make_app(NOTIFY_WECHAT_URL="http://wechat.test/template", OUTBOUND_RETRIES=0)
    with app.app_context():
        gateway = FakeGateway((200, {}, {"errcode": 0}))
        get_client().session.mount("http://", gateway)
        case = filed_case()
        assert notify.deliver_pending() == {"sent": 1, "failed": 0}
        delivery = only_delivery()
        assert delivery.channel == "wechat" and gateway.calls[0][0].url == "http://wechat.test/template"
        body = gateway.bodies[0]
        assert body["phone"] == REPORTER and body["template"] == "case_file"
        assert body["data"]["number"] == case.number and case.number in body["data"]["text"]


def test_a_message_resent_after_a_sender_died_carries_the_same_key_for_the_gateway(gateway_app):
    from datetime import timedelta

    from portal.clock import utcnow

    gateway = gateway_app.gateway
    delivery = notify.queue(channel="sms", recipient=REPORTER, template="t", text="您的工单已办结", dedupe_key="died:1")
    db.session.commit()
    # A sender claimed it, the gateway sent the SMS, and the sender was killed before its commit.
    assert notify.claim(delivery.id, now=utcnow() - notify.claim_timeout() - timedelta(seconds=1))
    notify._send(db.session.get(Delivery, delivery.id))
    db.session.rollback()

    assert notify.deliver_pending() == {"sent": 1, "failed": 0}  # the claim expired: sent again

    keys = [request.headers["Idempotency-Key"] for request, _kwargs in gateway.calls]
    assert keys == [f"delivery-{delivery.id}"] * 2 and [b["serial"] for b in gateway.bodies] == keys


def test_a_dead_senders_claim_expires_within_three_minutes(gateway_app):
    # gateway_app: OUTBOUND_RETRIES=1, so 2 tries of (3.05 + 10) s = 26.1 s, one wait of at most 30 s,
    # plus the 30 s margin: 86.1 s
    assert notify.claim_timeout().total_seconds() == pytest.approx(86.1)
    with gateway_app.test_request_context():
        gateway_app.config.update(OUTBOUND_RETRIES=3)
        # the defaults: 4 × 13.05 + 3 × 30 + 30 = 172.2 s (it was 600 s)
        assert notify.claim_timeout().total_seconds() == pytest.approx(172.2)
