"""Issue 11, items 2, 3, 4 and 7: missing data is never worth more than data, one verdict rule (the whole 95%
interval, a minimum n) on the survey page, the scorecard, its vetoes and targets, each survey method's figure side
by side with the rule naming the one it judges by, and both 知晓率s. Expected values are worked by hand."""
import csv
import io
from datetime import date

import pytest
from flask_babel import force_locale

from oversight.scorecards.figures import Figures, compute
from oversight.scorecards.models import ScoreRule
from oversight.scorecards.periods import Period
from oversight.scorecards.rules import RuleError, current_rule, save_rule, score
from portal.auth.models import Role
from portal.extensions import db
from portal.registry.models import AreaLevel
from surveys.definition import SurveyError
from surveys.models import SurveyKind, SurveyMethod
from surveys.response_models import Source, SurveyResponse
from surveys.results.aggregates import survey_results
from surveys.services import update_survey
from tests.factories import make_area, make_user
from tests.oversight.scorecards.helpers import local
from tests.surveys.factories import make_survey, settings, single

NOVEMBER = Period.containing("month", date(2026, 11, 1))
NOW = local(2026, 12, 5)
THREE_RATES = [{"name": "on_time_rate", "weight": 30, "target": 0.7},
               {"name": "closure_rate", "weight": 35, "target": 0.9},
               {"name": "followup_satisfaction_rate", "weight": 35, "target": 0.9}]
_n = iter(range(1, 100_000))


def unit(**kw):
    return Figures(key=1, name="市环卫处", level="unit", **kw)


def rule(parts=THREE_RATES, vetoes=(), **judging):
    return ScoreRule(version=9, parts=list(parts), vetoes=list(vetoes), **judging)


def answer(survey, area, source, count, level=None, passed=None, score=None, max_score=None):
    for _i in range(count):
        db.session.add(SurveyResponse(survey_id=survey.id, source=source, idempotency_key=f"vd-{next(_n)}",
                                      area_id=area.id, day="2026-11-10", headline_level=level, passed=passed,
                                      score=score, max_score=max_score, submitted_at=local(2026, 11, 10)))
    db.session.commit()


# -- item 2: missing data ---------------------------------------------------------------------------------------

RATED = dict(due=10, closed=9, closed_on_time=8, followed_up=5, satisfied=4)
UNRATED = dict(due=10, closed=9, closed_on_time=8)


def test_a_unit_without_any_follow_up_does_not_outscore_a_rated_one():
    # both: 按期 8/10 = 0.8 → 30 × 0.8 = 24; 结案 9/10 = 0.9 → 35 × 0.9 = 31.5
    # rated: 回访满意 4/5 = 0.8 → 35 × 0.8 = 28: (24 + 31.5 + 28) / 100 × 100 = 83.5
    # unrated, the default (scored as 0): (24 + 31.5 + 0) / 100 × 100 = 55.5
    rated, unrated = score(unit(**RATED), rule()), score(unit(**UNRATED), rule())
    assert rated.total == pytest.approx(83.5)
    assert unrated.total == pytest.approx(55.5)
    assert unrated.parts[2]["scored_as_zero"] and unrated.parts[2]["contribution"] == 0.0
    assert sorted([unrated, rated], key=lambda s: s.sort_key()) == [rated, unrated]
    # what versions stored before the choice did, and the bug: (24 + 31.5) / 65 × 100 = 85.38 > 83.5
    assert score(unit(**UNRATED), rule(missing_data="left_out")).total == pytest.approx(85.38)


def test_a_rule_may_leave_a_unit_without_data_unranked_and_say_why(app):
    result = score(unit(**UNRATED), rule(missing_data="unranked"))
    assert result.total is None
    with force_locale("en"):
        assert [str(reason) for reason in result.unranked] == [
            "Not ranked: no data for Follow-up satisfaction rate (回访满意率) (rule version 9 leaves such entries "
            "unranked)"]
    assert score(unit(**RATED), rule(missing_data="unranked")).total == pytest.approx(83.5)


def test_the_follow_up_rate_is_a_measure_a_rule_can_weigh():
    parts = [{"name": "closure_rate", "weight": 40, "target": None},
             {"name": "followup_rate", "weight": 30, "target": None},
             {"name": "followup_satisfaction_rate", "weight": 30, "target": None}]
    # 结案 10/10 → 40; 回访 4 of 10 closed = 0.4 → 12; 回访满意 4/4 → 30: 82
    assert score(unit(due=10, closed=10, followed_up=4, satisfied=4), rule(parts)).total == pytest.approx(82.0)
    # nobody followed up: 40 + 30 × 0 + 30 × 0 (no data, scored 0) = 40
    assert score(unit(due=10, closed=10), rule(parts)).total == pytest.approx(40.0)


def test_a_new_rule_version_records_how_it_judges(app):
    saved = save_rule([{"name": "closure_rate", "weight": 100, "target": 0.9}], [], actor=None,
                      missing_data="unranked", verdict_min_n=50, survey_source="self")
    db.session.commit()
    stored = db.session.get(ScoreRule, saved.id)
    assert (stored.missing_data, stored.verdict_min_n, stored.survey_source) == ("unranked", 50, "self")
    with pytest.raises(RuleError) as refused:
        save_rule([{"name": "closure_rate", "weight": 100}], [], actor=None, missing_data="left_out",
                  verdict_min_n=0, survey_source="everyone")
    assert len(refused.value.problems) == 3  # every problem at once


def test_version_1_does_not_reward_missing_data_and_needs_30_answers(app):
    first = current_rule()
    db.session.commit()
    stored = db.session.get(ScoreRule, first.id)
    assert (stored.missing_data, stored.verdict_min_n, stored.survey_source) == ("zero", 30, "sampled")


# -- item 3: one verdict rule -----------------------------------------------------------------------------------

def test_43_of_50_follow_ups_against_a_90_percent_veto_line_is_not_enough_evidence(app):
    # 43/50 = 86%, Wilson 95% [73.8%, 93.0%]: the line 90% is inside, so no veto on the point estimate
    result = score(unit(due=50, closed=50, closed_on_time=50, followed_up=50, satisfied=43),
                   rule(vetoes=[{"name": "followup_satisfaction_rate", "line": 0.9}]))
    assert not result.vetoed
    assert result.parts[2]["verdict"] == "unclear" and result.parts[2]["met"] is None
    with force_locale("en"):
        assert [str(note) for note in result.undecided] == [
            "Follow-up satisfaction rate (回访满意率) 86.0%: the 95% interval 73.8%–93.0% (n=50) includes the veto "
            "line 90.0%, so not enough evidence to veto"]


@pytest.fixture
def district(app):
    return make_area("东城区")


def test_43_of_50_is_not_enough_evidence_on_the_survey_page_and_the_scorecard(district, english_client):
    survey = make_survey(method=SurveyMethod.DOOR_TO_DOOR.value, target_percent=90)
    answer(survey, district, Source.SAMPLED, 43, level=1)
    answer(survey, district, Source.SAMPLED, 7, level=3)
    assert survey_results(survey).verdicts[Source.SAMPLED] == "unclear"
    figures = {f.key: f for f in compute(NOVEMBER, "area", tz="Asia/Shanghai", now=NOW)}[district.id]
    result = score(figures, current_rule())  # version 1: veto on the sampled 满意率 below 90%
    assert not result.vetoed and len(result.undecided) == 1
    english_client.post("/login", data={"username": make_user(Role.ADMIN).username, "password": "password123"})
    page = english_client.get(f"/console/surveys/{survey.id}/results").get_data(as_text=True)
    assert "not enough evidence: the 95% interval includes the line" in page
    card = english_client.get(f"/console/scorecards/areas/{district.id}?period=month:2026-11").get_data(as_text=True)
    assert "sc-veto" not in card
    assert "includes the veto line 90.0%, so not enough evidence to veto" in card


def test_one_dissatisfied_respondent_is_not_below_the_target(district):
    survey = make_survey(method=SurveyMethod.DOOR_TO_DOOR.value, target_percent=90)
    answer(survey, district, Source.SAMPLED, 1, level=3)
    # 0/1: the interval [0%, 79.3%] is below 90%, but one answer is fewer than the minimum n of 30
    assert survey_results(survey).verdicts[Source.SAMPLED] == "too_few"
    figures = {f.key: f for f in compute(NOVEMBER, "area", tz="Asia/Shanghai", now=NOW)}[district.id]
    assert not score(figures, current_rule()).vetoed


# -- item 4: each method side by side, the rule names the one it judges by --------------------------------------

@pytest.fixture
def mixed(app):
    """The issue's example: 180 self-selected answers across three communities, 12 token cards from one village."""
    district = make_area("南山区")
    communities = [make_area(name, level=AreaLevel.COMMUNITY, parent=district)
                   for name in ("东社区", "西社区", "北社区")]
    village = make_area("上村", level=AreaLevel.COMMUNITY, parent=district)
    poster = make_survey(method=SurveyMethod.QR_OPEN.value, target_percent=90)
    cards = make_survey(method=SurveyMethod.DOOR_TO_DOOR.value, target_percent=90)
    for community in communities:  # 57 of 60 satisfied in each: 171 of 180
        answer(poster, community, Source.SELF_SELECTED, 57, level=1)
        answer(poster, community, Source.SELF_SELECTED, 3, level=3)
    answer(cards, village, Source.SAMPLED, 6, level=2)  # 6 of 12 satisfied
    answer(cards, village, Source.SAMPLED, 6, level=3)
    return {f.key: f for f in compute(NOVEMBER, "area", tz="Asia/Shanghai", now=NOW)}[district.id], district


SURVEY_VETO = [{"name": "survey_rate", "line": 0.9}]


def test_each_method_is_shown_with_its_n_and_interval(mixed):
    figures, _district = mixed
    self_selected, sampled = figures.survey["self"], figures.survey["sampled"]
    # 171/180: p = 0.95, z²/n = 3.841459/180 = 0.021341, centre = (0.95 + 0.010671) / 1.021341 = 0.940595,
    # half = 1.959964 / 1.021341 · √(0.95·0.05/180 + 3.841459/(4·180²)) = 1.919009 · 0.017133 = 0.032879
    # → [0.9077, 0.9735]. 6/12: p = 0.5, z²/n = 0.320122, centre 0.5, half = 1.959964 / 1.320122 ·
    # √(0.25/12 + 3.841459/576) = 1.484683 · 0.165838 = 0.246217 → [0.2538, 0.7462]
    assert (self_selected["x"], self_selected["n"], self_selected["method"]) == (171, 180, "qr_open")
    assert (round(self_selected["low"], 4), round(self_selected["high"], 4)) == (0.9077, 0.9735)
    assert (sampled["x"], sampled["n"], sampled["method"]) == (6, 12, "door")
    assert (round(sampled["low"], 4), round(sampled["high"], 4)) == (0.2538, 0.7462)


def test_the_veto_uses_the_method_the_rule_names_and_says_which(mixed, app):
    figures, _district = mixed
    on_cards = score(figures, rule(vetoes=SURVEY_VETO, survey_source="sampled", verdict_min_n=10))
    with force_locale("en"):
        assert [str(v) for v in on_cards.vetoes] == [
            "Survey satisfaction rate (满意率), Sampled (token card / telephone) 50.0% (95% interval 25.4%–74.6%, "
            "n=12) is below the veto line 90.0%"]
    # the self-selected 95%, [90.8%, 97.3%], is wholly above the line: no veto
    on_posters = score(figures, rule(vetoes=SURVEY_VETO, survey_source="self", verdict_min_n=10))
    assert not on_posters.vetoed and on_posters.undecided == []
    # the default minimum n (30): 12 token cards are too few to veto on, and the scorecard says so
    default = score(figures, rule(vetoes=SURVEY_VETO, survey_source="sampled"))
    with force_locale("en"):
        assert [str(v) for v in default.undecided] == [
            "Survey satisfaction rate (满意率), Sampled (token card / telephone) 50.0%: fewer than 30 answers (n=12), "
            "so no verdict on the veto line 90.0%"]


def test_the_area_scorecard_shows_both_methods_side_by_side(mixed, english_client):
    _figures, district = mixed
    english_client.post("/login", data={"username": make_user(Role.ADMIN).username, "password": "password123"})
    page = english_client.get(f"/console/scorecards/areas/{district.id}?period=month:2026-11").get_data(as_text=True)
    flat = " ".join(page.split())
    assert ('<div class="sc-method" data-source="sampled">sampled: 50.0% <span class="small text-muted">'
            '[25.4–74.6] n=12</span> <span class="small text-muted">(Door-to-door survey with token cards; guarantee: '
            'Open: anyone may answer, any number of times)</span></div> '
            '<div class="sc-method" data-source="self">self-selected: 95.0% <span class="small text-muted">'
            '[90.8–97.3] n=180</span> <span class="small text-muted">(Open QR survey; guarantee: '
            'Open: anyone may answer, any number of times)</span></div>') in flat  # words, never codes
    assert "Sampled (token card / telephone) 50.0%: fewer than 30 answers (n=12)" in flat


# -- item 7: both 知晓率s ------------------------------------------------------------------------------------------

@pytest.fixture
def quiz(district):
    quiz = make_survey([single(key="q1", correct="a"), single(key="q2", correct="b")], kind=SurveyKind.QUIZ.value,
                       method=SurveyMethod.PHONE.value, pass_percent=60, target_percent=90)
    # 10 respondents: 6 scored 2/2 (passed), 2 scored 1/2 and 2 scored 0/2 (below the 60% pass mark)
    answer(quiz, district, Source.SAMPLED, 6, passed=True, score=2, max_score=2)
    answer(quiz, district, Source.SAMPLED, 2, passed=False, score=1, max_score=2)
    answer(quiz, district, Source.SAMPLED, 2, passed=False, score=0, max_score=2)
    return quiz


def test_the_awareness_rate_is_shown_both_as_passed_and_as_correct_answers(quiz, district):
    # passed 6/10 = 60%; correct answers (6·2 + 2·1 + 2·0) / (10·2) = 14/20 = 70%
    (city,) = compute(NOVEMBER, "city", tz="Asia/Shanghai", now=NOW)
    figure = city.awareness["sampled"]
    assert figure["passed"]["rate"] == 0.6 and figure["correct"]["rate"] == 0.7
    assert (figure["correct"]["points"], figure["correct"]["max_points"], figure["correct"]["n"]) == (14, 20, 10)
    assert figure["headline"] == "passed" and figure["rate"] == 0.6
    results = survey_results(quiz)
    assert results.headline[Source.SAMPLED].p == 0.6 and results.correct[Source.SAMPLED].p == 0.7


def test_the_quiz_says_which_awareness_rate_is_its_headline(quiz, district):
    update_survey(quiz, settings(kind=SurveyKind.QUIZ.value, method=SurveyMethod.PHONE.value, pass_percent=60,
                                 target_percent=90, awareness_headline="correct"), actor=None)
    db.session.commit()
    (city,) = compute(NOVEMBER, "city", tz="Asia/Shanghai", now=NOW)
    assert city.awareness["sampled"]["headline"] == "correct" and city.awareness["sampled"]["rate"] == 0.7
    with pytest.raises(SurveyError):
        update_survey(quiz, settings(kind=SurveyKind.QUIZ.value, method=SurveyMethod.PHONE.value, pass_percent=60,
                                     awareness_headline="loudest"), actor=None)


def test_the_quiz_results_page_labels_both_awareness_rates(quiz, english_client):
    english_client.post("/login", data={"username": make_user(Role.ADMIN).username, "password": "password123"})
    page = english_client.get(f"/console/surveys/{quiz.id}/results").get_data(as_text=True)
    assert "share of respondents who passed" in page and "share of correct answers" in page
    assert "14 of 20 points, n=10" in page


# -- the definitions page (指标计算口径) ------------------------------------------------------------------------------

def test_the_definitions_page_states_the_rules_as_implemented(app, english_client):
    save_rule([{"name": "closure_rate", "weight": 100, "target": 0.9}], [], actor=None, missing_data="unranked",
              verdict_min_n=40, survey_source="self")
    db.session.commit()
    english_client.post("/login", data={"username": make_user(Role.LEADER).username, "password": "password123"})
    page = " ".join(english_client.get("/console/scorecards/definitions").get_data(as_text=True).split())
    assert "Below (or past) the line only when the whole 95% interval is on the wrong side of it." in page
    assert "With fewer than 40 answers there is no verdict at all (rule version 2;" in page
    assert "<strong>Leave an entry with a figure without data unranked</strong>" in page
    assert "<strong>Self-selected (open link / QR)</strong>" in page
    assert "the share of respondents who passed" in page and "the share of correct answers" in page
    assert "at most 20% of the ranked field" in page


def test_the_area_export_has_each_method_in_its_own_columns(mixed, english_client):
    _figures, district = mixed
    english_client.post("/login", data={"username": make_user(Role.LEADER).username, "password": "password123"})
    text = english_client.get("/console/scorecards/export/areas.csv?period=month:2026-11").get_data().decode(
        "utf-8-sig")
    header, *lines = list(csv.reader(io.StringIO(text)))[1:]
    row = dict(zip(header, next(line for line in lines if line[0] == "南山区"), strict=True))
    sampled, self_selected = "Sampled (token card / telephone)", "Self-selected (open link / QR)"
    assert row[f"Survey satisfaction rate (满意率) · {sampled}"] == "50.0"
    assert row[f"Survey n · {sampled}"] == "12" and row[f"Survey method · {sampled}"] == "door"
    assert row[f"Survey guarantee · {sampled}"] == "open"
    assert row[f"Survey satisfaction rate (满意率) · {self_selected}"] == "95.0"
    assert row[f"Interval (95%, percent) · {self_selected}"] == "90.8–97.3"
    assert row[f"Survey n · {self_selected}"] == "180"


def test_the_migration_appends_versions_that_stop_rewarding_missing_data(tmp_path):
    """Where rule versions are stored, the migration appends a copy of the latest with the new defaults and leaves
    the stored ones as they were (SQLite; the step is plain SQLAlchemy Core)."""
    from flask_migrate import upgrade

    from composition import create_app
    from tests.conftest import base_config

    app = create_app(base_config("sqlite:///" + str(tmp_path / "old.db")))
    with app.app_context():
        upgrade(revision="4b0a5ced0006")
        db.session.execute(db.text(
            "INSERT INTO score_rules (version, created_at, parts, vetoes) VALUES (1, '2026-11-01 00:00:00', "
            "'[{\"name\": \"closure_rate\", \"weight\": 100, \"target\": 0.9}]', '[]')"))
        db.session.execute(db.text(
            "INSERT INTO list_rules (version, created_at, min_cases, red_count, red_min_score, black_count, "
            "black_below_score, area_level, bulletin_target_percent, bulletin_min_rated) "
            "VALUES (1, '2026-11-01 00:00:00', 10, 3, 85, 3, 60, 'district', 85, 5)"))
        db.session.commit()
        upgrade(revision="s10verdicts_rules")
        scores = db.session.execute(db.text(
            "SELECT version, parts, missing_data, verdict_min_n, survey_source FROM score_rules ORDER BY version"))
        assert [tuple(row) for row in scores] == [
            (1, '[{"name": "closure_rate", "weight": 100, "target": 0.9}]', "left_out", 1, "sampled"),
            (2, '[{"name": "closure_rate", "weight": 100, "target": 0.9}]', "zero", 30, "sampled")]
        lists = db.session.execute(db.text(
            "SELECT version, min_cases, black_max_percent FROM list_rules ORDER BY version"))
        assert [tuple(row) for row in lists] == [(1, 10, 100.0), (2, 10, 20.0)]
        db.session.remove()
        db.engine.dispose()


def test_the_rules_page_saves_how_a_version_judges(app, english_client):
    english_client.post("/login", data={"username": make_user(Role.ADMIN).username, "password": "password123"})
    page = english_client.get("/console/scorecards/rules").get_data(as_text=True)
    assert 'name="verdict_min_n"' in page and 'value="30"' in page
    saved = english_client.post("/console/scorecards/rules", data={
        "weight_closure_rate": "60", "target_closure_rate": "90", "weight_followup_rate": "40",
        "missing_data": "unranked", "verdict_min_n": "50", "survey_source": "self"}, follow_redirects=True)
    assert "Saved as version 2" in saved.get_data(as_text=True)
    stored = db.session.execute(db.select(ScoreRule).where(ScoreRule.version == 2)).scalar()
    assert (stored.missing_data, stored.verdict_min_n, stored.survey_source) == ("unranked", 50, "self")
    assert {"name": "followup_rate", "weight": 40, "target": None} in stored.parts
    shown = " ".join(english_client.get("/console/scorecards/rules/2").get_data(as_text=True).split())
    assert "Fewest answers for a verdict: 50" in shown
    refused = english_client.post("/console/scorecards/rules", data={
        "weight_closure_rate": "100", "verdict_min_n": "0", "survey_source": "self"}).get_data(as_text=True)
    assert "Number must be between 1 and 100000." in refused
    assert db.session.execute(db.select(db.func.count()).select_from(ScoreRule)).scalar() == 2
