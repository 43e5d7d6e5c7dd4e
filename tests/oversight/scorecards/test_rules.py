"""The composite index: arithmetic, its explanation, veto lines and versioned rules."""
import pytest
from flask_babel import force_locale

from oversight.scorecards.figures import Figures
from oversight.scorecards.models import ScoreRule, ScoreRuleFrozen
from oversight.scorecards.rules import RuleError, current_rule, save_rule, score
from portal.extensions import db
from tests.factories import make_user


def figures(**kw):
    return Figures(key=1, name="市环卫处", level="unit", **kw)


def rule(parts, vetoes=(), version=7, **judging):
    return ScoreRule(version=version, parts=list(parts), vetoes=list(vetoes), **judging)


THREE_RATES = [{"name": "on_time_rate", "weight": 30, "target": 0.7},
               {"name": "closure_rate", "weight": 35, "target": 0.9},
               {"name": "followup_satisfaction_rate", "weight": 35, "target": 0.9}]


def test_the_index_is_the_weighted_sum_of_the_rates():
    # 按期 6/8 = 0.75, 结案 9/10 = 0.9, 回访满意 4/5 = 0.8 → 30×0.75 + 35×0.9 + 35×0.8 = 22.5 + 31.5 + 28 = 82
    f = figures(due=10, postponed=2, closed=9, closed_on_time=6, followed_up=5, satisfied=4)
    result = score(f, rule(THREE_RATES))
    assert result.total == pytest.approx(82.0)
    assert [(p["name"], p["value"], p["weight"], p["contribution"]) for p in result.parts] == [
        ("on_time_rate", 0.75, 30, 22.5), ("closure_rate", 0.9, 35, 31.5),
        ("followup_satisfaction_rate", 0.8, 35, 28.0)]
    # 8, 10 and 5 answers are fewer than the default minimum of 30: no verdict on any target
    assert [p["met"] for p in result.parts] == [None, None, None]
    assert [p["verdict"] for p in result.parts] == ["too_few"] * 3
    assert result.rule_version == 7 and result.vetoes == [] and result.missing == []


def test_targets_are_met_or_missed_only_when_the_whole_interval_says_so():
    # 按期 600/800 = 75% [71.9, 77.9] vs 70%: met; 结案 900/1000 = 90% [88.0, 91.7] vs 90%: not enough evidence;
    # 回访满意 400/500 = 80% [76.3, 83.3] vs 90%: not met
    f = figures(due=1000, postponed=200, closed=900, closed_on_time=600, followed_up=500, satisfied=400)
    assert [p["met"] for p in score(f, rule(THREE_RATES)).parts] == [True, None, False]


def test_a_part_without_data_was_left_out_under_the_earlier_versions():
    # nobody rated: 回访满意率 has no denominator → (22.5 + 31.5) / 65 × 100 = 83.08
    f = figures(due=10, postponed=2, closed=9, closed_on_time=6)
    result = score(f, rule(THREE_RATES, missing_data="left_out"))
    assert result.total == pytest.approx(83.08)
    assert result.missing == ["followup_satisfaction_rate"]
    assert result.parts[2]["contribution"] is None and result.parts[2]["missing"]


def test_no_data_at_all_means_no_score():
    assert score(figures(), rule(THREE_RATES)).total is None


def test_where_less_is_better_the_part_counts_one_minus_the_rate():
    f = figures(due=100, closed=100, closed_on_time=100, reworked=20)
    result = score(f, rule([{"name": "closure_rate", "weight": 50, "target": 0.9},
                            {"name": "rework_rate", "weight": 50, "target": 0.1}]))
    assert result.parts[1]["contribution"] == pytest.approx(40.0)  # 50 × (1 − 0.2)
    assert result.parts[1]["met"] is False  # 20/100 = 20% [13.3, 28.9] is wholly above 10%
    assert result.total == pytest.approx(90.0)


def test_a_figure_past_its_veto_line_is_named(app):
    # 回访满意 150/200 = 75%, Wilson [68.6, 80.5] wholly below 85%; 返工 60/200 = 30% [24.1, 36.7] wholly above 20%
    f = figures(due=200, closed=200, closed_on_time=200, followed_up=200, satisfied=150, reworked=60)
    result = score(f, rule(THREE_RATES, [{"name": "followup_satisfaction_rate", "line": 0.85},
                                         {"name": "rework_rate", "line": 0.2},
                                         {"name": "survey_rate", "line": 0.9}]))
    assert result.vetoed
    with force_locale("en"):
        assert [str(v) for v in result.vetoes] == [
            "Follow-up satisfaction rate (回访满意率) 75.0% (95% interval 68.6%–80.5%, n=200) is below the veto line "
            "85.0%",
            "Rework rate (返工率) 30.0% (95% interval 24.1%–36.7%, n=200) is above the veto line 20.0%"]
    # the total is still there; ranking puts vetoed entries after the others
    clean = score(figures(due=10, closed=5, closed_on_time=5, followed_up=5, satisfied=5), rule(THREE_RATES))
    assert sorted([result, clean], key=lambda s: s.sort_key()) == [clean, result]


def test_version_1_is_created_with_the_defaults(app):
    first = current_rule()
    assert first.version == 1
    assert sum(p["weight"] for p in first.parts) == 100
    assert current_rule().id == first.id


def test_saving_makes_a_new_version_and_keeps_the_old(app):
    admin = make_user()
    current_rule()
    saved = save_rule([{"name": "closure_rate", "weight": 60, "target": 0.9},
                       {"name": "followup_satisfaction_rate", "weight": 40, "target": 0.85}],
                      [{"name": "followup_satisfaction_rate", "line": 0.8}], admin, "2027 plan")
    db.session.commit()
    assert saved.version == 2 and current_rule().id == saved.id
    versions = db.session.execute(db.select(ScoreRule.version).order_by(ScoreRule.version)).scalars().all()
    assert versions == [1, 2]


def test_a_rule_with_problems_is_refused_with_every_problem_at_once(app):
    current_rule()
    with pytest.raises(RuleError) as error:
        save_rule([{"name": "closure_rate", "weight": 60, "target": 1.5},
                   {"name": "closure_rate", "weight": 30, "target": 0.9}],
                  [{"name": "nonsense", "line": 0.5}], None)
    with force_locale("en"):
        problems = [str(p) for p in error.value.problems]
    assert "Unknown figure: nonsense." in problems
    assert "Each figure may appear only once among the weighted parts." in problems
    assert "The weights must add up to 100 (they add up to 90)." in problems
    assert "Targets are percentages above 0 and at most 100." in problems
    assert db.session.execute(db.select(db.func.count()).select_from(ScoreRule)).scalar() == 1


def test_a_stored_version_never_changes(app):
    first = current_rule()
    db.session.commit()
    first.parts = []
    with pytest.raises(ScoreRuleFrozen):
        db.session.flush()
    db.session.rollback()
