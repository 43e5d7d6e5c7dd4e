"""Demo cases for the demo city: a month of reports in every state of the lifecycle, made through the services."""
import random
from datetime import timedelta

from complaints import handling, reopening, services
from complaints.models import Case, CaseState, Channel
from portal.auth.models import Role, User
from portal.clock import utcnow
from portal.extensions import db
from portal.registry.models import Category, Point
from portal.registry.services import suggest_unit

DESCRIPTIONS = {
    "SR": ["路边垃圾桶满了好几天没人清运，气味很大", "小区门口堆了一堆建筑垃圾", "绿化带里有很多塑料袋和烟头"],
    "GG": ["电线杆上贴满了小广告", "墙面被乱涂乱画，很影响市容"],
    "JM": ["人行道上有人摆摊卖水果，行人只能走机动车道", "店铺把货物摆到门外占了人行道", "晚上有露天烧烤，油烟很大"],
    "SZ": ["路面有个大坑，电动车经过很危险", "井盖松动，踩上去会响", "这一段路灯晚上不亮", "下雨后这里积水很深"],
    "YL": ["绿化带被车压坏了", "行道树枯死了一棵"],
    "HJ": ["工地晚上十点以后还在施工，噪音很大", "有人在空地焚烧垃圾"],
    "SC": ["菜市场地面很脏，污水横流"],
    "WY": ["楼道里堆满了杂物，消防通道被堵", "物业长期不处理小区垃圾"],
    "WM": ["有人遛狗不牵绳，还不清理粪便"],
}
# state reached, weight
PLAN = [("received", 8), ("filed", 6), ("rejected", 3), ("dispatched", 12), ("in_progress", 14), ("handled", 8),
        ("closed", 40), ("rework", 4), ("reopened", 3)]
CHANNELS = [(Channel.QR, 40), (Channel.HOTLINE, 25), (Channel.WEB, 10), (Channel.PATROL, 15), (Channel.LETTER, 3),
            (Channel.BOX, 2), (Channel.MEDIA, 3), (Channel.SUPERIOR, 2)]


def _pick(rng, weighted):
    return rng.choices([v for v, _w in weighted], weights=[w for _v, w in weighted])[0]


def seed_demo_cases(count=100, seed=20261122, now=None):
    """Create ``count`` cases spread over the last 30 days, once (nothing happens if any case exists)."""
    if db.session.execute(db.select(Case.id).limit(1)).first() is not None:
        return 0
    rng = random.Random(seed)
    now = now or utcnow()
    users = {u.username: u for u in db.session.execute(db.select(User)).scalars()}
    dispatcher, operator, inspector = users.get("dispatcher"), users.get("operator"), users.get("inspector")
    points = db.session.execute(db.select(Point).where(Point.active.is_(True)).order_by(Point.code)).scalars().all()
    categories = db.session.execute(
        db.select(Category).where(Category.parent_id.is_not(None), Category.active.is_(True)).order_by(Category.code)
    ).scalars().all()
    if not (dispatcher and points and categories):
        return 0
    handlers = {}
    for user in users.values():
        if user.role == Role.HANDLER and user.unit_id:
            handlers[user.unit_id] = user
    created = 0
    for index in range(count):
        category = rng.choice(categories)
        point = rng.choice(points)
        channel = _pick(rng, CHANNELS)
        reported = now - timedelta(days=rng.uniform(0.2, 30))
        actor = {Channel.HOTLINE: operator, Channel.PATROL: inspector}.get(channel, dispatcher) \
            if channel not in (Channel.QR, Channel.WEB) else None
        texts = DESCRIPTIONS.get(category.parent.code, ["这里有问题，请尽快处理"])
        phone = None if rng.random() < 0.3 else f"13{rng.randint(0, 9)}{rng.randint(10**7, 10**8 - 1)}"
        case, _new = services.submit_report(
            category=category, description=rng.choice(texts), channel=channel, point=point, actor=actor,
            urgent=category.allows_urgent and rng.random() < 0.1, anonymous=phone is None, reporter_phone=phone,
            idempotency_key=f"demo-{seed}-{index}", now=reported)
        _walk(case, _pick(rng, PLAN), rng, dispatcher, handlers, reported, now)
        created += 1
    db.session.flush()
    return created


def _walk(case, target, rng, dispatcher, handlers, reported, now):
    """Drive a demo case to ``target`` and give its events believable past times."""
    if case.state == CaseState.RECEIVED and target != "received":
        handling.file_case(case, dispatcher)
    if target == "rejected":
        handling.reject_case(case, dispatcher, "经核实，该问题属于私人住宅内部事务，不属于本平台受理范围。")
    if target in ("received", "filed", "rejected"):
        return _retime(case, reported, now, rng)
    suggestion = suggest_unit(case.category, point=case.point, area=case.area)
    if suggestion is None:
        return _retime(case, reported, now, rng)
    dispatched = reported + timedelta(hours=rng.uniform(0.5, 6))
    handling.dispatch_case(case, suggestion.unit, dispatcher, now=min(dispatched, now))
    handler = handlers.get(case.unit_id) or dispatcher
    if target != "dispatched":
        handling.accept_case(case, handler if handler.role == Role.HANDLER else None)
    if target in ("handled", "closed", "rework", "reopened"):
        handling.handle_case(case, handler if handler.role == Role.HANDLER else None, "已安排人员到现场处理完毕。")
    if target == "rework":
        handling.verify_case(case, dispatcher, False, "现场核查仍未处理到位，请返工。")
    if target in ("closed", "reopened"):
        handling.verify_case(case, dispatcher, True, "经现场核查，问题已处理完毕。")
        if rng.random() < 0.7:
            rating = rng.choices([1, 2, 3], weights=[70, 20, 10])[0]
            services.rate_case(case, rating, ask_reopen=target == "reopened" and rating == 3)
    if target == "reopened" and case.reopen_requested:
        reopening.reopen_case(case, dispatcher, "群众不满意，重新派遣处理。")
    return _retime(case, reported, now, rng)


def _retime(case, reported, now, rng=None):
    """Events were made just now; give them believable times between the report and now, in order.

    Steps before dispatch fall between the report and the dispatch; the unit's steps after it, mostly within the
    handling limit (a few late ones), so the demo's 按期结案率 looks like a real city's.
    """
    rng = rng or random.Random(case.id)
    events = case.events
    cut = next((i for i, e in enumerate(events) if e.kind.value == "dispatch"), len(events))
    start, middle = reported, case.dispatched_at or now
    for position, event in enumerate(events[:cut]):
        event.at = start + (middle - start) * (position / max(cut, 1))
    if cut < len(events):
        limit = (case.due_at - case.dispatched_at) if case.due_at else timedelta(hours=8)
        end = min(now, case.dispatched_at + limit * rng.uniform(0.3, 1.25))
        rest = events[cut:]
        for position, event in enumerate(rest):
            event.at = middle + (end - middle) * (position / len(rest))
    # the times go to the round they belong to: a reopened case's finished round, or the case's own
    holder = case.rounds[-1] if case.rounds else case
    for event in events:
        if event.kind.value == "handle":
            holder.handled_at = event.at
        if event.kind.value == "close":
            holder.closed_at = event.at
        if event.kind.value == "rate":
            holder.rated_at = event.at
        if event.kind.value == "reopen" and case.rounds:
            holder.ended_at = event.at
    if holder.handled_at is not None and holder.dispatched_at is not None:
        holder.hours = (holder.handled_at - holder.dispatched_at).total_seconds() / 3600
        holder.work_hours = handling.handling_work_hours(holder.dispatched_at, holder.handled_at)
    case.created_at = reported
    return case
