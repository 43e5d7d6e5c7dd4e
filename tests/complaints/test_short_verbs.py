"""Short verbs on buttons are translated in their context: 立案 "File" is a verb on a case, never 文件."""
from portal.auth.models import Role
from portal.catalogues import CONTEXT_SEPARATOR
from tests.factories import make_case, make_user


def test_the_case_page_offers_to_file_the_case_as_立案_not_文件(client, login):
    case = make_case()
    login(make_user(Role.DISPATCHER))
    client.set_cookie("lang", "zh_Hans")

    page = client.get(f"/console/cases/{case.number}").get_data(as_text=True)

    assert "立案</button>" in page and "文件" not in page


def test_the_registry_import_still_calls_a_file_a_file(source_message_keys):
    """The import report's column "File" (文件) is the noun; the case step is its own message in a context."""
    wanted = source_message_keys
    assert "File" in wanted and f"case action{CONTEXT_SEPARATOR}File" in wanted
    assert f"survey action{CONTEXT_SEPARATOR}Open" in wanted  # a survey opens (开放作答); a case is open (进行中)
