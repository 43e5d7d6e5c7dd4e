"""The receipt's wording matches its layout: the advice comes before the two numbers it talks about."""
from complaints.views import SESSION_CODES
from tests.factories import make_case


def test_the_receipt_points_down_to_the_two_numbers_below_its_advice(app, english_client):
    case = make_case()
    with english_client.session_transaction() as session:  # the browser that sent the report
        session[SESSION_CODES] = {case.number: case.query_code}

    page = english_client.get(f"/report/receipt/{case.number}").get_data(as_text=True)

    advice = page.index("Keep the two numbers below.")
    assert advice < page.index('id="case-number"') < page.index('id="query-code"')
    assert "above" not in page
