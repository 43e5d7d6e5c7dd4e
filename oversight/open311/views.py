"""Open311 GeoReport v2 at /open311/v2/: discovery, services, service definitions, requests (GET and POST),
one request, and tokens, each as .json or .xml. Reading needs no key; filing needs an API key."""
import logging
from functools import wraps

from flask import Blueprint, current_app, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from oversight.open311 import filing, formats, keys, projection
from oversight.open311.models import ApiRequest
from portal.city import get_city_settings
from portal.extensions import csrf, db, limiter
from portal.i18n import normalise_locale
from portal.notify import public_url

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")
csrf.exempt(bp)  # other systems post forms without a session: the API key stands for the CSRF token
log = logging.getLogger(__name__)

FMT = "<any(json, xml):format>"  # the names of the URL parts are those of the OpenAPI description
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-12-06T00:00:00+08:00"  # when the endpoints below last changed
KEY_LIMIT = "60 per minute;2000 per day"  # POSTs per API key unless OPEN311_KEY_RATE_LIMIT says otherwise
MAX_ID = 20


def _format():
    fmt = (request.view_args or {}).get("format")
    if fmt in formats.FORMATS:
        return fmt
    return "xml" if request.path.endswith(".xml") else "json"


def _locale():
    return normalise_locale(request.values.get("locale")) or get_city_settings().default_locale or "zh_Hans"


def render_error(code, message):
    """Errors anywhere under /open311/ (unknown paths, wrong methods, limits) in the specification's format."""
    with force_locale(_locale()):
        return formats.errors(code, [message], _format()), code


def open311(view):
    """Speak the asked ``locale``, check ``jurisdiction_id``, and turn refused queries into Open311 errors."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        fmt = kwargs.get("format", "json")
        with force_locale(_locale()):
            jurisdiction = current_app.config.get("OPEN311_JURISDICTION_ID") or ""
            asked = (request.values.get("jurisdiction_id") or "").strip()
            if asked and jurisdiction and asked != jurisdiction:
                return formats.errors(404, [_("This jurisdiction_id is not served here.")], fmt)
            if not asked and current_app.config.get("OPEN311_JURISDICTION_REQUIRED"):
                return formats.errors(400, [_("jurisdiction_id is required.")], fmt)
            try:
                return view(*args, **kwargs)
            except projection.QueryError as error:
                return formats.errors(400, error.problems, fmt)

    return wrapped


@bp.get(f"/discovery.{FMT}")
@open311
def discovery(format):
    settings = get_city_settings()
    base = public_url(url_for(".discovery", format="json"))[:-len("/discovery.json")]
    return formats.respond({
        "changeset": CHANGESET,
        "contact": _("For help with this API, contact %(city)s.", city=settings.display_city_name),
        "key_service": _("API keys for filing requests are issued by the city's administrators in the staff "
                         "console."),
        "endpoints": [{"specification": SPECIFICATION, "url": base, "changeset": CHANGESET, "type": "production",
                       "formats": ["application/json", "text/xml"]}],
    }, format, "discovery")


@bp.get(f"/services.{FMT}")
@open311
def services(format):
    return formats.respond([projection.service(c) for c in projection.service_categories()], format, "services")


@bp.get(f"/services/<service_code>.{FMT}")
@open311
def service_definition(service_code, format):
    category = projection.service_by_code(service_code)
    if category is None:
        return formats.errors(404, [_("No service has this service_code.")], format)
    return formats.respond(projection.service_definition(category), format, "service_definition")


@bp.get(f"/requests.{FMT}")
@open311
def requests_list(format):
    cases = projection.find_requests(projection.check_request_query(request.args))
    return formats.respond(projection.service_requests(cases), format, "service_requests")


@bp.get(f"/requests/<service_request_id>.{FMT}")
@open311
def request_one(service_request_id, format):
    cases = projection.find_requests(projection.RequestQuery(numbers=(service_request_id[:MAX_ID],)))
    if not cases:
        return formats.errors(404, [_("No service request has this service_request_id.")], format)
    return formats.respond(projection.service_requests(cases), format, "service_requests")


@bp.get(f"/tokens/<token>.{FMT}")
@open311
def token(token, format):
    record = db.session.scalars(db.select(ApiRequest).where(ApiRequest.token == token[:32])).first()
    if record is None:
        return formats.errors(404, [_("No service request has this token.")], format)
    return formats.respond([{"service_request_id": record.case.number, "token": record.token}], format,
                           "service_requests")


# ---------------------------------------------------------------- filing

def _key_limit():
    return current_app.config.get("OPEN311_KEY_RATE_LIMIT") or KEY_LIMIT


def _limit_key():
    return "open311:" + keys.hash_key(request.form.get("api_key") or "")[:32]


@bp.post(f"/requests.{FMT}")
@limiter.limit(_key_limit, key_func=_limit_key)
@open311
def requests_create(format):
    api_key = keys.active_key(request.form.get("api_key"))
    if api_key is None:
        log.info("Open311 POST refused: unknown or revoked api_key from %s", request.remote_addr)
        return formats.errors(403, [_("This api_key is not valid: ask the city for a key.")], format)
    try:
        filed = filing.file_request(api_key, request.form, request.files.getlist("media"))
    except filing.FilingError as error:
        db.session.rollback()
        filing.record_refusal(api_key, error)
        db.session.commit()
        return formats.errors(400, [f"{name}: {message}" for name, message in error.problems], format)
    return formats.respond([{"service_request_id": filed.number, "service_notice": filed.notice,
                             "account_id": filed.account_id, "token": filed.token}], format, "service_requests")


@bp.record_once
def _register_error_format(state):
    state.app.extensions.setdefault("error_formats", {})["/open311/"] = render_error
