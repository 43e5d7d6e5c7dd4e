"""The results page shows each question as its type says: the satisfied levels of a satisfaction question in green,
a text question as the number who answered (their words are in the responses export), an area question only with
the areas that have answers."""
import re

from portal.auth.models import Role
from portal.extensions import db
from surveys.answering import submit_response
from tests.factories import make_user
from tests.surveys.factories import key, make_survey, satisfaction, single, text


def test_each_question_is_shown_as_its_type_says(app, client, login):
    survey = make_survey([satisfaction(), single(), text()])
    # six answers: levels 1, 2, 3, 1, 2, 3 (满意, 基本满意, 不满意); two leave a comment
    for i in range(6):
        answers = {"overall": [str(1 + i % 3)], "age": ["a"]}
        if i < 2:
            answers["comment"] = [f"意见{i}"]
        submit_response(survey, answers, idempotency_key=key())
    db.session.commit()
    login(make_user(Role.LEADER))
    html = client.get(f"/console/surveys/{survey.id}/results?lang=en").get_data(as_text=True)
    overall, age, comment = re.split(r'<h3 class="h6">\d\. ', html)[1:4]
    bars = re.compile(r'ms-bar-fill (bg-\w+)" height="14" width="([\d.]+)%"')
    # 满意 and 基本满意 count as satisfied (green), 不满意 does not; a third of the answers each
    assert bars.findall(overall) == [("bg-success", "33.3"), ("bg-success", "33.3"), ("bg-primary", "33.3")]
    # a single choice has no satisfied levels: all its options in blue, the unchosen ones too
    assert bars.findall(age) == [("bg-primary", "100.0"), ("bg-primary", "0.0"), ("bg-primary", "0.0")]
    assert "2 answered (see the responses export)" in comment and not bars.findall(comment)
    assert "answered (see the responses export)" not in overall + age
