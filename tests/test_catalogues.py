"""Every user-visible string exists in zh_Hans, zh_Hant and en, and the catalogues match the code."""
from portal.catalogues import problems


def test_catalogues_are_complete_and_current():
    found = problems()
    assert found == [], "run `make translations` and translate:\n" + "\n".join(found[:40])
