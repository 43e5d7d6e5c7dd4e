"""Input shapes of the public complaint pages: the report, "me too", the tracking lookup and the rating."""
import re
import uuid

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, MultipleFileField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp, ValidationError

from complaints.services import MAX_DESCRIPTION
from portal.forms import BaseForm
from portal.registry.qr import MAX_DB_ID

_MOBILE = re.compile(r"1[3-9]\d{9}")
# Landlines: 010 and 02x have 8-digit numbers, the other 0xxx area codes 7 or 8 digits; an extension may follow.
_LANDLINE = re.compile(r"\(?(010|02\d|0[3-9]\d{2})\)?[\s-]?([1-9]\d{2,3}[\s-]?\d{4})"
                       r"(?:\s*(?:-|转|#|ext\.?|x)\s*(\d{1,6}))?", re.IGNORECASE)
_COUNTRY = re.compile(r"^(?:\+86|0086|86)(?=1\d{10}$)")  # +86 before a mobile number


def normalise_phone(value):
    """A mainland mobile (13800138000) or landline (010-12345678, 0571-8888888-123) in one spelling, or None."""
    text = (value or "").strip()
    if not text:
        return None
    mobile = _COUNTRY.sub("", re.sub(r"[\s()-]", "", text))
    if _MOBILE.fullmatch(mobile):
        return mobile
    match = _LANDLINE.fullmatch(text)
    if match:
        area, number, extension = match.groups()
        number = re.sub(r"[\s-]", "", number)
        return f"{area}-{number}" + (f"-{extension}" if extension else "")
    return None


def phone_number(form, field):
    if field.data and normalise_phone(field.data) is None:
        raise ValidationError(_l("Enter a mainland mobile number (11 digits) or a landline with its area code, "
                                 "e.g. 010-12345678."))


def optional_id(value):
    """A database id from a form value, or None (never an error, never an id PostgreSQL cannot hold)."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_DB_ID else None


def new_idempotency_key():
    return uuid.uuid4().hex


def valid_idempotency_key(value):
    """The key the form was rendered with (32 hex digits), else None: hand-made keys are not trusted."""
    return value if isinstance(value, str) and re.fullmatch(r"[0-9a-f]{32}", value) else None


def parse_coordinates(raw_lat, raw_lng):
    """(latitude, longitude) rounded to about 10 cm, (None, None) when neither is given; ValueError if not sane."""
    raw_lat, raw_lng = str(raw_lat or "").strip(), str(raw_lng or "").strip()
    if not raw_lat and not raw_lng:
        return None, None
    lat, lng = float(raw_lat), float(raw_lng)  # ValueError for text; nan and inf fail the ranges below
    if not (-90 <= lat <= 90 and -180 <= lng <= 180) or (lat, lng) == (0, 0):
        raise ValueError("coordinates out of range")
    return round(lat, 6), round(lng, 6)


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class ReportForm(BaseForm):
    """The resident's report. The place comes from the URL (QR token or chosen point) or from these fields.

    Built on every POST of the busiest form: its fields are bound once per process and copied (nothing sets a
    field's label, flags or choices on an instance)."""

    KEEP_BOUND_FIELDS = True

    idempotency_key = HiddenField("")  # hidden fields get an empty label: WTForms translates a missing one
    category_id = StringField(_l("Type of problem"), filters=[optional_id])
    area_id = StringField(_l("Area"), filters=[optional_id])
    latitude = HiddenField("")
    longitude = HiddenField("")
    location_source = HiddenField("")  # "pin" when the position is a pin placed on the map, else the phone's GPS
    location_text = StringField(_l("Exact spot (optional)"), filters=[_strip], validators=[
        Optional(), Length(max=300, message=_l("Please keep the exact spot under %(max)d characters."))])
    description = TextAreaField(_l("What is the problem?"), filters=[_strip], validators=[
        DataRequired(message=_l("Please describe the problem.")),
        Length(max=MAX_DESCRIPTION, message=_l("Please keep the description under %(max)d characters."))])
    photos = MultipleFileField(_l("Photos"))
    urgent = BooleanField(_l("Urgent: it puts people or property in danger now"))
    anonymous = BooleanField(_l("Report anonymously (no name or phone is kept)"))
    reporter_name = StringField(_l("Your name (optional)"), filters=[_strip], validators=[
        Optional(), Length(max=60, message=_l("Please keep the name under %(max)d characters."))])
    reporter_phone = StringField(_l("Phone (optional)"), filters=[_strip],
                                 validators=[Optional(), Length(max=30), phone_number])

    def coordinates(self):
        """(latitude, longitude) shared by the browser, or (None, None); a field error if they are not sane."""
        try:
            return parse_coordinates(self.latitude.data, self.longitude.data)
        except ValueError:
            self.latitude.errors = list(self.latitude.errors) + [
                _l("The location from your phone could not be used. Please choose the area instead.")]
            return None, None


class MeTooForm(BaseForm):
    """"Me too" on a case already reported: an optional phone for progress messages."""

    idempotency_key = HiddenField()
    phone = StringField(_l("Phone for progress messages (optional)"), filters=[_strip],
                        validators=[Optional(), Length(max=30), phone_number])


class TrackForm(BaseForm):
    """The lookup on the tracking page: the case number and its query code, both from the receipt."""

    number = StringField(_l("Case number"), filters=[_strip], validators=[
        InputRequired(message=_l("Enter the case number from your receipt.")),
        Regexp(r"^\d{8}-\d{4,6}$", message=_l("A case number looks like 20261122-0042."))])
    code = StringField(_l("Query code"), filters=[_strip], validators=[
        InputRequired(message=_l("Enter the 8-digit query code from your receipt.")),
        Regexp(r"^\d{8}$", message=_l("The query code has 8 digits."))])


class RatingForm(BaseForm):
    """回访: how satisfied the reporter is, on the city's scale (1 = best)."""

    rating = RadioField(_l("How satisfied are you with the result?"), coerce=int,
                        validators=[InputRequired(message=_l("Please choose how satisfied you are."))])
    comment = TextAreaField(_l("Comment (optional)"), filters=[_strip], validators=[
        Optional(), Length(max=500, message=_l("Please keep the comment under %(max)d characters."))])
    ask_reopen = BooleanField(_l("I am not satisfied: please handle it again (重办)"))

    def __init__(self, *args, labels=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.rating.choices = [(index, label) for index, label in enumerate(labels, start=1)]
