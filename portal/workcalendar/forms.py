"""The form of a year of the working calendar: the pasted list of days, and whether it is the notice itself."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, TextAreaField
from wtforms.validators import DataRequired, Length

from portal.forms import BaseForm


class CalendarYearForm(BaseForm):
    days = TextAreaField(_l("Days off and make-up workdays, one date or range a line"),
                         validators=[DataRequired(), Length(max=20000)], render_kw={"rows": 16})
    confirm = BooleanField(_l("These are the dates of the State Council's notice: confirm the year"))
