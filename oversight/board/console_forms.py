"""Input shapes for the board's console pages, and the messages for the board services' error codes."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from complaints.console.forms import BLANK, grouped_category_choices, id_select, unit_choices
from oversight.board.models import AppealDecision, EditorialState, EntryMilestone, ItemKind, RectificationStatus
from oversight.board.redaction import MAX_BOXES
from oversight.board.rules import MAX_LOCATION, MAX_REASON, MAX_TEXT, MAX_TITLE
from portal.forms import BaseForm
from portal.registry import services as registry
from portal.templating import localtime

BOARD_ERRORS = {
    "forbidden": _l("Your role may not take this step."),
    "state": _l("This step is not possible in the item's current state."),
    "required": _l("This field is required."),
    "too_long": _l("This text is too long."),
    "found_in_future": _l("The date found cannot be in the future."),
    "deadline_before_found": _l("The deadline cannot be before the date found."),
    "unit_required": _l("An item about a unit needs the responsible unit."),
    "place_required": _l("Give an area, a point or the responsible unit."),
    "no_cases": _l("Give at least one case number."),
    "too_many_cases": _l("Give at most 50 case numbers."),
    "unknown_cases": _l("No case has these numbers: %(numbers)s"),
    "candidate_decided": _l("This candidate has been used or dismissed already."),
    "photo_copy": _l("The case photos could not be copied; nothing was created. Please try again."),
    "taken_down": _l("The item has been taken down; it can no longer be changed."),
    "entry_in_future": _l("A follow-up cannot be dated in the future."),
    "entry_before_found": _l("A follow-up cannot be dated before the problem was found."),
    "photo_locked": _l("Photos of a published item cannot be removed; take the item down instead."),
    "reporter_identity": _l("The text shows the name or phone of a resident who reported the problem. Remove it: "
                            "the board never exposes who reported."),
    "confirm_warnings": _l("The text contains phone or ID numbers. Check them and confirm before publishing."),
    "photos_unredacted": _l("Every photo must be redacted (or confirmed as having nothing to blur) before "
                            "publication."),
    "appeal_open": _l("The unit's appeal must be decided first."),
    "no_notice": _l("The unit has not been notified yet."),
    "notice_period": _l("The unit's notice period has not ended yet (until %(until)s), and no appeal has been "
                        "decided."),
    "not_your_unit": _l("This item is not about your unit."),
    "appeal_decided": _l("This appeal has been decided already."),
    "confirm_nothing": _l("Draw the boxes to blur, or confirm that there is nothing to blur."),
    "photo_missing": _l("The original photo file is missing."),
}

# The editorial trail's actions, as the item page names them.
ACTIONS = {
    "create": _l("Draft created"),
    "edit": _l("Edited"),
    "entry": _l("Follow-up added"),
    "submit": _l("Submitted for review; unit notified"),
    "send_back": _l("Sent back to draft"),
    "publish": _l("Published"),
    "archive": _l("Archived"),
    "take_down": _l("Taken down"),
    "redact": _l("Photo redacted"),
    "remove_photo": _l("Photo removed"),
    "appeal": _l("Appeal filed by the unit"),
    "appeal_withdrawn": _l("Appeal accepted: item withdrawn"),
    "appeal_corrected": _l("Appeal accepted: item corrected"),
    "appeal_rejected": _l("Appeal rejected"),
}

REDACTION_ERRORS = {
    "format": _l("Write each box as four whole numbers: x, y, width, height."),
    "too_many": _l("Draw at most %(count)d boxes."),
    "size": _l("Each box needs a width and a height of at least 2 pixels."),
    "outside": _l("Each box must lie inside the picture."),
}


def error_message(error):
    """The reader's-language message for a BoardError (with its values filled in)."""
    text = BOARD_ERRORS.get(error.code)
    if text is None:
        return _("This step was refused.")
    if error.code == "unknown_cases":
        return str(text) % {"numbers": ", ".join(error.params.get("numbers", []))}
    if error.code == "notice_period":
        return str(text) % {"until": localtime(error.params.get("until"))}
    return str(text)


def category_choices():
    """Categories (not groups) as "group / category"."""
    return BLANK + [(cid, f"{group} / {name}") for group, pairs in grouped_category_choices().items()
                    for cid, name in pairs]


def area_choices():
    return BLANK + registry.area_choices()


# ---------------------------------------------------------------- the list

class ItemFilterForm(BaseForm):
    class Meta:
        csrf = False  # a read-only query form

    q = StringField(_l("Title"), validators=[Optional(), Length(max=100)])
    state = SelectField(_l("State"), validators=[Optional()], validate_choice=False,
                        choices=lambda: [("", _l("Any state"))] + EditorialState.choices())
    status = SelectField(_l("Rectification"), validators=[Optional()], validate_choice=False,
                         choices=lambda: [("", _l("Any"))] + RectificationStatus.choices())
    kind = SelectField(_l("Kind"), validators=[Optional()], validate_choice=False,
                       choices=lambda: [("", _l("Any kind"))] + ItemKind.choices())
    unit = id_select(_l("Unit"))
    area = id_select(_l("Area"))


# ---------------------------------------------------------------- items

class ItemForm(BaseForm):
    kind = SelectField(_l("Kind"), choices=lambda: ItemKind.choices(), default=ItemKind.PLACE.value)
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=MAX_TITLE)])
    title_en = StringField(_l("Title in English (optional)"), validators=[Optional(), Length(max=MAX_TITLE)])
    description = TextAreaField(_l("Description"), validators=[DataRequired(), Length(max=MAX_TEXT)],
                                render_kw={"rows": 5})
    description_en = TextAreaField(_l("Description in English (optional)"),
                                   validators=[Optional(), Length(max=MAX_TEXT)], render_kw={"rows": 3})
    unit = id_select(_l("Responsible unit"))
    area = id_select(_l("Area"))
    point_code = StringField(_l("Point code (optional)"), validators=[Optional(), Length(max=40)])
    category = id_select(_l("Category"))
    location_text = StringField(_l("Address or landmark"), validators=[Optional(), Length(max=MAX_LOCATION)])
    found_on = DateField(_l("Date found"), validators=[InputRequired()])
    deadline = DateField(_l("Rectification deadline"), validators=[Optional()])

    def fill_choices(self):
        self.unit.choices = unit_choices()
        self.area.choices = area_choices()
        self.category.choices = category_choices()
        return self


class EditItemForm(ItemForm):
    reason = TextAreaField(_l("Reason for the change (required once published)"),
                           validators=[Optional(), Length(max=MAX_REASON)], render_kw={"rows": 2})


class FromCasesForm(BaseForm):
    cases = StringField(_l("Case numbers, separated by commas"), validators=[DataRequired(), Length(max=2000)])
    kind = SelectField(_l("Kind"), default=ItemKind.PLACE.value,
                       choices=lambda: [(k.value, k.label) for k in ItemKind if k != ItemKind.PRAISE])
    title = StringField(_l("Title (optional: made from the place and category)"),
                        validators=[Optional(), Length(max=MAX_TITLE)])
    deadline = DateField(_l("Rectification deadline"), validators=[Optional()])


class EntryForm(BaseForm):
    milestone = SelectField(_l("Milestone"), choices=lambda: EntryMilestone.choices(),
                            default=EntryMilestone.UPDATE.value)
    reported_on = DateField(_l("Date"), validators=[InputRequired()])
    text = TextAreaField(_l("Follow-up report"), validators=[DataRequired(), Length(max=MAX_TEXT)],
                         render_kw={"rows": 3})
    text_en = TextAreaField(_l("In English (optional)"), validators=[Optional(), Length(max=MAX_TEXT)],
                            render_kw={"rows": 2})
    photos = MultipleFileField(_l("Photos"), render_kw={"accept": "image/*"})


class ReasonForm(BaseForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=MAX_REASON)], render_kw={"rows": 2})


class OptionalReasonForm(BaseForm):
    reason = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=MAX_REASON)],
                           render_kw={"rows": 2})


class ConfirmForm(BaseForm):
    """A step without input."""


class PublishForm(BaseForm):
    confirm_warnings = BooleanField(_l("I checked the phone and ID numbers the text check found; they may be "
                                       "published"))


class RedactForm(BaseForm):
    boxes = TextAreaField(_l("Boxes to blur: one per line as x, y, width, height (in pixels of the original)"),
                          validators=[Optional(), Length(max=MAX_BOXES * 40 + 100)], render_kw={"rows": 3})
    confirm_nothing = BooleanField(_l("There is nothing to blur on this photo"))


# ---------------------------------------------------------------- appeals and candidates

class AppealForm(BaseForm):
    statement = TextAreaField(_l("Statement"), validators=[DataRequired(), Length(max=MAX_TEXT)],
                              render_kw={"rows": 5})
    evidence = MultipleFileField(_l("Evidence photos (optional)"), render_kw={"accept": "image/*"})


class DecideAppealForm(BaseForm):
    decision = RadioField(_l("Decision"), validators=[InputRequired()],
                          choices=lambda: [(d.value, d.label) for d in AppealDecision])
    reason = TextAreaField(_l("Reason (shown to the unit)"), validators=[DataRequired(), Length(max=MAX_REASON)],
                           render_kw={"rows": 2})
    correction_note = TextAreaField(_l("Public correction note (when corrected)"),
                                    validators=[Optional(), Length(max=MAX_TEXT)], render_kw={"rows": 2})
    title = StringField(_l("Corrected title (optional)"), validators=[Optional(), Length(max=MAX_TITLE)])
    description = TextAreaField(_l("Corrected description (optional)"), validators=[Optional(), Length(max=MAX_TEXT)],
                                render_kw={"rows": 3})


class DismissForm(ReasonForm):
    pass
