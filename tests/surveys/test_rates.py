"""The rate arithmetic on hand-computed tables: raw, Wilson interval, weighted, satisfied sets, verdicts."""
import math

import pytest

from surveys.rates import (
    BELOW,
    MEETS,
    TOO_FEW,
    UNCLEAR,
    Z95,
    Stratum,
    points_share,
    rate,
    satisfied_share,
    verdict,
    weighted_rate,
    wilson,
)


def test_wilson_interval_for_81_of_100_worked_by_hand():
    # p = 0.81, z² = 3.841459, z²/n = 0.03841459, denominator 1 + z²/n = 1.03841459
    # centre = (0.81 + z²/2n) / 1.03841459 = (0.81 + 0.01920729) / 1.03841459 = 0.79853
    # half = z / 1.03841459 · √(0.81·0.19/100 + z²/4n²) = 1.887457 · √(0.001539 + 0.00009604) = 0.07632
    z2 = Z95 ** 2
    centre = (0.81 + z2 / 200) / (1 + z2 / 100)
    half = Z95 / (1 + z2 / 100) * math.sqrt(0.81 * 0.19 / 100 + z2 / 40000)
    assert centre == pytest.approx(0.79853, abs=1e-5) and half == pytest.approx(0.07632, abs=1e-5)
    low, high = wilson(81, 100)
    assert (round(low, 4), round(high, 4)) == (0.7222, 0.8749)
    assert (low, high) == pytest.approx((centre - half, centre + half))


def test_wilson_interval_is_not_symmetric_at_the_edges():
    low, high = wilson(0, 10)
    assert low == 0.0 and high == pytest.approx(0.2775, abs=1e-4)
    low, high = wilson(10, 10)
    assert high == pytest.approx(1.0) and low == pytest.approx(0.7225, abs=1e-4)


def test_a_rate_of_nobody_is_none_not_zero():
    assert rate(0, 0) is None
    assert rate(9, 10).p == 0.9 and rate(9, 10).n == 10


def test_wilson_refuses_impossible_counts():
    with pytest.raises(ValueError):
        wilson(11, 10)


def test_satisfied_set_on_the_three_level_scale():
    counts = {1: 50, 2: 30, 3: 20}  # 满意 50, 基本满意 30, 不满意 20
    assert satisfied_share(counts, [1, 2]) == (80, 100)  # default: 满意 + 基本满意
    assert satisfied_share(counts, [1]) == (50, 100)  # 基本满意 excluded


def test_satisfied_set_on_the_five_level_scale():
    counts = {1: 10, 2: 30, 3: 20, 4: 25, 5: 15}
    assert satisfied_share(counts, [1, 2, 3]) == (60, 100)  # 非常满意 + 满意 + 基本满意
    assert satisfied_share(counts, [1, 2]) == (40, 100)  # top-2 of 5


def test_post_stratified_rate_by_hand():
    # A: 30,000 people, 40 of 50 satisfied (0.8); B: 10,000 people, 45 of 50 (0.9); raw 85/100 = 0.85.
    # weights 0.75 / 0.25 → 0.75·0.8 + 0.25·0.9 = 0.825
    # variance with p̃ = (x+2)/(n+4): 0.75²·(42/54)(12/54)/50 + 0.25²·(47/54)(7/54)/50 = 0.0020855
    strata = [Stratum("A", 30000, 40, 50), Stratum("B", 10000, 45, 50)]
    result = weighted_rate(strata)
    assert result.p == pytest.approx(0.825)
    variance = 0.5625 * (42 / 54) * (12 / 54) / 50 + 0.0625 * (47 / 54) * (7 / 54) / 50
    assert variance == pytest.approx(0.0020855, abs=1e-7)
    assert (result.low, result.high) == pytest.approx((0.825 - Z95 * math.sqrt(variance),
                                                       0.825 + Z95 * math.sqrt(variance)))
    assert round(result.low, 4) == 0.7355 and round(result.high, 4) == 0.9145
    assert result.covered_share == 1.0 and result.n == 100


def test_weighted_rate_leaves_out_and_reports_areas_without_answers():
    strata = [Stratum("A", 30000, 40, 50), Stratum("B", 10000, 0, 0), Stratum("C", 0, 5, 5)]
    result = weighted_rate(strata)
    assert result.p == pytest.approx(0.8)
    assert result.missing == ("B",) and result.used == ("A",)
    assert result.covered_share == pytest.approx(0.75)


def test_no_weighted_rate_without_populations():
    assert weighted_rate([Stratum("A", 0, 4, 5)]) is None


def test_verdict_against_the_target_uses_the_interval():
    assert verdict(rate(95, 100), 0.9, min_n=30) == UNCLEAR  # 95% but the interval [0.888, 0.978] reaches below 90%
    assert verdict(rate(960, 1000), 0.9, min_n=30) == MEETS
    assert verdict(rate(80, 100), 0.9, min_n=30) == BELOW
    assert verdict(None, 0.9, min_n=30) is None and verdict(rate(1, 2), None, min_n=30) is None


def test_43_of_50_against_90_percent_is_not_enough_evidence():
    # Wilson 95% for 43/50: [0.738, 0.930] straddles 0.90
    assert verdict(rate(43, 50), 0.9, min_n=30) == UNCLEAR


def test_one_dissatisfied_answer_is_no_verdict_below_the_minimum_n():
    # 0/1: the interval [0, 0.793] lies below 90%, but one answer is fewer than the minimum n
    assert verdict(rate(0, 1), 0.9, min_n=30) == TOO_FEW
    assert verdict(rate(0, 1), 0.9, min_n=1) == BELOW
    assert verdict(rate(29, 29), 0.5, min_n=30) == TOO_FEW  # however clear, 29 answers are not 30


def test_where_less_is_better_the_verdict_is_mirrored():
    # 返工 20/100 = 20% [0.133, 0.289]: wholly above a 10% line fails it, wholly below a 30% line meets it
    assert verdict(rate(20, 100), 0.1, min_n=30, lower_is_better=True) == BELOW
    assert verdict(rate(20, 100), 0.3, min_n=30, lower_is_better=True) == MEETS
    assert verdict(rate(20, 100), 0.2, min_n=30, lower_is_better=True) == UNCLEAR


def test_the_share_of_points_has_an_interval_that_respects_respondents():
    # 4 respondents scoring 1/2, 2/2, 2/2, 1/2: Σs = 6, Σm = 8, R = 0.75; Σs² = 10, Σm² = 16, Σsm = 12
    # Σ(s − R·m)² = 10 − 2·0.75·12 + 0.5625·16 = 1; var = 1 / (4·3·2²) = 1/48; half = 1.96·0.1443 = 0.2829:
    # ratio interval [0.467, 1.033]; Wilson for 3 of 4 respondents [0.301, 0.954]; the wider of each: [0.301, 1]
    share = points_share(4, 6, 8, 10, 16, 12)
    assert share.p == 0.75
    assert share.low == pytest.approx(0.30064, abs=1e-4)
    assert share.high == pytest.approx(1.0)  # 0.75 + 0.2829 is cut at 1
    # 10 respondents of 10 questions, five with all right and five with none: the answers are not 100 independent
    # ones. Σs = 50, Σm = 100, R = 0.5, Σs² = 500, Σm² = 1000, Σsm = 500 → Σ(s − R·m)² = 500 − 500 + 250 = 250,
    # m̄ = 10, var = 250 / (10·9·100) = 0.027778, half = 1.959964·0.166667 = 0.326661: [0.1733, 0.8267], wider than
    # Wilson for 5 of 10 [0.2366, 0.7634]
    clustered = points_share(10, 50, 100, 500, 1000, 500)
    assert (round(clustered.low, 4), round(clustered.high, 4)) == (0.1733, 0.8267)
    # everyone scoring the same has no spread, but keeps at least the Wilson interval of one answer each
    same = points_share(10, 20, 20, 40, 40, 40)
    assert (same.p, same.high) == (1.0, 1.0) and same.low == pytest.approx(wilson(10, 10)[0])
    assert points_share(0, 0, 0, 0, 0, 0) is None
