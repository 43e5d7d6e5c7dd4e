"""Input shapes of the console's follow-up pages: turning a low-scoring item into a rectification case, and moving
a question of a draft survey to another section. (The builder's and respondents' forms are in forms.py.)"""
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from complaints.console.forms import BLANK, grouped_category_choices, optional_int
from complaints.services import MAX_DESCRIPTION
from portal.forms import BaseForm
from portal.registry import services as registry

# Messages for the SurveyError / CaseError codes these pages can meet (the rest are in forms.ERROR_MESSAGES).
FOLLOWUP_MESSAGES = {
    "area": _l("Choose an active area."),
    "description": _l("Describe the task (at most 2000 characters)."),
    "category": _l("Choose a category (not a group)."),
    "section": _l("Choose another section of this survey."),
}


class RectificationForm(BaseForm):
    """The case a leader makes from a low-scoring item: which category, where, and what to do."""

    item = HiddenField()  # <question id>:<item code>
    source = HiddenField()
    stratum = HiddenField()
    category = SelectField(_l("Category"), coerce=optional_int, validators=[DataRequired()], validate_choice=False)
    area = SelectField(_l("Area"), coerce=optional_int, validators=[DataRequired()], validate_choice=False)
    description = TextAreaField(_l("Task for the unit"), validators=[DataRequired(), Length(max=MAX_DESCRIPTION)],
                                render_kw={"rows": 8})

    def fill_choices(self):
        self.category.choices = grouped_category_choices()
        self.area.choices = BLANK + registry.area_choices()
        return self


class MoveQuestionForm(BaseForm):
    """Move a question of a draft survey to the end of another section."""

    section = SelectField(_l("Move to section"), coerce=optional_int, validators=[DataRequired()],
                          validate_choice=False)
