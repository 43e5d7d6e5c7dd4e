"""The board's templates ask the item what it is (predicates on the model), never compare state strings."""
import pathlib
import re

from oversight.board.models import Candidate, EditorialState, ExposureItem

# Worked out by hand from DOMAIN.md's editorial lifecycle.
EXPECTED = {  # state: (before publication, in review, archived, taken down, public)
    "draft": (True, False, False, False, False),
    "review": (True, True, False, False, False),
    "published": (False, False, False, False, True),
    "archived": (False, False, True, False, True),
    "taken_down": (False, False, False, True, False),
}

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_every_editorial_state_answers_each_predicate(app):
    assert set(EXPECTED) == {state.value for state in EditorialState}
    for value, expected in EXPECTED.items():
        item = ExposureItem(state=EditorialState(value))
        assert (item.before_publication, item.in_review, item.is_archived, item.is_taken_down,
                item.is_public) == expected, value


def test_a_candidate_is_made_into_an_item_only_when_used_and_linked(app):
    assert Candidate(state="used", item_id=7).made_into_item
    assert not Candidate(state="used", item_id=None).made_into_item
    assert not Candidate(state="dismissed", item_id=None).made_into_item
    assert not Candidate(state="open", item_id=None).made_into_item


def test_no_template_compares_a_case_or_an_item_state_with_a_string():
    compared = re.compile(r"""\bstate(\.value)?\s*(==|!=|in|not in)\s*[('"]""")
    found = []
    for folder in ("complaints/templates", "oversight/board/templates"):
        for path in (ROOT / folder).rglob("*.html"):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if compared.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{number}")
    assert found == []
