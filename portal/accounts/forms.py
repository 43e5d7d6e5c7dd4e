"""Sign-in, password and staff-account forms."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp, ValidationError

from portal.auth.models import Role
from portal.auth.services import MIN_PASSWORD_LENGTH
from portal.forms import BaseForm


class LoginForm(BaseForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=60)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class PasswordForm(BaseForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=200)])
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[DataRequired(), EqualTo("new", message=_l("The two passwords differ."))])


class UserForm(BaseForm):
    username = StringField(_l("Username"), validators=[
        DataRequired(), Length(max=60),
        Regexp(r"^[A-Za-z0-9_.-]+$", message=_l("Use letters, digits, dot, dash or underscore."))])
    display_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    role = SelectField(_l("Role"), choices=Role.choices, validators=[DataRequired()])
    unit_id = SelectField(_l("Unit (handlers)"), coerce=lambda v: int(v) if v else None, validate_choice=False)
    areas = SelectMultipleField(_l("Areas (inspectors)"), coerce=int, validate_choice=False)
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    password = PasswordField(_l("Password"), validators=[Optional(), Length(min=MIN_PASSWORD_LENGTH, max=200)])
    active = BooleanField(_l("Active"), default=True)

    def __init__(self, *args, is_new=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.is_new = is_new

    def validate_password(self, field):
        if self.is_new and not field.data:
            raise ValidationError(_l("A new account needs a password."))

    def validate_unit_id(self, field):
        if self.role.data == Role.HANDLER.value and not field.data:
            raise ValidationError(_l("A unit handler must belong to a unit."))

    def validate_areas(self, field):
        if self.role.data == Role.INSPECTOR.value and not field.data:
            raise ValidationError(_l("A grid inspector must be assigned at least one area."))
