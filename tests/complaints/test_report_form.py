"""The report form's fields are bound once per process and copied for each request (portal/forms.py,
``KEEP_BOUND_FIELDS``): one request's data, errors and language never reach another's form."""
from werkzeug.datastructures import MultiDict

from complaints.forms import ReportForm
from portal.forms import BaseForm


def _form(app, data, language):
    with app.app_context(), app.test_request_context("/report", method="POST", data=data,
                                                     headers={"Cookie": f"lang={language}"}):
        form = ReportForm()
        form.validate()
        return form, str(form.description.label.text), [str(e) for e in form.description.errors]


def test_two_requests_forms_share_no_data_or_errors(app):
    first, _label, first_errors = _form(app, {"description": "  路灯不亮  ", "reporter_phone": "12"}, "zh_Hans")
    second, _label, second_errors = _form(app, {"description": ""}, "zh_Hans")

    assert first.description.data == "路灯不亮" and first_errors == []
    assert first.reporter_phone.errors  # not a phone number
    assert second.description.data == "" and len(second_errors) == 1
    assert second.reporter_phone.errors == [] and second.reporter_phone.data is None  # not sent
    assert first.description is not second.description
    assert first.description.errors == []  # the second form's error did not land on the first


def test_labels_and_messages_follow_each_requests_language(app):
    _form_en, label_en, errors_en = _form(app, {"description": ""}, "en")
    _form_zh, label_zh, errors_zh = _form(app, {"description": ""}, "zh_Hans")

    assert label_en == "What is the problem?" and errors_en == ["Please describe the problem."]
    assert label_zh == "遇到了什么问题？" and errors_zh == ["请描述问题。"]


def test_each_form_gets_its_own_csrf_field_and_meta(app):
    with app.test_request_context("/report", method="POST", data=MultiDict({"description": "x"})):
        one, two = ReportForm(), ReportForm()
        assert one.meta is not two.meta
        assert one.description.meta is one.meta and two.description.meta is two.meta
    assert ReportForm.KEEP_BOUND_FIELDS and not BaseForm.KEEP_BOUND_FIELDS
