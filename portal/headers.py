"""The security headers every response carries, in one place: the Content-Security-Policy (only our own scripts and
styles, nothing inline), no framing, a strict referrer, no MIME sniffing, HSTS behind HTTPS, and no storing of staff
pages and exports by browsers or proxies."""

# Only this site's own files. No inline script, no inline style: every <script>, event handler, <style> and
# style="" attribute lives in static/. Images may also be data: URIs (WeUI's icons) and blob: URLs (the report form
# previews a photo before it is sent).
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))

HSTS_SECONDS = 365 * 24 * 3600

# Staff pages and their exports (the ledger, scorecards, registry CSV): never kept by a browser's back/forward
# history on a shared office computer, nor by any cache on the way.
PRIVATE_PREFIXES = ("/console", "/login", "/logout")


def init_app(app):
    app.after_request(add_security_headers)


def add_security_headers(response):
    from flask import current_app, request

    headers = response.headers
    headers.setdefault("Content-Security-Policy", current_app.config["CONTENT_SECURITY_POLICY"])
    headers["X-Frame-Options"] = "DENY"
    headers["X-Content-Type-Options"] = "nosniff"
    headers.setdefault("Referrer-Policy", "same-origin")
    if request.is_secure or current_app.config["PREFER_HTTPS"]:
        headers["Strict-Transport-Security"] = f"max-age={HSTS_SECONDS}"
    if request.path.startswith(PRIVATE_PREFIXES) and not response.cache_control.private:
        # A view that chose a private cache (a staff photo, kept a day in that one browser) keeps it.
        headers["Cache-Control"] = "no-store, private"
        headers.pop("Expires", None)
    return response
