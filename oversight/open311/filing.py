"""Filing a service request over Open311: the POST's fields checked all at once (一次性告知), then the same intake
as the H5 form (``intake.file_report`` → ``services.submit_report``): routing, idempotency and notifications are
the form's. The key's system is recorded with the case (``ApiRequest``), the channel is ``Channel.API``."""
import hashlib
import json
import secrets
from dataclasses import dataclass

from flask_babel import force_locale
from flask_babel import gettext as _

from complaints import intake
from complaints.forms import normalise_phone, parse_coordinates
from complaints.handling import add_note
from complaints.models import Channel
from complaints.services import MAX_DESCRIPTION
from oversight.open311.models import ApiRequest
from oversight.open311.projection import service_by_code, service_notice
from portal import photos as photo_files
from portal.auth import audit
from portal.city import get_city_settings
from portal.clock import utcnow
from portal.extensions import db
from portal.registry.models import Point
from portal.textclean import clean_text

MAX_FIELD = 100  # device_id, account_id, a name, an e-mail address
MAX_ADDRESS = 300
MAX_MEDIA_URL = 500


class FilingError(Exception):
    """A POST refused: ``problems`` are (parameter, message) pairs, every one at once."""

    def __init__(self, problems):
        super().__init__("; ".join(f"{name}: {message}" for name, message in problems))
        self.problems = problems


@dataclass(frozen=True)
class FiledRequest:
    """What the POST answers with, read before the commit."""

    number: str
    notice: str
    account_id: str | None
    token: str


def _text(params, name, limit, problems):
    value = clean_text((params.get(name) or "").strip())
    if len(value) > limit:
        problems.append((name, _("%(name)s is too long: at most %(max)d characters.", name=name, max=limit)))
        return None
    return value or None


def _answers_formdata(category, params):
    """``attribute[code]=value`` → the H5 form's question fields, so the same check reads them."""
    return {question.field_name: params.get(f"attribute[{question.key}]", "")
            for question in intake.questions_of(category)}


def _place(params, problems):
    """(point, area, latitude, longitude, location text) from address_id (a point's code), lat/long or
    address_string; the area of a shared location is that of the nearest point, as on the form."""
    latitude = longitude = point = area = None
    if params.get("lat") or params.get("long"):
        try:
            latitude, longitude = parse_coordinates(params.get("lat"), params.get("long"))
        except ValueError:
            problems.append(("lat", _("lat and long must be WGS-84 degrees, e.g. lat=30.2741&long=120.1551.")))
    address = _text(params, "address_string", MAX_ADDRESS, problems)
    code = (params.get("address_id") or "").strip()
    if code:
        point = db.session.scalars(db.select(Point).where(Point.code == code[:40])).first()
        if point is None or not point.active:
            problems.append(("address_id", _("No place has this address_id.")))
            point = None
    if point is None and latitude is not None:
        area = intake.area_near(latitude, longitude)
    if point is None and area is None and address:
        found = intake.search_points(address, limit=2)
        if len(found) == 1:
            point = found[0]
    if point is None and area is None and not any(name in ("lat", "address_id") for name, _m in problems):
        problems.append(("address_string", _("Say where the problem is: address_id, or lat and long within the "
                                             "city, or an address_string naming one of its places.")))
    return point, area, latitude, longitude, address


def check_request(params, uploads=()):
    """Check every field of the POST; returns an ``intake.Report`` and the client's ids, or raises FilingError."""
    problems = []
    code = (params.get("service_code") or "").strip()
    category = service_by_code(code) if code else None
    if not code:
        problems.append(("service_code", _("service_code is required.")))
    elif category is None:
        problems.append(("service_code", _("No service has this service_code.")))
    point, area, latitude, longitude, address = _place(params, problems)
    description = _text(params, "description", MAX_DESCRIPTION, problems)
    if not description and "description" not in {name for name, _m in problems}:
        problems.append(("description", _("Please describe the problem.")))
    answers = {}
    if category is not None:
        chosen = intake.chosen_category(category.id)
        answers, errors = intake.read_answers(chosen, _answers_formdata(category, params))
        by_field = {q.field_name: q.key for q in intake.questions_of(category)}
        problems.extend((f"attribute[{by_field[name]}]", message) for name, message in errors.items())
    raw_phone = (params.get("phone") or "").strip()
    phone = normalise_phone(raw_phone) if raw_phone else None
    if raw_phone and phone is None:
        problems.append(("phone", _("Enter a mainland mobile number (11 digits) or a landline with its area code, "
                                    "e.g. 010-12345678.")))
    email = _text(params, "email", MAX_FIELD, problems)
    if email and "@" not in email:
        problems.append(("email", _("This is not an e-mail address.")))
    names = [_text(params, name, 30, problems) for name in ("first_name", "last_name")]
    device_id = _text(params, "device_id", MAX_FIELD, problems)
    account_id = _text(params, "account_id", MAX_FIELD, problems)
    media_url = _text(params, "media_url", MAX_MEDIA_URL, problems)
    if media_url and not media_url.lower().startswith(("http://", "https://")):
        problems.append(("media_url", _("media_url must be an http or https address.")))
    prepared, photo_problems = photo_files.prepare_uploads(list(uploads))
    problems.extend(("media", problem.message) for problem in photo_problems)
    if problems:
        raise FilingError(problems)
    name = _full_name(*names)
    report = intake.Report(
        category=intake.chosen_category(category.id), channel=Channel.API, description=description, point=point,
        area=area, latitude=latitude, longitude=longitude, location_text=address, anonymous=not (name or phone),
        reporter_name=name, reporter_phone=phone, answers=answers, photos=prepared)
    return report, {"device_id": device_id, "account_id": account_id, "media_url": media_url,
                    "client_key": (params.get("idempotency_key") or "").strip()[:100] or None, "email": email}


def _full_name(first, last):
    """王 + 小明 → 王小明 (family name first, no space); Ann + Lee → Ann Lee."""
    if not (first or last):
        return None
    if any(ch.isascii() and ch.isalpha() for ch in (first or "") + (last or "")):
        return " ".join(n for n in (first, last) if n)[:60]
    return ((last or "") + (first or ""))[:60]


def idempotency_key(api_key, params, client):
    """The same POST sent twice files one case: keyed on the client's own key, else on its device and the content.
    Without either, every POST is a new report (two residents may well report the same thing)."""
    if client["client_key"]:
        basis = ["key", client["client_key"]]
    elif client["device_id"]:
        fields = sorted((k, v) for k, v in params.items(multi=True) if k not in ("api_key", "locale"))
        basis = ["device", client["device_id"], fields]
    else:
        return None
    digest = hashlib.sha256(json.dumps([api_key.id, basis], ensure_ascii=False).encode("utf-8", "surrogatepass"))
    return "api:" + digest.hexdigest()[:60]


def file_request(api_key, params, uploads=()):
    """Check and file a POST; commits (photos, the case and its Open311 record land together, as on the form).
    A repeated POST (same client key, or same device and content) answers with the case filed first."""
    report, client = check_request(params, uploads)
    report.idempotency_key = idempotency_key(api_key, params, client)

    def record_system(case):
        db.session.add(ApiRequest(api_key_id=api_key.id, case_id=case.id, token=secrets.token_hex(16),
                                  device_id=client["device_id"], account_id=client["account_id"]))
        with force_locale(get_city_settings().default_locale or "zh_Hans"):  # staff read the city's language
            note = _("Filed by %(system)s over Open311.", system=api_key.system)
            if client["media_url"]:  # never fetched by the server (it could point anywhere); staff may open it
                note += " " + _("Photo link: %(url)s", url=client["media_url"])
        add_note(case, None, note)
        audit.record(None, "open311_request", case, summary=f"{api_key.system} ({api_key.prefix}…)")

    earlier = intake.case_for_key(report.idempotency_key)
    number = earlier.number if earlier is not None else intake.file_report(report, also=record_system).number
    case = intake.case_by_number(number)
    record = db.session.scalars(db.select(ApiRequest).where(ApiRequest.case_id == case.id)).first()
    api_key.last_used_at = utcnow()
    db.session.commit()
    return FiledRequest(case.number, service_notice(case.category, case.urgent),
                        record.account_id if record is not None else None, record.token if record is not None else "")


def record_refusal(api_key, error):
    """A refused POST goes to the audit log too (which fields were wrong, never their values); the caller commits."""
    audit.record(None, "open311_refused", api_key, summary=", ".join(name for name, _m in error.problems))
