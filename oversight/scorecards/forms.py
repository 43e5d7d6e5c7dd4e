"""Input shapes of the scorecard pages: the period picker and the composite-index rule."""
from flask_babel import lazy_gettext as _l
from wtforms import DateField, DecimalField, IntegerField, SelectField, StringField
from wtforms.validators import NumberRange, Optional

from oversight.scorecards.periods import KINDS, MAX_CUSTOM_DAYS, Period
from oversight.scorecards.rules import (
    DEFAULT_MIN_N,
    MISSING_DATA,
    MISSING_UNRANKED,
    MISSING_ZERO,
    SCOREABLE,
    SURVEY_SOURCES,
    source_label,
)
from portal.forms import BaseForm

KIND_LABELS = {
    "day": _l("Day"),
    "xun": _l("Ten days (旬)"),
    "month": _l("Month"),
    "quarter": _l("Quarter"),
    "year": _l("Year"),
    "custom": _l("Custom range"),
}


class PeriodForm(BaseForm):
    """The period picker (a GET form): a kind and any day inside the period, or the two ends of a custom range."""

    class Meta:
        csrf = False

    kind = SelectField(_l("Period"), choices=[(k, KIND_LABELS[k]) for k in KINDS], default="month")
    day = DateField(_l("A day in the period"), validators=[Optional()])
    start = DateField(_l("First day"), validators=[Optional()])
    end = DateField(_l("Last day"), validators=[Optional()])

    def period(self, today):
        """The chosen period, or None with the problems added to the fields."""
        if not self.validate():
            return None
        if self.kind.data == "custom":
            problems = False
            if self.start.data is None:
                self.start.errors.append(_l("Give the first day of the range."))
                problems = True
            if self.end.data is None:
                self.end.errors.append(_l("Give the last day of the range."))
                problems = True
            if problems:
                return None
            if self.start.data > self.end.data:
                self.end.errors.append(_l("The first day must not be after the last day."))
                return None
            if (self.end.data - self.start.data).days + 1 > MAX_CUSTOM_DAYS:
                self.end.errors.append(_l("A custom range covers at most %(days)d days.", days=MAX_CUSTOM_DAYS))
                return None
            if self.start.data > today:
                self.start.errors.append(_l("The period has not started yet."))
                return None
            return Period.custom(self.start.data, self.end.data)
        day = self.day.data or today
        if day > today:
            self.day.errors.append(_l("The period has not started yet."))
            return None
        return Period.containing(self.kind.data, day)

    def fill(self, period):
        """Show ``period`` in the picker."""
        self.kind.data = period.kind
        if period.kind == "custom":
            self.start.data, self.end.data = period.start, period.end
        else:
            self.day.data = period.start


def _rule_fields():
    fields = {}
    for name in SCOREABLE:
        fields[f"weight_{name}"] = IntegerField(validators=[Optional(), NumberRange(min=0, max=100)])
        fields[f"target_{name}"] = DecimalField(places=1, validators=[Optional(), NumberRange(min=0, max=100)])
        fields[f"veto_{name}"] = DecimalField(places=1, validators=[Optional(), NumberRange(min=0, max=100)])
    return fields


class RuleForm(BaseForm):
    """Weights (summing to 100), targets and veto lines, in percent, one row per figure; and how the version
    judges: a figure without data, the minimum n of a verdict, the survey method it uses."""

    note = StringField(_l("Why the change (kept with the version)"), validators=[Optional()])
    missing_data = SelectField(_l("A figure without data (e.g. no rated case)"), default=MISSING_ZERO,
                               choices=[(key, MISSING_DATA[key]) for key in (MISSING_ZERO, MISSING_UNRANKED)])
    verdict_min_n = IntegerField(_l("Fewest answers for a verdict on a target or veto line"), default=DEFAULT_MIN_N,
                                 validators=[NumberRange(min=1, max=100000)])
    survey_source = SelectField(_l("Survey 满意率 and 知晓率 judged by the method"), default=SURVEY_SOURCES[0],
                                choices=[(source, source_label(source)) for source in SURVEY_SOURCES])

    def judging(self):
        """The keyword arguments of ``rules.save_rule`` that say how the version judges."""
        return {"missing_data": self.missing_data.data, "verdict_min_n": self.verdict_min_n.data,
                "survey_source": self.survey_source.data}

    def parts(self):
        parts = []
        for name in SCOREABLE:
            weight = self[f"weight_{name}"].data
            if weight:
                target = self[f"target_{name}"].data
                parts.append({"name": name, "weight": int(weight),
                              "target": float(target) / 100 if target is not None else None})
        return parts

    def vetoes(self):
        return [{"name": name, "line": float(self[f"veto_{name}"].data) / 100}
                for name in SCOREABLE if self[f"veto_{name}"].data is not None]

    def fill(self, rule):
        for part in rule.parts:
            self[f"weight_{part['name']}"].data = part["weight"]
            if part.get("target") is not None:
                self[f"target_{part['name']}"].data = round(100 * part["target"], 1)
        for veto in rule.vetoes:
            self[f"veto_{veto['name']}"].data = round(100 * veto["line"], 1)
        # a version stored before the choice existed is shown with the choice that does not reward
        self.missing_data.data = rule.missing_data if rule.missing_data in (MISSING_ZERO, MISSING_UNRANKED) \
            else MISSING_ZERO
        self.verdict_min_n.data = rule.verdict_min_n
        self.survey_source.data = rule.survey_source


for _name, _field in _rule_fields().items():
    setattr(RuleForm, _name, _field)

