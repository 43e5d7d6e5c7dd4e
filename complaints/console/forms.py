"""Input shapes for the staff case console: list filters, bulk actions, each lifecycle step, hotline intake."""
from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from markupsafe import Markup
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import Select

from complaints.forms import phone_number
from complaints.handling import MAX_NOTE
from complaints.models import STAFF_CHANNELS, CaseState, Channel
from complaints.services import MAX_DESCRIPTION
from portal.city import SATISFACTION_SCALES
from portal.extensions import db
from portal.forms import BaseForm
from portal.i18n import picker_key
from portal.registry import services as registry
from portal.registry.models import Unit
from portal.registry.qr import MAX_DB_ID

BLANK = [("", "—")]
MAX_BULK = 200  # cases in one bulk step (a list page shows 50)

# Messages for the complaints services' CaseError codes (and a few of the console's own).
CASE_ERRORS = {
    "category": _l("Choose a category (not a group)."),
    "point": _l("This point is no longer active."),
    "place": _l("Give a point or an area."),
    "reason_required": _l("Give a reason."),
    "note_required": _l("Write a note."),
    "unit": _l("Choose an active unit."),
    "not_your_unit": _l("This case is not with your unit."),
    "extension_kind": _l("Choose whether to extend or to postpone."),
    "extension_hours": _l("Give the extra time in working hours (1 to 2000)."),
    "extension_pending": _l("A request for more time is already waiting for a decision."),
    "extension_decided": _l("This request has been decided already."),
    "no_extension": _l("There is no request for more time to decide."),
    "merge_self": _l("A case cannot be merged into itself or into its own duplicate."),
    "merge_target_closed": _l("The case to merge into is no longer open."),
    "merge_target_unknown": _l("No case has this number."),
    "already_rated": _l("This case has been rated already."),
    "rating": _l("Choose a rating on the city's scale."),
    "reopen_needs_dissatisfied": _l("Only a dissatisfied rating can ask for the case to be handled again."),
    "no_reopen_request": _l("The reporter has not asked for the case to be handled again."),
    "closed": _l("This case is closed."),
    "point_unknown": _l("No active point has this code."),
}

SUGGESTION_REASONS = {
    "point_rule": _l("a rule for this point"),
    "owner": _l("the point's owner unit (components go to their owner first)"),
    "area_rule": _l("the most specific area rule"),
    "territory": _l("the area's territorial office"),
    "sector_rule": _l("the citywide rule for the category"),
}


def optional_int(value):
    """A form value as an id, None when empty; ValueError (a field error) for anything a database id cannot be."""
    if value in (None, "", "None"):
        return None
    number = int(value)
    if not 0 < number <= MAX_DB_ID:
        raise ValueError("not an id")
    return number


def id_select(label, required=False):
    validators = [DataRequired()] if required else [Optional()]
    return SelectField(label, coerce=optional_int, validators=validators, validate_choice=False)


def unit_choices():
    units = db.session.execute(registry.search(Unit, active=True)).scalars()
    return BLANK + [(u.id, f"{u.display_name} ({u.code})") for u in units]


def grouped_category_choices(with_keys=False):
    """{group name: [(id, name)]} for a select with optgroups; only categories can be chosen. ``with_keys`` adds
    each option's ``data-keys`` for the quick picker (names in 简/繁/English, synonyms, pinyin and initials)."""
    choices = {}
    for group in registry.active_groups():
        label = group.display_name if group.display_name not in choices else f"{group.display_name} ({group.code})"
        choices[label] = [
            (c.id, c.display_name, {"data-keys": picker_key(c.name, c.name_zh_hant, c.name_en, c.synonyms,
                                                             group.name)}) if with_keys else (c.id, c.display_name)
            for c in group.children if c.active]
    return choices


class BlankFirstSelect(Select):
    """A select whose first option is blank ("Choose…"), so nothing is chosen until the operator chooses: a
    forgotten choice is an error, never the first category of the list."""

    def __init__(self, placeholder):
        super().__init__()
        self.placeholder = placeholder

    def __call__(self, field, **kwargs):
        html = super().__call__(field, **kwargs)
        opening, rest = html.split(">", 1)
        blank = self.render_option("", str(self.placeholder), field.data in (None, ""))
        return Markup(f"{opening}>{blank}{rest}")


def rating_choices(scale):
    return [(level, str(label)) for level, label in enumerate(SATISFACTION_SCALES[scale], start=1)]


# ---------------------------------------------------------------- the list

class CaseFilterForm(BaseForm):
    class Meta:
        csrf = False  # a read-only query form

    q = StringField(_l("Number or description"), validators=[Optional(), Length(max=100)])
    state = SelectField(_l("State"), validators=[Optional()], validate_choice=False,
                        choices=lambda: [("", _l("Any state")), ("open", _l("Open"))] + CaseState.choices())
    overdue = BooleanField(_l("Overdue only"))
    amber = BooleanField(_l("Nearly due (黄灯) only"))
    followup_due = BooleanField(_l("Waiting for a follow-up (回访) only"))
    unit = id_select(_l("Unit"))
    area = id_select(_l("Area"))
    category = id_select(_l("Category"))
    channel = SelectField(_l("Channel"), validators=[Optional()], validate_choice=False,
                          choices=lambda: [("", _l("Any channel"))] + Channel.choices())
    created_from = DateField(_l("Reported from"), validators=[Optional()])
    created_to = DateField(_l("Reported until"), validators=[Optional()])


class SavedFilterForm(BaseForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=60)])
    query = HiddenField()


class BulkForm(BaseForm):
    action = SelectField(_l("Action"), choices=[("dispatch", _l("Dispatch to")), ("merge", _l("Merge into"))])
    cases = SelectMultipleField(_l("Cases"), coerce=optional_int, validate_choice=False,
                                validators=[DataRequired(message=_l("Select at least one case."))])
    unit = id_select(_l("Unit"))
    target = StringField(_l("Case number to merge into"), validators=[Optional(), Length(max=20)])

    def validate_cases(self, field):
        if len(field.data) > MAX_BULK:
            raise ValidationError(_l("Select at most %(count)d cases at a time.", count=MAX_BULK))


# ---------------------------------------------------------------- lifecycle steps

class ConfirmForm(BaseForm):
    """A step without input (accept)."""


class FileForm(BaseForm):
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=MAX_NOTE)])


class ReasonForm(BaseForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=500)])


class DispatchForm(BaseForm):
    unit = id_select(_l("Responsible unit"), required=True)
    note = TextAreaField(_l("Instructions for the unit (optional)"), validators=[Optional(), Length(max=MAX_NOTE)])


class NoteForm(BaseForm):
    note = TextAreaField(_l("Note"), validators=[DataRequired(), Length(max=MAX_NOTE)])
    public = BooleanField(_l("Public: the reporter sees it on the tracking page"))


class RemarkForm(BaseForm):
    note = TextAreaField(_l("Note"), validators=[DataRequired(), Length(max=MAX_NOTE)])


class HandleForm(BaseForm):
    note = TextAreaField(_l("What was done"), validators=[DataRequired(), Length(max=MAX_NOTE)])
    photos = MultipleFileField(_l("Photos after handling"), render_kw={"accept": "image/*"})


class ExtensionForm(BaseForm):
    kind = SelectField(_l("Request"), choices=[("extend", _l("Extend the time limit by some working hours")),
                                               ("postpone", _l("Postpone (缓办): take the case off the clock"))])
    hours = IntegerField(_l("Extra working hours"), validators=[Optional(), NumberRange(1, 2000)])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=500)])


class VerifyForm(BaseForm):
    result = RadioField(_l("Result"), choices=[("pass", _l("Passed: close the case")),
                                               ("fail", _l("Failed: send back for rework"))],
                        validators=[InputRequired()])
    note = TextAreaField(_l("Outcome for the reporter, or what must be redone"),
                         validators=[DataRequired(), Length(max=MAX_NOTE)])


class DecideExtensionForm(BaseForm):
    decision = RadioField(_l("Decision"), choices=[("approve", _l("Approve")), ("deny", _l("Deny"))],
                          validators=[InputRequired()])
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=500)])


class MergeForm(BaseForm):
    target = StringField(_l("Number of the case it duplicates"), validators=[DataRequired(), Length(max=20)])


class FollowupForm(BaseForm):
    rating = SelectField(_l("Rating"), coerce=optional_int, validators=[DataRequired()])
    comment = TextAreaField(_l("What the reporter said (optional)"), validators=[Optional(), Length(max=500)])
    ask_reopen = BooleanField(_l("The reporter asks for it to be handled again"))


# ---------------------------------------------------------------- hotline intake

class IntakeForm(BaseForm):
    channel = SelectField(_l("Channel"), default=Channel.HOTLINE.value,
                          choices=lambda: [(c.value, c.label) for c in STAFF_CHANNELS])
    reporter_phone = StringField(_l("Caller's phone"), validators=[Optional(), Length(max=30), phone_number],
                                 render_kw={"autofocus": True, "inputmode": "tel", "autocomplete": "off"})
    reporter_name = StringField(_l("Caller's name"), validators=[Optional(), Length(max=60)],
                                render_kw={"autocomplete": "off"})
    anonymous = BooleanField(_l("Keep confidential: store no name or phone"))
    point_code = StringField(_l("Point (code or name)"), validators=[Optional(), Length(max=200)],
                             render_kw={"list": "point-options", "autocomplete": "off"})
    area = id_select(_l("Or the area"))
    location_text = StringField(_l("Address or landmark as told"), validators=[Optional(), Length(max=300)])
    category = SelectField(_l("Category"), coerce=optional_int,
                           validators=[DataRequired()],
                           widget=BlankFirstSelect(_l("Choose a category…")))
    description = TextAreaField(_l("What the caller reports"),
                                validators=[DataRequired(), Length(max=MAX_DESCRIPTION)], render_kw={"rows": 4})
    urgent = BooleanField(_l("Urgent"))
    file_now = BooleanField(_l("File the case now (立案)"))
    idempotency_key = HiddenField(validators=[DataRequired(), Length(max=64)])
