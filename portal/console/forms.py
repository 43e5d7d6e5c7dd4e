"""City settings form."""
from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from portal.city import valid_timezone
from portal.forms import BaseForm
from portal.i18n import LOCALE_LABELS, LOCALES
from portal.workdays import parse_periods


class CitySettingsForm(BaseForm):
    city_name = StringField(_l("City name (简体)"), validators=[DataRequired(), Length(max=100)])
    city_name_zh_hant = StringField(_l("City name (繁體, optional)"), validators=[Optional(), Length(max=100)])
    city_name_en = StringField(_l("City name (English, optional)"), validators=[Optional(), Length(max=100)])
    hotline = StringField(_l("Hotline number"), validators=[
        DataRequired(), Length(max=40),
        Regexp(r"^[0-9+\-() ]+$", message=_l("Use digits, spaces, +, - and brackets only."))])
    timezone = StringField(_l("Timezone"), validators=[DataRequired(), Length(max=60)])
    default_locale = SelectField(_l("Default language"), choices=[(c, LOCALE_LABELS[c]) for c in LOCALES])
    satisfaction_scale = SelectField(_l("Satisfaction scale"), coerce=int, choices=[
        (3, _l("3 levels: satisfied / basically satisfied / dissatisfied")),
        (5, _l("5 levels: very satisfied … very dissatisfied")),
    ])

    working_periods = StringField(_l("Working hours for handling limits"), validators=[DataRequired(), Length(max=100)])
    warning_percent = IntegerField(_l("Amber light after this share of the limit (%)"), default=80,
                                   validators=[DataRequired(), NumberRange(1, 99)])
    strike_notice_count = IntegerField(
        _l("Escalation ladder: supervision notices that make one strike"), default=3,
        validators=[Optional(), NumberRange(1, 100)])
    strike_window_days = IntegerField(
        _l("Escalation ladder: counted within this many days since the last strike"), default=30,
        validators=[Optional(), NumberRange(1, 366)])
    rating_reminder_days = IntegerField(
        _l("Remind reporters to rate a closed case after this many days"), default=3,
        validators=[Optional(), NumberRange(1, 60)])

    def validate_working_periods(self, field):
        try:
            parse_periods(field.data)
        except ValueError:
            message = _l("Write periods like 08:30-12:00,13:30-17:30 (in order, not overlapping).")
            raise ValidationError(message) from None

    def validate_timezone(self, field):
        if not valid_timezone(field.data):
            raise ValidationError(_l("Unknown timezone; use a name such as Asia/Shanghai."))
