"""The fuzz suite's shared settings and world: one bounded, derandomised hypothesis profile (the same examples on
every run, small enough for ``make test``), a small city with private data to watch for, and the row counts that
must not move when a request is refused."""
import os

import pytest
from hypothesis import HealthCheck, Phase, settings

from portal.extensions import db
from tests.factories import make_case
from tests.oversight.board.public_world import REPORTER_PHONE, build_world

_COMMON = {"deadline": None, "derandomize": True, "print_blob": True, "database": None,
           "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                     HealthCheck.data_too_large, HealthCheck.filter_too_much]}
# In the suite: bounded and without shrinking (a failure is reported as found, in bounded time). To study one,
# FUZZ_PROFILE=fuzz-shrink shrinks it to a small example; FUZZ_PROFILE=fuzz-long tries many more inputs.
settings.register_profile("fuzz", max_examples=25, phases=[Phase.explicit, Phase.generate], **_COMMON)
settings.register_profile("fuzz-shrink", max_examples=25, **_COMMON)
settings.register_profile("fuzz-long", max_examples=500, phases=[Phase.explicit, Phase.generate, Phase.shrink],
                          **_COMMON)
FUZZ = settings.get_profile(os.environ.get("FUZZ_PROFILE", "fuzz"))

# What a refused request must leave as it was: the resident-facing records and everything derived from them.
WATCHED_TABLES = ("cases", "case_events", "case_photos", "case_me_toos", "case_rounds", "case_number_counters",
                  "survey_responses", "survey_answers", "survey_tallies", "survey_tokens", "survey_phone_codes",
                  "exposure_items", "exposure_events", "exposure_appeals", "deliveries", "users", "audit_log")


def row_counts():
    """Every watched table's row count, in one statement, plus the files in the upload folder."""
    db.session.expire_all()
    union = " UNION ALL ".join(f"SELECT '{name}', COUNT(*) FROM {name}" for name in WATCHED_TABLES)
    counts = dict(db.session.execute(db.text(union)).all())
    db.session.rollback()
    return counts


def upload_files(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


@pytest.fixture
def world(app):
    """The board's small city (cases with a reporter's phone, items in every state) for the fuzzer to aim at, and
    one more open case whose description carries the reporter's phone number."""
    world = build_world()
    world.cases.append(make_case(category=world.garbage, area=world.community,
                                 description=f"井盖丢了，有事打我电话 {REPORTER_PHONE}"))
    return world


@pytest.fixture
def fuzz_client(app):
    """A reader who chose English, so validation messages can be asserted in one language."""
    client = app.test_client()
    client.set_cookie("lang", "en")
    return client


def assert_no_server_error(response):
    assert response.status_code < 500, (response.status_code, response.get_data(as_text=True)[:2000])


def assert_nothing_private(response, *secrets):
    """No query code or reporter phone in what a stranger gets back."""
    body = response.get_data(as_text=True) if not response.is_streamed else ""
    for secret in (REPORTER_PHONE, *secrets):
        assert secret not in body, f"{secret!r} leaked"
