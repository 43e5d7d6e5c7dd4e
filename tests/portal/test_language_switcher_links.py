"""The language switcher's links keep the page's query, whatever a visitor typed into it (found by tests/fuzz)."""
import re

import pytest


def switcher_links(page):
    return re.findall(r'<a href="([^"]+)" hreflang="', page)


def test_a_query_parameter_named_like_a_part_of_the_address_keeps_the_page(client):
    response = client.get("/board/honours/2026-11?month=x")

    assert response.status_code in (200, 404)  # was 500: the query's month replaced the address's month
    links = switcher_links(response.get_data(as_text=True))
    assert sorted(links) == ["/board/honours/2026-11?lang=en", "/board/honours/2026-11?lang=zh_Hant"]


@pytest.mark.parametrize("query", ["endpoint=auth.login", "_external=1", "_scheme=javascript", "_anchor=x",
                                   "_method=POST"])
def test_url_options_typed_into_the_query_are_not_followed(client, query):
    response = client.get(f"/board/?{query}")

    assert response.status_code == 200  # endpoint= and _scheme= were 500s
    links = switcher_links(response.get_data(as_text=True))
    assert len(links) == 2 and all(link.startswith("/board/?lang=") for link in links)
