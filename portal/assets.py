"""Static files as a phone on a weak network needs them: a content hash in every URL, a year in every cache, and one
stylesheet per page (a bundle of the few files a page needs). Compression is Flask-Compress's (portal.extensions).

``url_for('static', filename='css/public.css')`` is answered with ``/static/css/public.<hash>.css``; templates never
spell the hash. A bundle (``BUNDLES``) is named like a file under ``bundle/`` and served as its files joined in order.
"""
import hashlib
import mimetypes
import os
import re
from functools import lru_cache

from flask import Response, abort, current_app, request
from werkzeug.security import safe_join

# One stylesheet per page. The resident pages (WeUI, purged by `make css`) and the board pages (no WeUI) each get
# one bundle; the order of the files is the order of the cascade.
BUNDLES = {
    "bundle/resident.css": ("vendor/weui/weui.purged.css", "css/public.css", "css/report.css", "css/survey.css",
                            "css/snapshots.css", "css/honours.css", "css/texts-fixes.css",
                            "css/a11y-fixes.css"),
    "bundle/board.css": ("css/public.css", "css/board.css", "css/texts-fixes.css", "css/a11y-fixes.css"),
}

YEAR = 365 * 24 * 3600
HASH_LENGTH = 12
_FINGERPRINTED = re.compile(r"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{%d})(?P<ext>\.[A-Za-z0-9]+)$" % HASH_LENGTH)


def init_app(app):
    app.url_defaults(_fingerprint_static_urls)
    app.view_functions["static"] = serve_static


class CompressedStaticCache:
    """Flask-Compress's cache (``COMPRESS_CACHE_BACKEND``), holding fingerprinted static files only: their bytes
    never change under one URL, so each is compressed once per encoding, not once per visitor. Everything else
    (pages, JSON, a byte range) is compressed afresh: ``get`` finds nothing and ``set`` keeps nothing."""

    def __init__(self):
        self.data = {}

    def get(self, key):
        return self.data.get(key) if _cacheable() else None

    def set(self, key, value):
        if _cacheable():
            self.data[key] = value


def compression_cache_key(request):
    return request.path


def _cacheable():
    if request.endpoint != "static" or request.range is not None:
        return False
    filename = (request.view_args or {}).get("filename", "")
    match = _FINGERPRINTED.match(filename)
    return match is not None and fingerprinted(match["stem"] + match["ext"]) == filename


def _fingerprint_static_urls(endpoint, values):
    if endpoint == "static" and "filename" in values:
        values["filename"] = fingerprinted(values["filename"])


def fingerprinted(filename):
    """``css/public.css`` -> ``css/public.<first 12 hex of its SHA-256>.css`` (unchanged when there is no such file)."""
    content = asset_bytes(filename)
    if content is None:
        return filename
    stem, ext = os.path.splitext(filename)
    return f"{stem}.{_digest(content)}{ext}"


def asset_bytes(filename):
    """The bytes a static URL serves (a file, or a bundle's files joined), or None when there is no such asset."""
    folder = current_app.static_folder
    parts = BUNDLES.get(filename, (filename,))
    stamps = []
    for part in parts:
        path = safe_join(folder, part)
        try:
            stat = os.stat(path)
        except (OSError, TypeError, ValueError):
            return None
        stamps.append((path, stat.st_mtime_ns, stat.st_size))
    return _read(tuple(stamps))


@lru_cache(maxsize=256)
def _read(stamps):
    # Keyed by modification time and size, so an edited file is read again (and gets a new hash) without a restart.
    chunks = []
    for path, _mtime, _size in stamps:
        with open(path, "rb") as handle:
            chunks.append(handle.read())
    return b"\n".join(chunks)


@lru_cache(maxsize=256)
def _digest(content):
    return hashlib.sha256(content).hexdigest()[:HASH_LENGTH]


def serve_static(filename):
    """Serve a fingerprinted URL for a year (immutable); an unhashed or outdated one is served, but not kept.

    The bytes come from memory (they were read to hash them), not streamed from the file, so Flask-Compress
    compresses them whole with a Content-Length, and no file handle is left open.
    """
    match = _FINGERPRINTED.match(filename)
    name = match["stem"] + match["ext"] if match else filename
    content = asset_bytes(name)
    if content is None and match:  # a file whose own name looks fingerprinted (vendor.0123456789ab.js)
        match, name = None, filename
        content = asset_bytes(name)
    if content is None:
        abort(404)
    digest = _digest(content)
    response = Response(content, mimetype=mimetypes.guess_type(name)[0] or "application/octet-stream")
    response.set_etag(digest)
    if match is not None and match["digest"] == digest:
        response.cache_control.public = True
        response.cache_control.max_age = YEAR
        response.cache_control.immutable = True
    else:
        response.cache_control.no_cache = True
    return response.make_conditional(request, accept_ranges=True)
