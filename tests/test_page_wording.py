"""Every page in 简体 and 繁體 reads as its own language: no variant characters or mainland wording in 繁體, no
English, raw codes or ASCII punctuation in 简体. The pages are found by crawling the demo city as each role."""
import re

from tests.crawl import crawl_as_everyone, visible_text

# Characters and words a Taiwan-standard reader does not expect (s2t's variants, mainland vocabulary).
NOT_TRADITIONAL = re.compile(r"[隻覈爲裏衆臺羣啓着]|位置信息|網絡|搜索|信息")


def findings(pages, pattern, width=12):
    found = []
    for url, page in pages.items():
        text = visible_text(page)
        for match in pattern.finditer(text):
            found.append(f"{url}: …{text[max(0, match.start() - width):match.end() + width].strip()}…")
    return found


def test_traditional_pages_use_taiwan_standard_characters_and_words(app, demo_city):
    pages = crawl_as_everyone(app, "zh_Hant")

    assert len(pages) > 40  # public pages and every role's console
    found = findings(pages, NOT_TRADITIONAL)
    assert not found, "\n".join(sorted(set(found))[:40])


# In 简体: an ASCII colon after Chinese ("时段: "), a raw code in brackets ("自愿参与 (qr_open)"), two words for one
# thing (当地时间 beside 本地时间), English words where Chinese is due (the area levels "City", "District / county").
NOT_SIMPLIFIED = re.compile(r"[\u4e00-\u9fff）》”][:;](\s|$)|[(（]\s*[a-z]+(_[a-z]+)+\s*[)）]|当地时间|"
                            r"\b(City|District / county|Street / township|Community / village|Grid)\b")


def test_simplified_pages_use_chinese_words_and_punctuation(app, demo_city):
    pages = crawl_as_everyone(app, "zh_Hans")

    assert len(pages) > 40
    found = findings(pages, NOT_SIMPLIFIED)
    assert not found, "\n".join(sorted(set(found))[:60])


def test_the_console_header_names_the_user_and_role_without_nested_brackets(client, login):
    from portal.auth.models import Role
    from tests.factories import make_user

    login(make_user(Role.DISPATCHER, display_name="王芳"))
    client.set_cookie("lang", "en")

    page = client.get("/console/").get_data(as_text=True)

    assert "王芳 · Dispatcher (command centre)" in page and "王芳 (" not in page
