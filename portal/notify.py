"""Outbound notifications: queue messages in the delivery log, then send them through the configured gateways.

``queue`` adds a pending ``Delivery`` in the caller's transaction (so a message exists only if the step that
caused it commits); ``deliver_pending`` sends what is due and records every outcome on the row, never raising.
Nothing is sent while a request waits: the scheduler sends the queue every few seconds, and
``flask --app wsgi deliver-notifications`` does the same from cron.

Several senders may run at once (the scheduler, cron, a staff member's "retry"): each row is claimed with a
conditional UPDATE (pending/failed → sending) before it is sent, so only one of them sends it, on SQLite too.
A sender that dies between the gateway's answer and its commit leaves its row "sending"; once the claim has
expired (``claim_timeout()``: the longest the outbound client can spend on one message, plus a margin) another
sender takes it again. Delivery is therefore at-least-once, and every message carries its delivery's own key
(``delivery-<id>``) as the ``Idempotency-Key`` header and as ``serial`` in the body (the external serial number
SMS gateways accept), so the gateway drops the repeat and the resident gets one message.
"""
import logging
from datetime import timedelta

import click
from flask import current_app, has_request_context, request
from flask.cli import with_appcontext

from portal.clock import utcnow
from portal.extensions import db
from portal.http import OutboundError, get_client
from portal.masking import mask_phone
from portal.notify_models import Delivery

log = logging.getLogger(__name__)

CHANNEL_URL_KEYS = {"sms": "NOTIFY_SMS_URL", "wechat": "NOTIFY_WECHAT_URL", "robot": "NOTIFY_ROBOT_URL"}
STATUSES = ("pending", "sending", "sent", "failed")
ROBOT = "robot"  # the recipient of group-robot messages: the unit's group, not a person
CLAIM_MARGIN = timedelta(seconds=30)


def claim_timeout():
    """How long a claimed row is left to its sender: after this the sender has died, and another may send it.

    The longest the outbound client can spend on one message, plus a margin. With the defaults: 4 tries of
    (3.05 s connect + 10 s read) = 52.2 s, waits of at most 30 s (Retry-After) between them, 3 × 30 = 90 s, so
    142.2 s + 30 s = 172.2 s, under three minutes (it was ten)."""
    config = current_app.config
    retries = int(config["OUTBOUND_RETRIES"])
    per_try = float(config["OUTBOUND_CONNECT_TIMEOUT"]) + float(config["OUTBOUND_READ_TIMEOUT"])
    waits = retries * max(float(config["OUTBOUND_RETRY_AFTER_MAX"]),
                          float(config["OUTBOUND_BACKOFF"]) * 2 ** max(retries - 1, 0))
    return timedelta(seconds=(retries + 1) * per_try + waits) + CLAIM_MARGIN


def idempotency_key(delivery):
    """The delivery's own key, the same on every attempt: the gateway sends one message per key."""
    return f"delivery-{delivery.id}"


# ---------------------------------------------------------------- which channel, and the message texts

def channel_url(channel):
    return current_app.config.get(CHANNEL_URL_KEYS.get(channel, ""), "") or ""


def person_channel():
    """How a resident with a phone is told: the SMS gateway, else the WeChat relay, else (development) the log."""
    for channel in ("sms", "wechat"):
        if channel_url(channel):
            return channel
    return "log"


def robot_configured():
    return bool(channel_url("robot"))


LOCAL_BASE_URL = "http://127.0.0.1:5000"  # where `make run` serves, for messages queued by CLI commands and jobs


def public_url(path):
    """An absolute URL on the public site: PUBLIC_BASE_URL, else the current request's host, else (a CLI command
    or a job without PUBLIC_BASE_URL) the local development server, with a warning: a message never carries a
    relative link a phone cannot open."""
    base = (current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    if not base and has_request_context():
        base = request.host_url.rstrip("/")
    if not base:
        log.warning("PUBLIC_BASE_URL is not set: links in messages point at %s", LOCAL_BASE_URL)
        base = LOCAL_BASE_URL
    return base + path


def is_phone(value):
    return bool(value) and all(c.isdigit() or c in "+- " for c in value)


def mask_recipient(value):
    """A phone number as 138****5678; other recipients (the group robot, an openid) as they are."""
    value = (value or "").strip()
    return mask_phone(value) if is_phone(value) else value


CLAUSE_END = "。．.！!？?；;，,、：: "


def shorten(text, limit=60):
    """A reason or an outcome as a clause for a message's own sentence: its closing punctuation dropped (the text
    adds its 。, so "不属于本市管辖。" does not become "。。"), long ones cut to keep within a few SMS segments."""
    text = " ".join((text or "").split()).rstrip(CLAUSE_END)
    return text if len(text) <= limit else text[: limit - 1].rstrip(CLAUSE_END) + "…"


# ---------------------------------------------------------------- queueing

def queue(*, channel, recipient, template, text, params=None, case_id=None, dedupe_key=None):
    """Add a pending delivery to the current transaction; None if ``dedupe_key`` was queued before."""
    session = db.session
    if dedupe_key:
        if any(isinstance(obj, Delivery) and obj.dedupe_key == dedupe_key for obj in session.new):
            return None
        with session.no_autoflush:
            exists = session.execute(db.select(Delivery.id).where(Delivery.dedupe_key == dedupe_key)).first()
        if exists:
            return None
    delivery = Delivery(channel=channel, recipient=recipient, template=template, status="pending", attempts=0,
                        payload={"text": text, "params": params or {}}, case_id=case_id, dedupe_key=dedupe_key)
    session.add(delivery)
    return delivery


# ---------------------------------------------------------------- sending

def _body(delivery):
    text, params = delivery.payload.get("text", ""), delivery.payload.get("params", {})
    serial = idempotency_key(delivery)
    if delivery.channel == "sms":
        return {"phone": delivery.recipient, "template": delivery.template, "params": params, "text": text,
                "serial": serial}
    if delivery.channel == "wechat":
        who = "phone" if is_phone(delivery.recipient) else "openid"
        return {who: delivery.recipient, "template": delivery.template, "data": dict(params, text=text),
                "serial": serial}
    return {"msgtype": "text", "text": {"content": text}}


def _send(delivery, retries=None):
    """Send one delivery; returns the channel actually used. Raises OutboundError on failure."""
    url = channel_url(delivery.channel)
    if delivery.channel == "log" or not url:
        log.info("notification (log) to %s [%s]: %s", mask_recipient(delivery.recipient), delivery.template,
                 delivery.payload.get("text", ""))
        return "log"
    headers = {"Idempotency-Key": idempotency_key(delivery)}
    token = current_app.config.get("NOTIFY_TOKEN")
    if token and delivery.channel != "robot":  # the robot webhook is a third party's: never hand it our token
        headers["Authorization"] = f"Bearer {token}"
    response = get_client().post_json(url, _body(delivery), headers=headers, retries=retries)
    _check_errcode(response)
    return delivery.channel


def _check_errcode(response):
    """企业微信 / 钉钉 robots (and many gateways) answer HTTP 200 with a non-zero ``errcode`` on failure."""
    try:
        body = response.json()
    except ValueError:
        return
    if isinstance(body, dict) and body.get("errcode") not in (None, 0, "0"):
        raise OutboundError(f"errcode {body.get('errcode')}: {str(body.get('errmsg', ''))[:200]}")


def _due_filter(now):
    """Rows a sender may claim: pending, failed with attempts left, or claimed by a sender that died."""
    max_attempts = current_app.config["NOTIFY_MAX_ATTEMPTS"]
    return db.or_(Delivery.status == "pending",
                  db.and_(Delivery.status == "failed", Delivery.attempts < max_attempts),
                  db.and_(Delivery.status == "sending", Delivery.sent_at < now - claim_timeout()))


def claim(delivery_id, now=None):
    """Take one delivery for sending with a conditional UPDATE; True if this caller got it (and committed that).

    While a row is "sending", ``sent_at`` holds when it was claimed; it becomes the sending time on success.
    """
    now = now or utcnow()
    table = Delivery.__table__
    result = db.session.execute(
        table.update().where(table.c.id == delivery_id, _due_filter(now))
        .values(status="sending", sent_at=now, attempts=table.c.attempts + 1)
        .execution_options(synchronize_session=False))
    db.session.commit()
    return result.rowcount == 1


def deliver_pending(limit=100, ids=None, retries=None):
    """Send pending deliveries and failed ones with attempts left, oldest first; never raises.

    Each row is claimed, sent and committed on its own: a row another sender claimed is skipped, and a crash can
    repeat at most the message in flight, with the same idempotency key (the gateway drops it). Call it where the
    session has nothing uncommitted. Returns counts.
    """
    counts = {"sent": 0, "failed": 0}
    try:
        query = db.select(Delivery.id).where(_due_filter(utcnow())).order_by(Delivery.id).limit(limit)
        if ids is not None:
            query = query.where(Delivery.id.in_(list(ids)))
        candidates = db.session.execute(query).scalars().all()
        db.session.rollback()  # end the read: each claim below is its own short write
    except Exception:  # noqa: BLE001 - a broken database must not break the caller either
        log.exception("could not list pending notifications")
        db.session.rollback()
        return counts
    for delivery_id in candidates:
        try:
            outcome = _deliver_one(delivery_id, retries)
        except Exception:  # noqa: BLE001
            log.exception("could not deliver notification %s", delivery_id)
            db.session.rollback()
            continue
        if outcome:
            counts[outcome] += 1
    return counts


def _deliver_one(delivery_id, retries):
    if not claim(delivery_id):  # sent meanwhile, or another sender has it
        return None
    delivery = db.session.get(Delivery, delivery_id, populate_existing=True)
    try:
        delivery.channel = _send(delivery, retries=retries)
    except OutboundError as exc:
        delivery.status, delivery.last_error, delivery.sent_at = "failed", exc.reason[:500], None
        log.warning("notification %s via %s failed: %s", delivery.id, delivery.channel, exc.reason)
    else:
        delivery.status, delivery.sent_at = "sent", utcnow()
    outcome = delivery.status
    db.session.commit()
    return outcome


def deliver_notifications_job(now=None, limit=500):
    """The scheduler's entry point: send what is due; returns the counts."""
    return deliver_pending(limit=limit)


def retry_failed(ids=None):
    """Put failed deliveries (all, or ``ids``) back in the queue, even those out of attempts; returns their ids."""
    query = db.select(Delivery).where(Delivery.status == "failed")
    if ids is not None:
        query = query.where(Delivery.id.in_(list(ids)))
    rows = db.session.execute(query).scalars().all()
    for delivery in rows:
        delivery.status = "pending"
    db.session.flush()
    return [d.id for d in rows]


def delivery_log(status=None):
    """The delivery log, newest first, for the console page."""
    query = db.select(Delivery).order_by(Delivery.created_at.desc(), Delivery.id.desc())
    if status in STATUSES:
        query = query.where(Delivery.status == status)
    return query


# ---------------------------------------------------------------- the command

@click.command("deliver-notifications")
@click.option("--limit", default=500, show_default=True, help="Most deliveries to send in this run.")
@with_appcontext
def deliver_notifications_command(limit):
    """Send pending notifications and retry failed ones (the scheduler does this too; or run it from cron)."""
    counts = deliver_pending(limit=limit)
    click.echo(f"sent {counts['sent']}, failed {counts['failed']}")


def init_app(app):
    app.cli.add_command(deliver_notifications_command)
