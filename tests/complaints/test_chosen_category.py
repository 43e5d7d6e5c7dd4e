"""``ChosenCategory`` copies a few Category columns for the report form's hot path: a column added to Category
must be either copied or named here as one that checking and filing a report does not need."""
from dataclasses import fields

from complaints import intake
from portal.registry.models import Category

# Category columns the form's checks never read (names, search, ordering, bookkeeping); later steps such as
# dispatching load the Category itself (its limit_hours, for one).
NOT_NEEDED = {"code", "name", "name_en", "name_zh_hant", "search_key", "synonyms", "sort_order", "kind",
              "limit_hours", "created_at", "updated_at"}


def test_every_category_column_is_copied_or_named_as_not_needed():
    columns = {column.key for column in Category.__table__.columns}
    copied = {field.name for field in fields(intake.ChosenCategory)}
    assert copied == {"id", "active", "parent_id", "urgent_limit_hours", "questions"}
    assert columns - NOT_NEEDED == copied, "a new Category column: copy it into ChosenCategory or add it above"


def test_the_query_reads_the_copied_columns_in_the_copy_s_order():
    assert [column.key for column in intake._CHOSEN_CATEGORY.statement.selected_columns] == \
        ["id", "active", "parent_id", "urgent_limit_hours", "questions"]
