"""The load client: asyncio + httpx phones that fetch a form and post it (CSRF on, the form's own idempotency key or
signed form token), a fifth of them retrying the same submission, while readers load the board and tracking pages.
It records what the server acknowledged, every status, and the latencies; the database is checked afterwards."""
import asyncio
import math
import random
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
IDEMPOTENCY_KEY = re.compile(r'name="idempotency_key"[^>]*value="([^"]+)"')
FORM_TOKEN = re.compile(r'name="form" value="([^"]+)"')
RETRY_MODES = ("after", "concurrent", "timeout")  # the same submission sent again: after the answer, at the same
# time, after the client gave up waiting
RETRY_EVERY = 5  # a fifth of the submissions is retried
TIMEOUT = 60.0  # seconds a phone waits for an answer (longer than any answer of a healthy server)
GAVE_UP_AFTER = 0.02  # seconds before the "timeout" retry mode gives up on its first try
UNAVAILABLE_TRIES = 40  # a phone that gets a 503 (or no connection) tries again, up to this many times, a second apart
JSON_PATHS = ("/board/api/items", "/report/points.json")


@dataclass
class Plan:
    base: str
    reports: int
    responses: int
    clients: int
    readers: int
    category_id: int
    area_ids: list
    survey_slug: str
    survey_area_keys: list


@dataclass
class Stats:
    report_acks: list = field(default_factory=list)  # (idempotency key, case number)
    response_acks: list = field(default_factory=list)  # (form token, receipt)
    statuses: Counter = field(default_factory=Counter)
    latencies_ms: list = field(default_factory=list)  # submissions (POSTs that got an answer)
    read_latencies_ms: list = field(default_factory=list)
    retries: int = 0  # submissions sent again on purpose (idempotency)
    resent_after_503: int = 0
    reads: int = 0
    transport_errors: int = 0
    unexpected: Counter = field(default_factory=Counter)  # (what, status) the client did not expect
    unavailable: int = 0  # 503 answers
    unavailable_bad: int = 0  # 503 without Retry-After, or not in the user's language (HTML) / not JSON (APIs)
    unavailable_bad_paths: Counter = field(default_factory=Counter)
    errors_5xx: int = 0  # 5xx other than 503
    tracking: list = field(default_factory=list)  # (case number, session cookie) for the readers
    seconds: float = 0.0
    log: list = field(default_factory=list)  # (time, status) of every answer, for the fault scripts

    def record(self, response, started, reading=False):
        elapsed = (time.monotonic() - started) * 1000
        self.statuses[response.status_code] += 1
        self.log.append((time.monotonic(), response.status_code))
        (self.read_latencies_ms if reading else self.latencies_ms).append(elapsed)
        if response.status_code == 503:
            self.unavailable += 1
            if not _good_unavailable(response):
                self.unavailable_bad += 1
                self.unavailable_bad_paths[response.request.url.path] += 1
        elif response.status_code >= 500:
            self.errors_5xx += 1


def _good_unavailable(response):
    """A 503 a phone can act on: Retry-After, and the reader's language (HTML) or JSON for the JSON APIs."""
    if not response.headers.get("Retry-After"):
        return False
    if response.request.url.path in JSON_PATHS:
        return response.headers.get("Content-Type", "").startswith("application/json")
    return 'lang="en"' in response.text and "temporarily unavailable" in response.text


def percentile(values, share):
    """Nearest-rank percentile (an observed value); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


class Phone:
    """One resident's browser: its own cookies (session, language), one request at a time except on purpose."""

    def __init__(self, plan, stats):
        self.plan, self.stats = plan, stats
        self.http = httpx.AsyncClient(base_url=plan.base, timeout=TIMEOUT, follow_redirects=False,
                                      headers={"Accept-Language": "en", "User-Agent": "Mozilla/5.0 MicroMessenger"})

    async def get(self, path):
        for _try in range(UNAVAILABLE_TRIES):
            started = time.monotonic()
            try:
                response = await self.http.get(path)
            except httpx.TransportError:
                self.stats.transport_errors += 1
                await asyncio.sleep(1)
                continue
            self.stats.record(response, started, reading=True)
            if response.status_code != 503:
                return response
            await asyncio.sleep(1)
        return None

    async def post(self, path, data, timeout=None):
        """POST until the server answers something other than 503 (a resident pressing "send" again); None when it
        never did. ``timeout``: give up after that many seconds once (raises httpx.TimeoutException)."""
        if timeout is not None:
            return await self.http.post(path, data=data, timeout=timeout)
        for attempt in range(UNAVAILABLE_TRIES):
            if attempt:
                self.stats.resent_after_503 += 1
            started = time.monotonic()
            try:
                response = await self.http.post(path, data=data)
            except httpx.TransportError:
                self.stats.transport_errors += 1
                await asyncio.sleep(1)
                continue
            self.stats.record(response, started)
            if response.status_code != 503:
                return response
            await asyncio.sleep(1)
        return None

    async def submit(self, path, data, index):
        """Send one submission, retried as the index says; the answers that came back."""
        if index % RETRY_EVERY:
            return [await self.post(path, data)]
        self.stats.retries += 1
        mode = RETRY_MODES[(index // RETRY_EVERY) % len(RETRY_MODES)]
        if mode == "concurrent":
            return list(await asyncio.gather(self.post(path, data), self.post(path, data)))
        if mode == "timeout":
            try:
                await self.post(path, data, timeout=GAVE_UP_AFTER)
            except httpx.TransportError:  # gave up waiting (or never got through): press again
                pass
            return [await self.post(path, data)]
        return [await self.post(path, data), await self.post(path, data)]

    async def report(self, index):
        page = await self.get("/report?lang=en")
        if page is None or page.status_code != 200:
            self.stats.unexpected[("report form", page and page.status_code)] += 1
            return
        key = IDEMPOTENCY_KEY.search(page.text).group(1)
        data = {"csrf_token": CSRF.search(page.text).group(1), "idempotency_key": key,
                "category_id": str(self.plan.category_id),
                "area_id": str(self.plan.area_ids[index % len(self.plan.area_ids)]),
                "description": f"压测反映第{index}件：路边垃圾未清运", "anonymous": "y"}
        for response in await self.submit("/report", data, index):
            location = response.headers.get("Location", "") if response is not None else ""
            if response is not None and response.status_code == 302 and "/report/receipt/" in location:
                number = location.rsplit("/", 1)[1]
                self.stats.report_acks.append((key, number))
                self.stats.tracking.append((number, self.http.cookies.get("session")))
            else:
                self.stats.unexpected[("report", response and response.status_code)] += 1

    async def answer(self, index):
        rng = random.Random(index)
        area = self.plan.survey_area_keys[index % len(self.plan.survey_area_keys)]
        page = await self.get(f"/surveys/{self.plan.survey_slug}/a/{area}?lang=en")
        if page is None or page.status_code != 200:
            self.stats.unexpected[("survey form", page and page.status_code)] += 1
            return
        token = FORM_TOKEN.search(page.text).group(1)
        data = {"csrf_token": CSRF.search(page.text).group(1), "form": token, "area": area,
                "q-overall": str(rng.choice((1, 1, 2, 2, 3))), "q-age": rng.choice("abcd"),
                "q-comment": "公厕需要加强保洁" if index % 5 == 0 else ""}
        for n in range(8):
            data[f"q-aspects-i{n + 1}"] = str(rng.choice((1, 2, 2, 3)))
        for response in await self.submit(f"/surveys/{self.plan.survey_slug}", data, index):
            location = response.headers.get("Location", "") if response is not None else ""
            if response is not None and response.status_code == 303 and "/done/" in location:
                self.stats.response_acks.append((token, location.rsplit("/", 1)[1]))
            else:
                self.stats.unexpected[("survey", response and response.status_code)] += 1


async def _read(plan, stats, done):
    """A reader: the board, its JSON API, the place search and the tracking page of a case someone reported (with
    that reporter's session, as the phone that reported it would), until the submissions are done."""
    rng = random.Random(id(stats))
    async with httpx.AsyncClient(base_url=plan.base, timeout=TIMEOUT, headers={"Accept-Language": "en"}) as http:
        while not done.is_set():
            choice = rng.random()
            headers = {}
            if choice < 0.4 and stats.tracking:
                number, cookie = rng.choice(stats.tracking)
                path, headers = f"/track/{number}?lang=en", {"Cookie": f"session={cookie}"}
            elif choice < 0.7:
                path = "/board/?lang=en"
            elif choice < 0.85:
                path = "/board/api/items"
            else:
                path = "/report/points.json?q=" + rng.choice(("公厕", "市场", "路"))
            http.cookies.clear()
            started = time.monotonic()
            try:
                response = await http.get(path, headers=headers)
            except httpx.TransportError:
                stats.transport_errors += 1
                await asyncio.sleep(1)
                continue
            stats.reads += 1
            stats.record(response, started, reading=True)
            if response.status_code not in (200, 503):
                stats.unexpected[("read " + path.split("?")[0].rsplit("/", 1)[0], response.status_code)] += 1
            if response.status_code == 503:
                await asyncio.sleep(1)


async def _progress(stats, total, done):
    while not done.is_set():
        await asyncio.sleep(10)
        print(f"  ... {len(stats.report_acks) + len(stats.response_acks)} acknowledged of {total} submissions"
              f" (+ retries), {stats.reads} reads, statuses {dict(stats.statuses)}", file=sys.stderr, flush=True)


async def drive(plan, stats=None):
    """Run the plan's submissions from ``plan.clients`` phones and ``plan.readers`` readers; returns the Stats."""
    stats = stats or Stats()
    jobs = [("report", n) for n in range(plan.reports)] + [("answer", n) for n in range(plan.responses)]
    random.Random(13).shuffle(jobs)
    queue = iter(jobs)
    done = asyncio.Event()

    async def phone_loop():
        phone = Phone(plan, stats)
        try:
            for kind, index in queue:
                await getattr(phone, kind)(index)
        finally:
            await phone.http.aclose()

    started = time.monotonic()
    others = [asyncio.create_task(_read(plan, stats, done)) for _ in range(plan.readers)]
    others.append(asyncio.create_task(_progress(stats, len(jobs), done)))
    try:
        await asyncio.gather(*(phone_loop() for _ in range(plan.clients)))
    finally:
        stats.seconds = time.monotonic() - started
        done.set()
        await asyncio.gather(*others, return_exceptions=True)
    return stats
