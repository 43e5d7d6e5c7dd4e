"""Read the site as its users do: every page reachable by links from the public pages and from each demo role's
console, one page per shape of address (``/console/cases/20261201-0001`` stands for every case page).

Used by the tests that scan page wording (tests/test_page_wording.py).
"""
import html
import re
from collections import deque
from urllib.parse import parse_qsl, urlsplit

from composition.demo import DEMO_PASSWORD
from composition.demo_lists import USERS

PUBLIC_STARTS = ("/", "/report", "/track", "/board/", "/board/red-black", "/s/")
SKIP = re.compile(r"/(static|logout)\b|\.(csv|xlsx|png|svg|jpg|jpeg|json|xml|atom|ico)(\?|$)|/photos?/|/qr\b|"
                  r"/export|/feed|/print\b|/share\b|/poster")
LINK = re.compile(r'href="(/[^"#]*)"')
TAGS = re.compile(r"<script\b.*?</script>|<style\b.*?</style>|<[^>]+>", re.S)


def shape(url):
    """An address with digits blurred and only the names of its query: pages of one shape say the same things."""
    parts = urlsplit(url)
    keys = sorted({k for k, _v in parse_qsl(parts.query)} - {"lang", "page"})
    return re.sub(r"\d+", "#", parts.path) + ("?" + "&".join(keys) if keys else "")


def visible_text(page):
    """What a reader sees: no scripts, styles or markup, entities decoded."""
    return html.unescape(TAGS.sub(" ", page))


def crawl(client, starts, limit=80, within="/"):
    """{url: page text} for the GET pages under ``within`` reachable from ``starts`` that answer 200 with HTML."""
    seen, pages, queue = set(), {}, deque(starts)
    while queue and len(pages) < limit:
        url = queue.popleft()
        if shape(url) in seen or SKIP.search(url) or not url.startswith(within):
            continue
        seen.add(shape(url))
        response = client.get(url)
        if response.status_code != 200 or not response.mimetype == "text/html":
            continue
        page = response.get_data(as_text=True)
        pages[url] = page
        queue.extend(html.unescape(link) for link in LINK.findall(page))
    return pages


def crawl_as_everyone(app, locale, limit=80):
    """Public pages for a resident, then the console as each demo role, all in ``locale``."""
    pages = {}
    resident = app.test_client()
    resident.set_cookie("lang", locale)
    pages.update(crawl(resident, PUBLIC_STARTS, limit))
    for username, _role, _name in USERS:
        staff = app.test_client()
        staff.set_cookie("lang", locale)
        staff.post("/login", data={"username": username, "password": DEMO_PASSWORD})
        found = crawl(staff, ["/console/"], limit, within="/console/")
        pages.update({f"{username} {url}": page for url, page in found.items()})
    return pages
