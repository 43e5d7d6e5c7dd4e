"""What a phone downloads for one page on a cold cache: the HTML and every same-origin stylesheet, script, font and
icon it references (photos excluded), each as served (compressed), and every reference that would leave the site.

Used by tests/portal/test_page_weight.py and ``make bench`` (tests/bench/weight.py) with a Flask test client.
"""
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

# What WeChat's browser (and Chromium) send.
ACCEPT_ENCODING = "gzip, deflate, br"
# <link rel> values a browser downloads while loading the page ("alternate" feeds and "canonical" it does not).
FETCHED_RELS = {"stylesheet", "icon", "shortcut", "preload", "modulepreload", "manifest", "apple-touch-icon"}


@dataclass
class Weight:
    total: int = 0
    parts: dict = field(default_factory=dict)  # url -> bytes as transferred
    external: list = field(default_factory=list)  # references to other sites


def _tag_urls(html):
    urls = []
    for tag in re.findall(r"<link\b[^>]*>", html):
        rel = re.search(r'\brel="([^"]*)"', tag)
        href = re.search(r'\bhref="([^"]*)"', tag)
        if rel and href and set(rel.group(1).lower().split()) & FETCHED_RELS:
            urls.append(href.group(1))
    urls += re.findall(r'<script\b[^>]*\bsrc="([^"]*)"', html)
    urls += [src for src in re.findall(r'<img\b[^>]*\bsrc="([^"]*)"', html) if "/photos/" not in src]
    return [url.replace("&amp;", "&") for url in urls if not url.startswith(("data:", "blob:"))]


def _css_urls(css):
    urls = re.findall(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)""", css)
    urls += re.findall(r"""@import\s+['"]([^'"]+)['"]""", css)
    return [url for url in urls if not url.startswith(("data:", "#"))]


def _is_external(url):
    return url.startswith("//") or bool(urlsplit(url).scheme) and urlsplit(url).netloc not in ("localhost", "")


def page_weight(client, path):
    """Fetch ``path`` and what it references as a browser with an empty cache would; count the bytes sent."""
    weight = Weight()
    queue, seen = [(path, None)], set()
    while queue:
        url, base = queue.pop(0)
        if base and not url.startswith("/"):
            url = base.rsplit("/", 1)[0] + "/" + url
        if url in seen:
            continue
        seen.add(url)
        if _is_external(url):
            weight.external.append(url)
            continue
        response = client.get(url, headers={"Accept-Encoding": ACCEPT_ENCODING})
        assert response.status_code == 200, (url, response.status_code)
        body = response.get_data()
        weight.parts[url] = len(body)
        weight.total += len(body)
        text = _decoded(body, response.headers.get("Content-Encoding"))
        if response.mimetype == "text/html":
            queue += [(ref, None) for ref in _tag_urls(text)]
        elif response.mimetype == "text/css":
            queue += [(ref, urlsplit(url).path) for ref in _css_urls(text)]
        response.close()
    return weight


def _decoded(body, encoding):
    if encoding == "br":
        import brotli

        body = brotli.decompress(body)
    elif encoding == "gzip":
        import gzip

        body = gzip.decompress(body)
    return body.decode("utf-8", "replace")
