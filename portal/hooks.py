"""Hooks: what the shell calls without importing the layer that provides it.

The shell (``portal``) stands below complaints, surveys and oversight and may not import them. Where a shell page
or service needs something from above (the console home shows today's cases; a calendar change moves the open
cases' due times; the survey results judge by the scorecard rule's minimum n), it asks for a hook by name, and the
composition root (``composition.plug_in``) provides it.
"""
from flask import current_app

CALENDAR_CHANGED = "calendar_changed"  # fn(before, after, years, actor) -> the cases whose due time moved
TODAY_WORK = "today_work"  # fn(user) -> the console home's work for today
VERDICT_MIN_N = "verdict_min_n"  # fn() -> the minimum n of the scorecard rule in force (survey verdicts use it)

_KEY = "minsheng_hooks"


def provide(app, name, fn):
    app.extensions.setdefault(_KEY, {})[name] = fn


def hook(name):
    """The function provided for ``name`` in this app, or None (an app built without that layer)."""
    return current_app.extensions.get(_KEY, {}).get(name)


def verdict_min_n():
    """The minimum number of answers for a verdict on a rate, as the scorecard rule in force says
    (``oversight.scorecards.rules.verdict_min_n``): the survey result pages judge by the same line."""
    return hook(VERDICT_MIN_N)()
