"""The taxonomy on the report form: the groups and types of problem a resident chooses from, finding them by name,
and each type's extra questions with the answers given (split from complaints/intake.py)."""
from dataclasses import dataclass

from flask_babel import gettext as _

from complaints.places import MAX_QUERY
from portal.extensions import db
from portal.i18n import localized, search_key
from portal.registry.models import Category

MAX_ANSWER = 200


def category_groups():
    """Active groups with their active categories, in taxonomy order: [(group, [category, ...])]."""
    rows = db.session.scalars(db.select(Category).where(Category.active.is_(True))
                              .order_by(Category.sort_order, Category.code)).all()
    children = {}
    for category in rows:
        if category.parent_id is not None:
            children.setdefault(category.parent_id, []).append(category)
    return [(group, children[group.id]) for group in rows if group.parent_id is None and group.id in children]


def search_categories(text):
    """Categories whose own name or whose group's name matches ``text`` in 简体, 繁體 or English."""
    key = search_key((text or "").strip()[:MAX_QUERY])
    found = []
    for group, categories in category_groups():
        group_matches = not key or key in group.search_key
        found.extend((group, c) for c in categories if group_matches or key in c.search_key)
    return found


@dataclass(frozen=True)
class Question:
    """One extra question of a category (Category.questions), ready for the form in the reader's language."""

    category_id: int
    key: str
    label: str
    type: str
    choices: tuple
    required: bool

    @property
    def field_name(self):
        return f"q-{self.category_id}-{self.key}"


def questions_of(category):
    """The category's extra questions; entries an admin got wrong are skipped rather than breaking the form."""
    questions = []
    for item in (category.questions or []) if category is not None else []:
        if not isinstance(item, dict) or not str(item.get("key") or "").strip():
            continue
        kind = item.get("type") if item.get("type") in ("text", "choice", "yesno") else "text"
        choices = []
        for choice in item.get("choices") or []:
            if isinstance(choice, dict):
                value = str(choice.get("value") or choice.get("label") or "")
                choices.append((value, localized(choice.get("label") or value, choice.get("label_zh_hant"),
                                                 choice.get("label_en"))))
            else:
                choices.append((str(choice), str(choice)))
        if kind == "yesno":
            choices = [("yes", _("Yes")), ("no", _("No"))]
        if kind == "choice" and not choices:
            kind = "text"
        label = localized(item.get("label") or item["key"], item.get("label_zh_hant"), item.get("label_en"))
        questions.append(Question(category.id, str(item["key"]).strip()[:40], label, kind, tuple(choices),
                                  bool(item.get("required"))))
    return questions


def read_answers(category, formdata):
    """The answers to ``category``'s questions in ``formdata``: ``(answers by key, errors by field name)``."""
    answers, errors = {}, {}
    for question in questions_of(category):
        value = (formdata.get(question.field_name) or "").strip()
        if not value:
            if question.required:
                errors[question.field_name] = _("Please answer: %(question)s", question=question.label)
            continue
        if question.type != "text" and value not in {v for v, _label in question.choices}:
            errors[question.field_name] = _("Please choose one of the answers to: %(question)s",
                                            question=question.label)
        elif len(value) > MAX_ANSWER:
            errors[question.field_name] = _("Please keep the answer under %(max)d characters.", max=MAX_ANSWER)
        else:
            answers[question.key] = value
    return answers, errors
