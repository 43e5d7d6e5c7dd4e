"""Surveys that resist stuffing: a cleared cookie is still the same device to the server, flagged responses are
held back from the headline (shown beside it, counted in only by a recorded decision), the speeder floor comes
from the questionnaire, only a sampling frame makes an answer sampled, and every figure says its guarantee."""
import csv
import hashlib
import hmac
import io
import re
from datetime import datetime, timedelta, timezone

import pytest

from oversight.scorecards.periods import Period
from oversight.scorecards.survey_figures import survey_figures
from portal.auth.models import AuditEntry, Role
from portal.city import get_city_settings
from portal.clock import utcnow
from portal.extensions import db
from surveys import guards
from surveys.answering import submit_response
from surveys.definition import SurveyError
from surveys.distribution import add_call_numbers, generate_tokens
from surveys.response_models import (
    Source,
    SurveyAnswer,
    SurveyCallNumber,
    SurveyExclusion,
    SurveyResponse,
    SurveyTally,
    SurveyToken,
)
from surveys.results.aggregates import survey_results
from surveys.results.quality import (
    count_flagged_in,
    exclude_responses,
    flag_responses,
    hold_flagged_back,
    include_responses,
)
from surveys.tallies import rebuild_tallies, tally_rows
from tests.factories import make_user
from tests.surveys.factories import key, make_survey, matrix, satisfaction, single

PHONE_UA = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Mobile/15E148 MicroMessenger/8.0.44 NetType/WIFI Language/zh_CN")
OTHER_UA = ("Mozilla/5.0 (Linux; Android 14; V2307A) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/111.0 "
            "Mobile Safari/537.36 MicroMessenger/8.0.47 NetType/WIFI Language/zh_CN")
NOW = datetime(2026, 11, 10, 2, 0, tzinfo=timezone.utc)  # 10:00 on 10 November in the city


def headline(survey, source=Source.SELF_SELECTED):
    rate = survey_results(survey).headline[source]
    return (rate.x, rate.n) if rate else (0, 0)


def honest(survey, levels, now=NOW, seconds=60):
    """Responses from different people: each its own cookie, network and browser."""
    for level in levels:
        n = next(_people)
        submit_response(survey, {"overall": [level]}, idempotency_key=key(), device_key=f"person-{n}",
                        fingerprint=f"fp-person-{n}", started_at=now - timedelta(seconds=seconds), now=now)
    db.session.commit()


_people = iter(range(1, 10**6))


def try_once(app, survey, level, address="203.0.113.7", agent=PHONE_UA):
    """One try of a script that clears its cookies: a fresh client (no cookie) on the same network."""
    client = app.test_client()
    environ = {"REMOTE_ADDR": address, "HTTP_USER_AGENT": agent}
    page = client.get(f"/surveys/{survey.slug}", environ_base=environ)
    assert "ms_device" in page.headers.get("Set-Cookie", "")  # a new cookie every time
    form = re.search(r'name="form" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    return client.post(f"/surveys/{survey.slug}", data={"form": form, "q-overall": level}, environ_base=environ)


@pytest.fixture
def a_minute_later(monkeypatch):
    """Submissions arrive a minute after the form was shown: no speeder floor is involved (1 answer → 2 s)."""
    monkeypatch.setattr("surveys.answering.utcnow", lambda: datetime.now(timezone.utc) + timedelta(seconds=60))


# ---------------------------------------------------------------- 11. once per device means something

def test_a_scripted_stuffing_run_moves_the_headline_by_at_most_one_response(app, a_minute_later):
    survey = make_survey(guarantee="device")
    honest(survey, ["1"] * 9 + ["3"], now=utcnow())
    assert headline(survey) == (9, 10)  # 90.0%

    for _try in range(50):
        assert try_once(app, survey, "3").status_code == 303  # every try is stored: nothing is lost

    assert db.session.scalar(db.select(db.func.count()).select_from(SurveyResponse)) == 60
    # The first try looks like a new device and counts; the 49 after it come from the same network and browser:
    # 9 satisfied of 11 = 81.8%, one response more than before, never 9 of 60 = 15.0%.
    assert headline(survey) == (9, 11)
    results = survey_results(survey)
    assert results.counts[Source.SELF_SELECTED]["held_back"] == 49
    with_flagged = results.with_flagged[Source.SELF_SELECTED]
    assert (with_flagged.x, with_flagged.n) == (9, 60)  # shown beside the headline
    assert results.flags["repeat"] == 49


def test_the_per_question_counts_leave_the_repeats_out_too(app, a_minute_later):
    survey = make_survey(guarantee="device")
    honest(survey, ["1", "1"], now=utcnow())
    for _try in range(5):
        try_once(app, survey, "3")
    # 2 honest "1" answers and the first try's "3"; the four repeats are not in the tallies.
    counts = {value: count for _q, _i, value, _s, _st, count in tally_rows(survey)}
    assert counts == {1: 2, 3: 1}


def test_another_browser_on_the_same_network_is_another_device(app, a_minute_later):
    survey = make_survey(guarantee="device")
    assert try_once(app, survey, "1", agent=PHONE_UA).status_code == 303
    assert try_once(app, survey, "2", agent=OTHER_UA).status_code == 303  # a family on one home network
    assert try_once(app, survey, "1", address="198.51.100.20").status_code == 303  # same phone model elsewhere
    assert headline(survey) == (3, 3)


def test_the_same_network_and_browser_a_day_later_counts_again(app):
    survey = make_survey(guarantee="device")
    for n, at in enumerate((NOW, NOW + timedelta(hours=23), NOW + timedelta(hours=48))):
        submit_response(survey, {"overall": ["1"]}, idempotency_key=key(), device_key=f"cookie-{n}",
                        fingerprint="fp-office", started_at=at - timedelta(seconds=60), now=at)
    db.session.commit()
    # 23 h after the first: within the 24 h window, a repeat; 48 h after: past it (25 h after the repeat too).
    assert [r.is_repeat for r in db.session.execute(
        db.select(SurveyResponse).order_by(SurveyResponse.id)).scalars()] == [False, True, False]


def test_open_and_token_surveys_are_not_checked_for_repeats(app):
    open_survey = make_survey()
    for _n in range(3):
        submit_response(open_survey, {"overall": ["1"]}, idempotency_key=key(), fingerprint="fp-kiosk", now=NOW)
    db.session.commit()
    assert headline(open_survey) == (3, 3)  # open: anyone, any number of times (its guarantee says so)


def test_the_fingerprint_is_keyed_and_never_the_address(app):
    with app.test_request_context():
        one = guards.fingerprint_of("203.0.113.7", PHONE_UA)
        assert one == guards.fingerprint_of("203.0.113.99", PHONE_UA)  # the same /24
        assert one != guards.fingerprint_of("203.0.113.7", OTHER_UA)
        assert "203.0.113" not in one and len(one) == 40
        assert guards.fingerprint_of(None, PHONE_UA) is None


def test_a_submission_keys_its_network_and_fingerprint_with_the_citys_key(app):
    key = get_city_settings().qr_key.encode()
    network = hmac.new(key, b"net:203.0.113.0/24", hashlib.sha256).hexdigest()[:40]  # by hand, as stored
    fingerprint = hmac.new(key, f"fingerprint:{network}|{PHONE_UA}".encode(), hashlib.sha256).hexdigest()[:40]
    with app.test_request_context():
        assert guards.network_and_fingerprint("203.0.113.7", f"  {PHONE_UA} ") == (network, fingerprint)
        assert guards.network_of("203.0.113.99") == network
        assert guards.fingerprint_of("203.0.113.99", PHONE_UA) == fingerprint
        assert guards.network_and_fingerprint("not an address", PHONE_UA) == (None, None)


def test_a_recorded_decision_counts_held_back_responses_in_and_can_be_undone(app):
    survey = make_survey(guarantee="device")
    honest(survey, ["1", "3"])
    for n in range(3):  # the same network and browser, three new cookies: two repeats
        submit_response(survey, {"overall": ["1"]}, idempotency_key=key(), device_key=f"c{n}", fingerprint="fp-x",
                        started_at=NOW - timedelta(seconds=60), now=NOW)
    db.session.commit()
    assert headline(survey) == (2, 3)
    repeats = db.session.execute(db.select(SurveyResponse.id).where(SurveyResponse.is_repeat)).scalars().all()
    with pytest.raises(SurveyError) as no_reason:
        count_flagged_in(survey, repeats, " ", actor=None)
    assert no_reason.value.code == "reason_required"

    leader = make_user(Role.LEADER)
    assert count_flagged_in(survey, repeats, "同一户家庭共用手机，核实为三人", actor=leader) == 2
    assert count_flagged_in(survey, repeats, "again", actor=leader) == 0  # a double tap changes nothing
    db.session.commit()
    assert headline(survey) == (4, 5)  # 2 + 2 satisfied of 3 + 2
    decisions = db.session.execute(db.select(SurveyExclusion)).scalars().all()
    assert [(d.decision, d.excluded, d.actor_id) for d in decisions] == [("flags", False, leader.id)] * 2
    assert db.session.execute(db.select(AuditEntry.action, AuditEntry.summary)
                              .where(AuditEntry.action == "count_flagged")).all() == [
        ("count_flagged", "同一户家庭共用手机，核实为三人")]

    assert hold_flagged_back(survey, repeats, "复核后不采信", actor=leader) == 2
    db.session.commit()
    assert headline(survey) == (2, 3)
    live = sorted(tally_rows(survey))
    rebuild_tallies(survey)
    assert sorted(tally_rows(survey)) == live  # the counts rebuilt from the answers agree


def test_excluding_a_held_back_response_leaves_the_counts_alone(app):
    survey = make_survey(guarantee="device")
    honest(survey, ["1"])
    for n in range(2):
        submit_response(survey, {"overall": ["3"]}, idempotency_key=key(), device_key=f"c{n}", fingerprint="fp-y",
                        started_at=NOW - timedelta(seconds=60), now=NOW)
    db.session.commit()
    repeat = db.session.execute(db.select(SurveyResponse.id).where(SurveyResponse.is_repeat)).scalar_one()
    exclude_responses(survey, [repeat], "刷票", actor=None)
    include_responses(survey, [repeat], "误操作", actor=None)
    db.session.commit()
    assert headline(survey) == (1, 2)  # the honest one and the first of fp-y; the repeat stays held back
    assert sorted(tally_rows(survey)) == sorted(_rebuilt(survey))


def _rebuilt(survey):
    rebuild_tallies(survey)
    return tally_rows(survey)


def test_the_scorecard_counts_what_the_survey_headline_counts(app):
    survey = make_survey(guarantee="device")
    honest(survey, ["1", "1", "1", "3"])
    for n in range(6):
        submit_response(survey, {"overall": ["3"]}, idempotency_key=key(), device_key=f"s{n}", fingerprint="fp-s",
                        started_at=NOW - timedelta(seconds=60), now=NOW)
    db.session.commit()
    figure = survey_figures([Period.containing("month", datetime(2026, 11, 10).date())], "city")[(0, 0)]["survey"][
        "self"]  # the open link: self-selected
    # 3 satisfied of 4 honest + the first of fp-s = 3 of 5 (60%), not 3 of 10; the five repeats are held back.
    assert (figure["x"], figure["n"]) == (3, 5)
    assert (figure["method"], figure["guarantee"]) == ("qr_open", "device")


# ---------------------------------------------------------------- 12. the speeder floor

def six_answers(level="1"):
    """A satisfaction question, a single choice and four matrix items (varied: not a straight line)."""
    return {"overall": [level], "age": ["b"], "aspects": {"i1": ["1"], "i2": ["2"], "i3": ["2"], "i4": ["1"]}}


def test_a_bot_majority_is_caught_by_the_questionnaires_own_floor(app):
    survey = make_survey([satisfaction(), single(), matrix()])
    for _n in range(12):  # bots: 1 s for six answers
        submit_response(survey, six_answers("3"), idempotency_key=key(), started_at=NOW - timedelta(seconds=1),
                        now=NOW)
    for seconds in (13, 45, 60):  # people: six answers need at least 6 × 2 = 12 s
        submit_response(survey, six_answers("1"), idempotency_key=key(),
                        started_at=NOW - timedelta(seconds=seconds), now=NOW)
    db.session.commit()
    assert headline(survey) == (3, 3)  # the 12 bots are held back as they arrive
    found = flag_responses(survey)
    db.session.commit()
    # Median of 15 durations (twelve 1 s, then 13, 45, 60) is 1 s: a third of it flags nothing, the floor all 12.
    assert found["median_seconds"] == 1 and found["speeders"] == 12
    assert headline(survey) == (3, 3)
    assert db.session.scalar(db.select(db.func.count()).select_from(SurveyResponse)
                             .where(SurveyResponse.is_speeder)) == 12


def test_a_batch_flag_moves_responses_out_of_and_back_into_the_counts(app):
    survey = make_survey()
    for n in range(3):  # one device three times within ten minutes: a burst once checked
        submit_response(survey, {"overall": ["3"]}, idempotency_key=key(), device_key="dev-1",
                        started_at=NOW - timedelta(seconds=60), now=NOW + timedelta(minutes=n))
    honest(survey, ["1"])
    assert headline(survey) == (1, 4)
    flag_responses(survey)
    db.session.commit()
    assert headline(survey) == (1, 1)
    assert {value: count for _q, _i, value, _s, _st, count in tally_rows(survey)} == {1: 1}
    db.session.execute(db.update(SurveyResponse).values(device_key=None))  # say the check is rerun on new data
    flag_responses(survey)
    db.session.commit()
    assert headline(survey) == (1, 4)
    assert sorted(tally_rows(survey)) == sorted(_rebuilt(survey))


# ---------------------------------------------------------------- 13. only a sampling frame is sampled

def test_only_a_phone_on_the_call_list_is_sampled(app):
    survey = make_survey(guarantee="phone", method="phone")
    added = add_call_numbers(survey, "13800138000\n 139-0013-9000 \n\n13800138000", actor=None)
    assert added == (2, 0)  # the repeated line is one number
    assert add_call_numbers(survey, "13800138000\n13700137000", actor=None) == (1, 1)
    db.session.commit()
    listed, _ = submit_response(survey, {"overall": ["1"]}, idempotency_key=key(),
                                phone_hash=guards.phone_hash("13900139000"))
    walked_up, _ = submit_response(survey, {"overall": ["3"]}, idempotency_key=key(),
                                   phone_hash=guards.phone_hash("13600136000"))
    db.session.commit()
    assert (listed.source, walked_up.source) == (Source.SAMPLED, Source.SELF_SELECTED)
    assert headline(survey, Source.SAMPLED) == (1, 1) and headline(survey) == (0, 1)
    stored = db.session.execute(db.select(SurveyCallNumber.phone_hash)).scalars().all()
    assert len(stored) == 3 and not any("1380013" in h for h in stored)


def test_a_bad_call_list_names_every_bad_line_and_stores_nothing(app):
    survey = make_survey(guarantee="phone", method="phone")
    with pytest.raises(SurveyError) as bad:
        add_call_numbers(survey, "13800138000\n12345\n\n1380013800x", actor=None)
    assert bad.value.code == "call_list_lines" and bad.value.problems == {"lines": [2, 4]}
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count()).select_from(SurveyCallNumber)) == 0
    qr = make_survey()
    with pytest.raises(SurveyError) as wrong_method:
        add_call_numbers(qr, "13800138000", actor=None)
    assert wrong_method.value.code == "call_list_method"


def test_a_verified_phone_on_a_telephone_survey_not_on_the_list_is_self_selected(app, client, monkeypatch):
    sent = []
    monkeypatch.setattr("surveys.guards._send_code", lambda phone, code, survey, locale: sent.append(code))
    survey = make_survey(guarantee="phone", method="phone")
    client.post(f"/surveys/{survey.slug}/phone", data={"phone": "13800138000"})
    client.post(f"/surveys/{survey.slug}/phone", data={"phone": "13800138000", "code": sent[0]})
    page = client.get(f"/surveys/{survey.slug}").get_data(as_text=True)
    form = re.search(r'name="form" value="([^"]+)"', page).group(1)
    assert client.post(f"/surveys/{survey.slug}", data={"form": form, "q-overall": "1"}).status_code == 303
    assert db.session.execute(db.select(SurveyResponse.source)).scalar_one() == Source.SELF_SELECTED


def test_an_admin_pastes_the_call_list_in_the_console(app, client, login):
    login(make_user(Role.ADMIN))
    survey = make_survey(guarantee="phone", method="phone")
    url = f"/console/surveys/{survey.id}/calls"
    bad = client.post(url, data={"numbers": "13800138000\nabc"})
    assert bad.status_code == 200 and "2" in bad.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(SurveyCallNumber)) == 0
    assert client.post(url, data={"numbers": "13800138000\n13900139000"}).status_code == 302
    page = client.get(url + "?lang=en").get_data(as_text=True)
    assert "Numbers on the call list: 2" in page
    assert client.get(f"/console/surveys/{make_survey().id}/calls").status_code == 404  # not a phone survey


# ---------------------------------------------------------------- 14. the guarantee, said where figures are

@pytest.mark.parametrize("guarantee, words", [
    ("open", "not of a random sample"), ("device", "never your IP address"), ("phone", "we first send a code"),
    ("token", "one card, one answer")])
def test_the_public_page_says_the_guarantee_in_plain_words(app, client, guarantee, words):
    survey = make_survey(guarantee=guarantee, method="door" if guarantee == "token" else "qr_open")
    page = client.get(f"/surveys/{survey.slug}?lang=en", follow_redirects=False)
    if guarantee == "phone":  # the phone page comes first; the survey page says it once the phone is verified
        with client.session_transaction() as session:
            session["survey_phones"] = {str(survey.id): "h"}
        page = client.get(f"/surveys/{survey.slug}?lang=en")
    elif guarantee == "token":  # answered through the card's own link
        generate_tokens(survey, 1, actor=None)
        db.session.commit()
        page = client.get(f"/surveys/t/{db.session.execute(db.select(SurveyToken.code)).scalar_one()}?lang=en")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="guarantee"' in html and words in html


def test_results_and_summary_export_carry_the_method_guarantee_and_held_back_figure(app, client, login):
    survey = make_survey(guarantee="device")
    honest(survey, ["1", "1", "3"])
    for n in range(3):
        submit_response(survey, {"overall": ["3"]}, idempotency_key=key(), device_key=f"r{n}", fingerprint="fp-r",
                        started_at=NOW - timedelta(seconds=60), now=NOW)
    db.session.commit()
    login(make_user(Role.LEADER))
    page = client.get(f"/console/surveys/{survey.id}/results?lang=en").get_data(as_text=True)
    card = page[page.index('data-source="self"'):]
    card = card[:card.index("</div>\n  </div></div>")]
    assert "Open QR survey · Once per device (weak)" in card
    # Headline: 2 satisfied of 3 honest + the first of fp-r = 2 of 4 (50.0%); with the 2 repeats: 2 of 6 (33.3%).
    assert "50.0%" in card and "2 flagged responses held back; with them:" in card and "33.3%" in card

    text = client.get(f"/console/surveys/{survey.id}/export/summary.csv?lang=en").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[1][-2:] == ["Method", "One response per person"]
    counted, with_flagged = rows[2], rows[3]
    assert counted[1] == "Satisfaction rate (满意率)" and (counted[4], counted[6], counted[7]) == ("2", "4", "50.0")
    assert counted[-2:] == ["Open QR survey", "Once per device (weak)"]
    assert with_flagged[2] == "including the 2 flagged responses held back" and with_flagged[6] == "6"
    assert with_flagged[7] == "33.3" and with_flagged[-1] == "Once per device (weak)"


def test_the_answers_of_held_back_responses_stay_stored(app):
    survey = make_survey(guarantee="device")
    for n in range(2):
        submit_response(survey, {"overall": ["3"]}, idempotency_key=key(), device_key=f"k{n}", fingerprint="fp-k",
                        now=NOW)
    db.session.commit()
    assert db.session.scalar(db.select(db.func.count()).select_from(SurveyAnswer)) == 2
    assert db.session.scalar(db.select(db.func.sum(SurveyTally.count))) == 1


def test_the_definitions_page_states_the_survey_rules_as_applied(app, client, login):
    login(make_user(Role.LEADER))
    page = client.get("/console/scorecards/definitions?lang=en").get_data(as_text=True)
    assert "Only answers drawn through a sampling frame are sampled" in page
    # The constants of surveys.results.quality: 2 s per answer, a third of the median (33%) once 10 are timed, 3 from
    # one
    # device or 20 from one network within 10 minutes, repeats within 24 hours, matrices of 3 items or more.
    assert ("faster than 2 s per answer given, or than 33% of the median time once 10 responses are timed" in page
            and "bursts (3 responses from one device, or 20 from one network, within 10 minutes)" in page
            and "within 24 hours" in page and "a matrix of 3 or more" in page)


def test_a_leader_counts_every_repeat_in_from_the_console_with_a_reason(app, client, login):
    survey = make_survey(guarantee="device")
    honest(survey, ["3"])
    for n in range(3):
        submit_response(survey, {"overall": ["1"]}, idempotency_key=key(), device_key=f"t{n}", fingerprint="fp-t",
                        started_at=NOW - timedelta(seconds=60), now=NOW)
    db.session.commit()
    assert headline(survey) == (1, 2)
    login(make_user(Role.LEADER))
    url = f"/console/surveys/{survey.id}/exclusions"
    client.post(url, data={"reason": "", "flag": "repeat", "action": "count"})
    assert headline(survey) == (1, 2)  # no reason, no change
    client.post(url, data={"reason": "核实为同一办公室的三名职工", "flag": "repeat", "action": "count"})
    assert headline(survey) == (3, 4)  # 1 + 2 satisfied of 2 + 2
    page = client.get(f"/console/surveys/{survey.id}/responses?lang=en").get_data(as_text=True)
    assert page.count("counted in despite its flags") == 2 and "核实为同一办公室的三名职工" in page
