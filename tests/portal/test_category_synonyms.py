"""Category synonyms: residents search with their own words (厕所), admins keep the list in the registry console."""
from complaints.intake import search_categories
from portal.auth.models import Role
from portal.extensions import db
from portal.registry.models import Category
from portal.taxonomy import install_taxonomy
from tests.factories import make_category, make_user


def names(found):
    return [category.name for _group, category in found]


def test_a_search_for_a_synonym_finds_the_category_in_简体_and_繁體(app):
    install_taxonomy()
    db.session.commit()

    assert names(search_categories("厕所")) == ["公厕问题（脏/坏/异味）"]
    assert names(search_categories("廁所")) == ["公厕问题（脏/坏/异味）"]  # 繁體 typed, same key
    assert "路灯不亮" in names(search_categories("streetlight"))


def test_an_admin_adds_a_synonym_in_the_console_and_the_search_uses_it_at_once(client, login):
    group = make_category("市政设施", as_group=True)
    lamp = make_category("路灯不亮", parent=group)
    db.session.commit()
    assert names(search_categories("黑灯")) == []
    login(make_user(Role.ADMIN))

    form = client.get(f"/console/categories/{lamp.id}/edit").get_data(as_text=True)
    assert 'name="synonyms"' in form
    response = client.post(f"/console/categories/{lamp.id}/edit", data={
        "code": lamp.code, "name": "路灯不亮", "parent_id": str(group.id), "kind": lamp.kind.value,
        "limit_hours": "24", "sort_order": "0", "active": "y", "synonyms": "  黑灯、灯坏了  "})

    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert db.session.get(Category, lamp.id).synonyms == "黑灯、灯坏了"
    assert names(search_categories("黑灯")) == ["路灯不亮"]


def test_synonyms_longer_than_the_limit_are_refused_with_a_message(client, login):
    group = make_category("市政设施", as_group=True)
    lamp = make_category("路灯不亮", parent=group)
    db.session.commit()
    login(make_user(Role.ADMIN))
    client.set_cookie("lang", "en")

    response = client.post(f"/console/categories/{lamp.id}/edit", data={
        "code": lamp.code, "name": "路灯不亮", "parent_id": str(group.id), "kind": lamp.kind.value,
        "limit_hours": "24", "sort_order": "0", "active": "y", "synonyms": "灯" * 301})

    assert "Please keep the synonyms under 300 characters." in response.get_data(as_text=True)
    assert db.session.get(Category, lamp.id).synonyms is None
