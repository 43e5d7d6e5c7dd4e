"""The job list names its functions by dotted path (the shell may not import the layers above it): every path must
lead to a function, or that job would fail at each run after a module moved."""
import inspect

from portal.config import DEFAULTS
from portal.scheduler import jobs


def test_every_job_target_is_a_function_taking_now():
    specs = jobs.default_jobs(DEFAULTS)
    assert len(specs) == 13  # the jobs listed in portal/scheduler/jobs.py
    for spec in specs:
        function = jobs.resolve(spec.target)
        assert callable(function), spec.target
        assert "now" in inspect.signature(function).parameters, spec.target
