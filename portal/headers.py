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


# Set on every response whatever the view did (the two the view may choose itself are set only when it did not).
FIXED = (("X-Frame-Options", "DENY"), ("X-Content-Type-Options", "nosniff"))
HSTS = f"max-age={HSTS_SECONDS}"


def init_app(app):
    app.after_request(SecurityHeaders(app.config))


class SecurityHeaders:
    """The after-request hook. It holds the app's config, so that a response costs no context-local lookups for it;
    the policy is read from the config on each response (a test or the map's tiles may change it after start)."""

    def __init__(self, config):
        self.config = config

    def __call__(self, response):
        from flask import request

        config, headers = self.config, response.headers
        headers.setdefault("Content-Security-Policy", config["CONTENT_SECURITY_POLICY"])
        for name, value in FIXED:
            headers[name] = value
        headers.setdefault("Referrer-Policy", "same-origin")
        request = request._get_current_object()
        if config["PREFER_HTTPS"] or request.is_secure:
            headers["Strict-Transport-Security"] = HSTS
        if request.path.startswith(PRIVATE_PREFIXES) and not response.cache_control.private:
            # A view that chose a private cache (a staff photo, kept a day in that one browser) keeps it.
            headers["Cache-Control"] = "no-store, private"
            headers.pop("Expires", None)
        return response
