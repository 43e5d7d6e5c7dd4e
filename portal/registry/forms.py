"""Input shapes for the registry console pages."""
import json

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, FloatField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from portal.forms import BaseForm
from portal.registry.models import MAX_SYNONYMS, AreaLevel, CategoryKind, PointKind, UnitKind

CODE_RULE = Regexp(r"^[A-Za-z0-9_.-]+$", message=_l("Use letters, digits, dot, dash or underscore."))

# Messages for RegistryError codes raised by the services.
ERROR_MESSAGES = {
    "cycle": _l("An area cannot be placed under itself or one of its sub-areas."),
    "group": _l("Choose a top-level group as the parent."),
    "urgent": _l("The urgent limit must not be longer than the normal limit."),
    "scope": _l("A rule applies to an area or to a point, not both."),
    "duplicate_rule": _l("A rule for this category and scope already exists."),
    "code_taken": _l("This code is already in use."),
    "point_unknown": _l("No active point has this code."),
    "questions": _l("Extra questions must be a JSON list of {key, label, type: text|choice|yesno, choices}."),
}


class JSONField(TextAreaField):
    """A textarea holding JSON: shown pretty-printed, parsed on submit (bad JSON is a field error)."""

    def _value(self):
        if isinstance(self.data, (list, dict)):
            return json.dumps(self.data, ensure_ascii=False, indent=2)
        return self.data or ""

    def process_formdata(self, valuelist):
        raw = (valuelist[0] if valuelist else "").strip()
        if len(raw) > 20000:
            raise ValueError(ERROR_MESSAGES["questions"])
        if not raw:
            self.data = None
            return
        try:
            self.data = json.loads(raw)
        except ValueError:
            self.data = raw
            raise ValueError(ERROR_MESSAGES["questions"]) from None


def optional_int(value):
    return int(value) if value not in (None, "", "None") else None


def id_select(label, required=False):
    validators = [DataRequired()] if required else [Optional()]
    return SelectField(label, coerce=optional_int, validators=validators, validate_choice=False)


class NamedForm(BaseForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40), CODE_RULE])
    name = StringField(_l("Name (简体)"), validators=[DataRequired(), Length(max=200)])
    name_zh_hant = StringField(_l("Name (繁體, optional)"), validators=[Optional(), Length(max=200)])
    name_en = StringField(_l("Name (English, optional)"), validators=[Optional(), Length(max=200)])
    active = BooleanField(_l("Active"), default=True)


class AreaForm(NamedForm):
    level = SelectField(_l("Level"), choices=AreaLevel.choices)
    parent_id = id_select(_l("Parent area"))
    office_unit_id = id_select(_l("Territorial office (属地单位)"))


class UnitForm(NamedForm):
    kind = SelectField(_l("Kind"), choices=UnitKind.choices)
    area_id = id_select(_l("Area of jurisdiction"))
    contact_name = StringField(_l("Contact person"), validators=[Optional(), Length(max=100)])
    contact_phone = StringField(_l("Contact phone"), validators=[Optional(), Length(max=40)])


class PointForm(NamedForm):
    kind = SelectField(_l("Kind"), choices=PointKind.choices)
    area_id = id_select(_l("Area"), required=True)
    owner_unit_id = id_select(_l("Owner unit"))
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    latitude = FloatField(_l("Latitude"), validators=[Optional(), NumberRange(-90, 90)])
    longitude = FloatField(_l("Longitude"), validators=[Optional(), NumberRange(-180, 180)])


def _stripped_or_none(value):
    return value.strip() or None if isinstance(value, str) else value


class CategoryForm(NamedForm):
    parent_id = id_select(_l("Group (empty for a top-level group)"))
    kind = SelectField(_l("Kind"), choices=CategoryKind.choices)
    limit_hours = IntegerField(_l("Handling limit, working hours"), default=24,
                               validators=[DataRequired(), NumberRange(1, 2000)])
    urgent_limit_hours = IntegerField(_l("Urgent limit, working hours (empty: no urgent track)"),
                                      validators=[Optional(), NumberRange(1, 2000)])
    sort_order = IntegerField(_l("Sort order"), default=0, validators=[Optional(), NumberRange(0, 10000)])
    questions = JSONField(_l("Extra questions asked when reporting (JSON, optional)"),
                          validators=[Optional()], render_kw={"rows": 6})
    synonyms = TextAreaField(
        _l("Synonyms: other words residents search with, e.g. 厕所、卫生间 (optional)"), filters=[_stripped_or_none],
        validators=[Optional(),
                    Length(max=MAX_SYNONYMS, message=_l("Please keep the synonyms under %(max)d characters."))],
        render_kw={"rows": 2})


class RoutingRuleForm(BaseForm):
    category_id = id_select(_l("Category or group"), required=True)
    area_id = id_select(_l("Area (empty: whole city)"))
    point_code = StringField(_l("Point code (instead of an area)"), validators=[Optional(), Length(max=40)])
    unit_id = id_select(_l("Responsible unit"), required=True)
    note = StringField(_l("Note"), validators=[Optional(), Length(max=300)])
    active = BooleanField(_l("Active"), default=True)


class RouteTestForm(BaseForm):
    class Meta:
        csrf = False  # a read-only query form

    category_id = id_select(_l("Category"), required=True)
    point_code = StringField(_l("Point code"), validators=[Optional(), Length(max=40)])
    area_id = id_select(_l("Area"))
