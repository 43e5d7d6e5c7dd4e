"""Every user-visible string exists in zh_Hans, zh_Hant and en, and the catalogues match the code."""
from portal.catalogues import problems


def test_catalogues_are_complete_and_current(source_message_keys):
    found = problems(source_message_keys)
    assert found == [], "run `make translations` and translate:\n" + "\n".join(found[:40])


def test_a_translation_with_a_lone_percent_sign_is_reported():
    from portal.catalogues import _formats

    assert _formats("结案率 %(rate).1f%%") and _formats("90％分位") and _formats("目标（%%）")
    assert not _formats("90%分位处置时长")  # the page would raise ValueError when the template formats it
