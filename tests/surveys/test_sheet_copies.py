"""``surveys.sheets`` keeps plain copies of Survey, SurveyArea and SurveyQuestion columns for answering: a column
added to one of those models must be either copied or named here as one that answering does not read."""
from dataclasses import fields

from surveys import sheets
from surveys.models import Survey, SurveyArea, SurveyQuestion

# Columns answering never reads: wording shown on pages, results settings, bookkeeping.
NOT_READ = {
    Survey: {"title", "title_en", "title_zh_hant", "intro", "intro_en", "intro_zh_hant", "scale_labels",
             "satisfied_levels", "target_percent", "awareness_headline", "show_answers", "previous_id", "version",
             "created_by_id", "created_at", "updated_at", "closed_at"},
    SurveyArea: {"population", "received"},  # the quota is counted in SQL; the population weights results
    SurveyQuestion: {"text", "text_en", "text_zh_hant", "help", "help_en", "help_zh_hant", "survey_id",
                     "section_id"},
}
COPIES = {Survey: sheets.SurveyRow, SurveyArea: sheets.LinkRow, SurveyQuestion: sheets.QuestionSpec}
NOT_COLUMNS = {sheets.QuestionSpec: {"in_quiz"}}  # worked out from the survey, not read from the question


def test_every_column_is_copied_or_named_as_not_read():
    for model, copy in COPIES.items():
        columns = {column.key for column in model.__table__.columns}
        copied = {field.name for field in fields(copy)} - NOT_COLUMNS.get(copy, set())
        assert columns - NOT_READ[model] == copied, (
            f"a new {model.__name__} column: copy it into {copy.__name__} or add it to NOT_READ")


def test_the_survey_row_copies_what_a_submission_checks():
    assert {field.name for field in fields(sheets.SurveyRow)} == {
        "id", "slug", "kind", "state", "method", "guarantee", "scale", "pass_percent", "starts_at", "ends_at",
        "opened_at"}
