"""The statistics, as pure functions on counts: rates with 95% Wilson intervals, the post-stratified (weighted)
rate, a quiz's share of points, the verdict against a line (the one rule every page uses), and medians. No
database here: results.py feeds these with SQL counts.

Formulas (cited so that a figure can be explained to whoever checks it):

* Wilson score interval (Wilson 1927; Newcombe 1998, method 3; Brown, Cai & DasGupta 2001) for x successes
  in n answers, p̂ = x/n, z = 1.959964 (two-sided 95%)::

      centre = (p̂ + z²/2n) / (1 + z²/n)
      half   = z / (1 + z²/n) · √( p̂(1−p̂)/n + z²/4n² )

  e.g. 81 of 100 satisfied → p̂ = 0.81, centre 0.79853, half-width 0.07632: [0.7222, 0.8749]
  (tests/surveys/test_rates.py works it step by step).

* Post-stratified rate over areas h with population N_h, n_h valid answers and x_h satisfied::

      W_h = N_h / Σ N_h   (over the areas that have answers)      p_w = Σ W_h · x_h/n_h

  with an approximate 95% interval p_w ± z·√(Σ W_h² · p̃_h(1−p̃_h)/n_h), where p̃_h = (x_h+2)/(n_h+4)
  (the Agresti–Coull adjustment, so that an area where everyone agreed still carries uncertainty).
  Areas without answers are left out and reported; their population share is shown as not covered.
"""
import math
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Rate:
    """x of n, the share, and its 95% interval."""

    x: int
    n: int
    p: float
    low: float
    high: float

    @property
    def percent(self):
        return 100 * self.p


def wilson(x, n, z=Z95):
    """The Wilson score interval (low, high) for x successes out of n; (0, 1) when n is 0."""
    if n <= 0:
        return 0.0, 1.0
    if not 0 <= x <= n + 1e-9:
        raise ValueError("x must be between 0 and n")
    x = min(x, n)
    p = x / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def rate(x, n):
    """A Rate, or None when nobody answered (a rate of nothing is not 0%)."""
    if n <= 0:
        return None
    low, high = wilson(x, n)
    return Rate(x, n, x / n, low, high)


def satisfied_share(distribution, satisfied_levels):
    """(satisfied, valid) from a {level: count} distribution and the survey's satisfied set."""
    satisfied = set(satisfied_levels)
    n = sum(distribution.values())
    x = sum(count for level, count in distribution.items() if level in satisfied)
    return x, n


@dataclass(frozen=True)
class Stratum:
    name: str
    population: int
    x: int
    n: int


@dataclass(frozen=True)
class WeightedRate:
    p: float
    low: float
    high: float
    n: int
    used: tuple  # names of the strata with answers
    missing: tuple  # names of the strata with a population but no answers
    covered_share: float  # the share of the total population living in the strata used

    @property
    def percent(self):
        return 100 * self.p


def weighted_rate(strata, z=Z95):
    """The post-stratified rate over ``strata`` (Stratum rows; those without population are ignored);
    None when no stratum with a population has answers."""
    weighted = [s for s in strata if s.population and s.population > 0]
    used = [s for s in weighted if s.n > 0]
    if not used:
        return None
    total = sum(s.population for s in weighted)
    covered = sum(s.population for s in used)
    p = variance = 0.0
    for s in used:
        weight = s.population / covered
        p += weight * s.x / s.n
        adjusted = (s.x + 2) / (s.n + 4)
        variance += weight * weight * adjusted * (1 - adjusted) / s.n
    half = z * math.sqrt(variance)
    return WeightedRate(p=p, low=max(0.0, p - half), high=min(1.0, p + half), n=sum(s.n for s in used),
                        used=tuple(s.name for s in used), missing=tuple(s.name for s in weighted if s.n == 0),
                        covered_share=covered / total)


@dataclass(frozen=True)
class PointsShare:
    """A quiz's share of correct answers: points scored ÷ points possible over n respondents, with a 95% interval."""

    n: int
    points: float
    max_points: float
    p: float
    low: float
    high: float


def points_share(n, points, max_points, points_sq, max_sq, cross, z=Z95):
    """The share of points scored over ``n`` respondents, from the sums Σs, Σm, Σs², Σm², Σs·m of each
    respondent's score s and maximum m; None without points to score.

    The answers of one respondent are not independent, so the interval is the ratio estimator's (Cochran 1977,
    §6.3): var(R) = Σ(s − R·m)² / (n(n−1) · m̄²), with Σ(s − R·m)² = Σs² − 2R·Σsm + R²·Σm², and m̄ = Σm / n. It
    is never narrower than the Wilson interval of R with one answer per respondent, so a handful of respondents
    who all scored the same still carry their uncertainty.
    """
    if not n or not max_points:
        return None
    share = points / max_points
    low, high = wilson(share * n, n, z)
    if n > 1:
        spread = max(0.0, points_sq - 2 * share * cross + share * share * max_sq)
        mean_max = max_points / n
        half = z * math.sqrt(spread / (n * (n - 1))) / mean_max
        low, high = min(low, share - half), max(high, share + half)
    return PointsShare(n=n, points=points, max_points=max_points, p=share, low=max(0.0, low), high=min(1.0, high))


MEETS, BELOW, UNCLEAR, TOO_FEW = "meets", "below", "unclear", "too_few"


def verdict(measured, line, *, min_n, lower_is_better=False):
    """The one verdict rule (DOMAIN.md §10), used by the survey pages, the scorecards' targets and veto lines,
    the 旬通报 and through the index the rankings and the 红黑榜.

    ``measured`` has an interval ``low``–``high`` and ``n`` (a Rate, a WeightedRate or a figure dict); ``line`` is
    a share in [0, 1]. With fewer than ``min_n`` answers: TOO_FEW, whatever the interval says. Otherwise MEETS when
    the whole interval is on the good side of the line (at or above it; at or below it where less is better),
    BELOW (fails the line) when the whole interval is on the bad side, and UNCLEAR when the interval straddles the
    line: not enough evidence either way. None without a line or a figure.
    """
    if measured is None or line is None:
        return None
    low, high, n = _interval(measured)
    if n < max(1, min_n or 0):
        return TOO_FEW
    if lower_is_better:
        low, high, line = 1 - high, 1 - low, 1 - line
    if low >= line:
        return MEETS
    if high < line:
        return BELOW
    return UNCLEAR


def verdict_text(code, min_n):
    """The verdict in words, the same on every page (the reader's language)."""
    if code == TOO_FEW:
        return _l("not enough evidence: fewer than %(n)d answers", n=min_n)
    return {MEETS: _l("meets the line: the whole 95%(pct)s interval is on its right side", pct="%"),
            BELOW: _l("fails the line: the whole 95%(pct)s interval is on its wrong side", pct="%"),
            UNCLEAR: _l("not enough evidence: the 95%(pct)s interval includes the line", pct="%")}.get(code, "")


def _interval(measured):
    if isinstance(measured, dict):
        return measured["low"], measured["high"], measured["n"]
    return measured.low, measured.high, measured.n


def median(values):
    values = sorted(values)
    if not values:
        return None
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


def mean_from_counts(distribution):
    """The mean of a {value: count} distribution (ratings 0–10), or None."""
    n = sum(distribution.values())
    return sum(value * count for value, count in distribution.items()) / n if n else None
