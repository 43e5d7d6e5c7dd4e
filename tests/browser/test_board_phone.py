"""The exposure board and the 红黑榜 on a 390 px phone, in the three languages: nothing wider than the screen, unit
names readable, and every row says which district its grid cell is in."""
import pytest

from tests.browser.conftest import horizontal_overflow

LANGUAGES = ("zh_Hans", "zh_Hant", "en")


@pytest.fixture
def demo(demo_city, live_server):
    return live_server


def test_the_board_and_the_red_and_black_lists_fit_a_phone_in_every_language(demo, phone):
    page = phone.new_page()
    for lang in LANGUAGES:
        for path in ("/board/", "/board/honours/"):
            page.goto(f"{demo.url}{path}?lang={lang}")
            assert horizontal_overflow(page) == 0, (lang, path)


def test_unit_names_in_the_red_and_black_lists_are_not_one_character_per_line(demo, phone):
    page = phone.new_page()
    for lang in LANGUAGES:
        page.goto(f"{demo.url}/board/honours/?lang={lang}")
        cells = page.locator(".ms-board .ms-table tbody td:first-child, .ms-board .ms-table tbody th:first-child")
        assert cells.count() > 0
        widest_line = page.evaluate("""() => Math.min(...[...document.querySelectorAll(
            '.ms-board .ms-table tbody tr > :first-child')].map(c => c.getBoundingClientRect().width))""")
        font = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.ms-board .ms-table td')).fontSize)")
        assert widest_line >= 5 * font, (lang, widest_line, font)  # room for a 5-character unit name per line


def test_board_rows_name_the_district_of_their_grid_cell(demo, phone):
    page = phone.new_page()
    page.goto(f"{demo.url}/board/?lang=zh_Hans")
    metas = page.locator(".bd-row .bd-row__meta").all_inner_texts()
    grid_rows = [m for m in metas if "网格" in m]
    assert grid_rows and all(("区" in m.split("网格")[0] or "县" in m.split("网格")[0]) for m in grid_rows), grid_rows
