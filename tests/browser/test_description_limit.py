"""A resident pastes a description longer than the limit: everything stays in the box and the page says by how much
it is over, before and after sending."""
from complaints.services import MAX_DESCRIPTION
from tests.factories import make_area, make_category


def test_a_long_paste_is_kept_whole_and_the_page_says_how_much_is_over(live_server, phone):
    make_area("示范区")
    make_category(limit_hours=8)
    page = phone.new_page()
    page.goto(live_server.url + "/report?lang=en")
    pasted = "垃" * (MAX_DESCRIPTION + 100)

    page.fill("#description", pasted)

    assert len(page.input_value("#description")) == MAX_DESCRIPTION + 100  # nothing cut
    assert page.inner_text("#description-count") == str(MAX_DESCRIPTION + 100)
    assert page.inner_text("#description-over").startswith("100 characters too many")
