"""One response per person: signed form and device keys, keyed hashes of phones and networks, token codes, and
phone verification codes sent through the outbound notifications.
"""
import hmac
import ipaddress
import re
import secrets
from datetime import timedelta
from functools import lru_cache

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired

from portal import notify, signing
from portal.city import city_setting, ensure_city_settings, get_city_settings
from portal.clock import utcnow
from portal.extensions import db
from portal.i18n import localized
from surveys.definition import SurveyError
from surveys.response_models import SurveyCallNumber, SurveyPhoneCode, SurveyResponse

FORM_MAX_AGE = 7 * 24 * 3600  # a form may stay open on a phone for days
DEVICE_COOKIE = "ms_device"
DEVICE_MAX_AGE = 2 * 365 * 24 * 3600
TOKEN_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read off a printed card
TOKEN_LENGTH = 10
PHONE_RULE = re.compile(r"^1[3-9][0-9]{9}$")  # mainland mobile numbers
CODE_TTL = timedelta(minutes=10)
CODE_ATTEMPTS = 5
CODES_PER_HOUR = 3
CODE_TEXT = _l("[%(city)s] %(code)s is your code for the survey “%(survey)s”. It is valid for 10 minutes.")


def _serializer(secret, salt):
    return signing.timed_serializer((secret,), salt)


def _keyed(purpose, value):
    """A keyed hash with the city's database-held key (survives a SECRET_KEY rotation, like QR codes)."""
    key = city_setting("qr_key") or ensure_city_settings().qr_key
    return hmac.new(key.encode(), f"{purpose}:{value}".encode(), "sha256").hexdigest()  # by name: OpenSSL's own HMAC


# ---------------------------------------------------------------- the form and the device

def new_form_token(secret, survey):
    """The hidden field of an answer form: a fresh idempotency key and when the form was shown, signed."""
    return _serializer(secret, "survey-form").dumps({"s": survey.id, "k": secrets.token_urlsafe(18)})


def read_form_token(secret, survey, token):
    """(idempotency key, started_at) from a form token; SurveyError("form_expired") if it is not ours."""
    try:
        data, signed_at = _serializer(secret, "survey-form").loads(token or "", max_age=FORM_MAX_AGE,
                                                                   return_timestamp=True)
    except (BadSignature, SignatureExpired):
        raise SurveyError("form_expired") from None
    if not isinstance(data, dict) or data.get("s") != survey.id or not isinstance(data.get("k"), str):
        raise SurveyError("form_expired")
    return data["k"], signed_at


def new_device_cookie(secret):
    return _serializer(secret, "survey-device").dumps(secrets.token_urlsafe(16))


def read_device_cookie(secret, value):
    """The device key from the signed cookie, or None if there is none or it was tampered with."""
    if not value:
        return None
    try:
        device = _serializer(secret, "survey-device").loads(value, max_age=DEVICE_MAX_AGE)
    except (BadSignature, SignatureExpired):
        return None
    return _keyed("device", device)[:40] if isinstance(device, str) else None


@lru_cache(maxsize=4096)
def _network(address):
    """The network of an address (/24 for IPv4, /48 for IPv6) as text, or None: parsed once per address and
    process (a submission needs it twice, for the burst check and inside the fingerprint)."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return None
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def network_of(address):
    """A keyed hash of the network a request came from (/24 for IPv4, /48 for IPv6), for burst checks."""
    network = _network(address if isinstance(address, str) else "")
    return None if network is None else _keyed("net", network)[:40]


def fingerprint_of(address, user_agent):
    """What the server sees of a device whose cookie was cleared: a keyed hash of its network (as ``network_of``)
    and its browser's user agent. Neither the address nor the user agent is stored; None without an address."""
    return network_and_fingerprint(address, user_agent)[1]


def network_and_fingerprint(address, user_agent):
    """``(network_of(address), fingerprint_of(address, user_agent))``, the network's keyed hash computed once (a
    submission stores both)."""
    network = network_of(address)
    if network is None:
        return None, None
    return network, _keyed("fingerprint", f"{network}|{(user_agent or '').strip()[:500]}")[:40]


def is_on_call_list(survey, hashed):
    """Whether the phone (its keyed hash) is on the survey's call list: the sampling frame of a telephone survey."""
    query = db.select(SurveyCallNumber.id).where(SurveyCallNumber.survey_id == survey.id,
                                                 SurveyCallNumber.phone_hash == hashed)
    return db.session.execute(query.limit(1)).first() is not None


def has_answered_from(survey, fingerprint, since):
    """Whether a response of the survey came from this network and browser (``fingerprint``) since ``since``."""
    query = db.select(SurveyResponse.id).where(SurveyResponse.survey_id == survey.id,
                                               SurveyResponse.fingerprint == fingerprint,
                                               SurveyResponse.submitted_at > since)
    return db.session.execute(query.limit(1)).first() is not None


# ---------------------------------------------------------------- tokens

def new_token_code():
    return "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(TOKEN_LENGTH))


def normalise_token(text):
    """What a person types from a card ("abcde-12345 ") in the stored form, or None if it cannot be one."""
    code = re.sub(r"[\s-]", "", str(text or "")).upper()
    if len(code) != TOKEN_LENGTH or any(c not in TOKEN_ALPHABET for c in code):
        return None
    return code


def format_token(code):
    return f"{code[:5]}-{code[5:]}"


# ---------------------------------------------------------------- phones

def normalise_phone(text):
    digits = re.sub(r"[\s-]", "", str(text or ""))
    if digits.startswith("+86"):
        digits = digits[3:]
    return digits if PHONE_RULE.match(digits) else None


def phone_hash(phone):
    return _keyed("phone", phone)


def phone_guard(hashed):
    return f"phone:{hashed}"[:80]


def has_answered(survey, guard_key):
    query = db.select(SurveyResponse.id).where(SurveyResponse.survey_id == survey.id,
                                               SurveyResponse.guard_key == guard_key)
    return db.session.execute(query.limit(1)).first() is not None


def _send_code(phone, code, survey, locale):
    """Queue the code through portal.notify (the outbound module) in the respondent's language; the delivery
    log records the attempt (with the text, as for every message)."""
    settings = get_city_settings()
    params = {"city": localized(settings.city_name, settings.city_name_zh_hant, settings.city_name_en, locale),
              "code": code, "survey": survey.title_in(locale)}
    with force_locale(locale):
        text = str(CODE_TEXT) % params
    return notify.queue(channel=notify.person_channel(), recipient=phone, template="survey_code", text=text,
                        params=params)


def send_phone_code(survey, phone_text, now=None, locale="zh_Hans"):
    """Send a 6-digit code to the phone (in ``locale``); at most CODES_PER_HOUR per phone and survey.
    Returns the phone hash."""
    phone = normalise_phone(phone_text)
    if phone is None:
        raise SurveyError("phone", field="phone")
    hashed = phone_hash(phone)
    if has_answered(survey, phone_guard(hashed)):
        raise SurveyError("already_answered", field="phone")
    now = now or utcnow()
    recent = db.session.scalar(db.select(db.func.count(SurveyPhoneCode.id)).where(
        SurveyPhoneCode.survey_id == survey.id, SurveyPhoneCode.phone_hash == hashed,
        SurveyPhoneCode.created_at > now - timedelta(hours=1)))
    if recent >= CODES_PER_HOUR:
        raise SurveyError("too_many_codes", field="phone")
    code = f"{secrets.randbelow(10**6):06d}"
    db.session.add(SurveyPhoneCode(survey_id=survey.id, phone_hash=hashed, code_hash=_keyed("code", code),
                                   created_at=now, expires_at=now + CODE_TTL))
    _send_code(phone, code, survey, locale)
    db.session.flush()
    return hashed


def _count_attempt(code_id):
    """Count one try of a code, atomically and in its own short transaction: committed whatever the request's
    transaction does afterwards (a rollback, an error), so guessing cannot outrun the limit; concurrent tries
    cannot all read the same count either. True while the code has tries left, False once it is locked.
    (On SQLite, call it before the request's transaction writes: the second connection would wait for its lock.)"""
    table = SurveyPhoneCode.__table__
    counted = (db.update(table).where(table.c.id == code_id, table.c.attempts < CODE_ATTEMPTS)
               .values(attempts=table.c.attempts + 1).returning(table.c.attempts))
    with db.engine.begin() as connection:
        return connection.execute(counted).first() is not None


def verify_phone_code(survey, phone_text, code, now=None):
    """Check the latest code for the phone; returns the phone hash to keep in the respondent's session."""
    phone = normalise_phone(phone_text)
    if phone is None:
        raise SurveyError("phone", field="phone")
    hashed = phone_hash(phone)
    now = now or utcnow()
    latest = db.session.execute(
        db.select(SurveyPhoneCode).where(SurveyPhoneCode.survey_id == survey.id,
                                         SurveyPhoneCode.phone_hash == hashed)
        .order_by(SurveyPhoneCode.id.desc()).limit(1)).scalar()
    if latest is None or latest.expires_at <= now or latest.verified_at is not None:
        raise SurveyError("code_expired", field="code")
    if not _count_attempt(latest.id):
        raise SurveyError("too_many_attempts", field="code")
    if not hmac.compare_digest(latest.code_hash, _keyed("code", str(code or "").strip())):
        raise SurveyError("code_wrong", field="code")
    latest.verified_at = now
    db.session.flush()
    return hashed
