"""What one survey submission costs the database: a bound on the SQL statements of the respondent's POST, so that
a change that adds queries to the busiest survey path shows here (``make bench`` measures the throughput)."""
import re

from portal.extensions import db
from surveys.models import QuotaAction
from surveys.response_models import SurveyResponse
from tests.factories import make_area
from tests.sqlcount import recorded_statements as statements
from tests.surveys.factories import make_survey, matrix, satisfaction, single

# The survey, its area link and the idempotency key are read (an opened survey's questions only once per
# process); inside a savepoint (2) the area's count is bumped, the response and its answers are inserted and the
# tallies upserted. Nothing is read again after the commit: the receipt uses what the request already had.
SUBMIT_STATEMENTS = 9


def submit(client, survey, link):
    page = client.get(f"/surveys/{survey.slug}/a/{link}").get_data(as_text=True)
    form = re.search(r'name="form" value="([^"]+)"', page).group(1)
    answers = {"q-overall": "1", "q-age": "b", **{f"q-aspects-i{n}": "2" for n in range(1, 5)}}
    return lambda: client.post(f"/surveys/{survey.slug}", data={"form": form, "area": link, **answers})


def test_a_submission_takes_at_most_nine_statements(app, served):
    areas = [make_area("东城区"), make_area("西城区")]
    survey = make_survey([satisfaction(), matrix(), single()],
                         areas=[(area, None, 50000, QuotaAction.WARN) for area in areas])
    link = survey.areas[0].key
    client = served.test_client()
    assert submit(client, survey, link)().status_code == 303  # the first request reads the settings once

    send = submit(client, survey, link)
    with statements(served) as seen:
        response = send()

    assert response.status_code == 303 and "/done/" in response.headers["Location"]
    assert len(seen) <= SUBMIT_STATEMENTS, "\n".join(seen)
    assert db.session.scalar(db.select(db.func.count()).select_from(SurveyResponse)) == 2
    done = client.get(response.headers["Location"])
    assert done.status_code == 200


def test_an_opened_surveys_questions_are_read_once_per_process(app, served):
    survey = make_survey([satisfaction(), matrix(), single()], areas=[(make_area("东城区"), None, 50000,
                                                                        QuotaAction.WARN)])
    link = survey.areas[0].key
    client = served.test_client()
    first, second = submit(client, survey, link), submit(client, survey, link)

    with statements(served) as seen:
        assert first().status_code == 303
    assert any("FROM survey_questions" in sql for sql in seen)  # this process had not read them yet
    with statements(served) as seen:
        assert second().status_code == 303

    assert not any("FROM survey_questions" in sql for sql in seen), "\n".join(seen)
    assert db.session.scalar(db.select(db.func.count()).select_from(SurveyResponse)) == 2
