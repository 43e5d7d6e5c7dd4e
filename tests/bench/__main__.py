"""``make bench``: throughput under wrk, in-process CPU figures, the results page over 1,000,000 answers, the board and
the city scorecard.

Throughput (tests/bench/throughput.py; skipped with a clear message when wrk is missing): gunicorn with 2 sync
workers on SQLite, wrk ``-t2 -c16 -d10s`` (BENCH_SECONDS, BENCH_WRK_CONNECTIONS), BENCH_ROUNDS rounds (3) of bare
Flask "ok", the bare-insert baseline, report intake, survey submission and the survey form's GET, each round on fresh
databases; prints the medians ``BENCH bare_ok_per_s``, ``BENCH baseline_insert_per_s``, ``BENCH intake_per_s``,
``BENCH intake_ratio`` (÷ baseline), ``BENCH survey_submit_per_s``, ``BENCH survey_ratio`` (÷ baseline),
``BENCH survey_form_get_per_s``, ``BENCH survey_form_get_ratio`` (÷ bare ok) and each server's CPU per request
(``BENCH *_server_cpu_ms``). Every accepted request must have been stored exactly once.

Then the CPU milliseconds and SQL statements of one intake and one survey submission in-process (Flask's test
client, so the client's own work is included), ``BENCH survey_results_ms_1m`` (target < 300 ms), the exposure board
with 10,000 items (tests/bench/board.py: ``BENCH board_ratio``, ``BENCH board_p99_ms`` at 64 readers,
``BENCH board_p95_ms``, ``BENCH board_feed_p95_ms``), ``BENCH scorecard_ms_1m`` (tests/bench/scorecards.py) and the
map (tests/bench/map.py: ``BENCH case_map_ms_100k``, ``BENCH point_in_cell_ms``).
First, the bytes a phone downloads on a cold cache for three resident pages (tests/bench/weight.py).
``make bench-peer`` compares survey submissions with django-survey-and-report (tests/bench/peer_django_survey.py).
"""
import os
import re
import statistics
import sys
import tempfile
import uuid
from pathlib import Path

from tests.bench import throughput, wrk
from tests.bench.harness import bench_line

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))


def _app(db_path):
    from composition import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}", "SECRET_KEY": "bench",
                       "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "LOG_LEVEL": "WARNING"})


def bench_survey_results(tmp):
    """Median time of the staff results page (as a leader) for a survey holding 1,000,000 answers."""
    import time

    from portal.auth.models import Role, User
    from portal.extensions import db
    from surveys.bench import make_bench_survey, seed_answers

    app = _app(Path(tmp) / "bench.db")
    with app.app_context():
        survey = make_bench_survey()
        seed_answers(survey, 1_000_000)
        survey_id = survey.id
        leader = db.session.execute(db.select(User).filter_by(role=Role.LEADER)).scalars().first()
        username = leader.username
    client = app.test_client()
    client.post("/login", data={"username": username, "password": "minsheng-demo"})
    timings = []
    for _ in range(7):
        started = time.perf_counter()
        response = client.get(f"/console/surveys/{survey_id}/results?lang=en")
        timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"results page answered {response.status_code}")
    return sorted(timings)[len(timings) // 2]


def bench_in_process(tmp, requests=300):
    """CPU milliseconds per intake and per survey submission, and the SQL statements of one, measured in this
    process with Flask's test client (CSRF on; no server, no load client): steadier than throughput on a busy
    machine. Runs on the city the throughput runs filled."""
    import time

    from sqlalchemy import event

    from composition import create_app
    from portal.extensions import db
    from surveys.bench import make_bench_survey, submission_fields

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(tmp) / 'bench.db'}", "SECRET_KEY": "bench",
                      "RATELIMIT_ENABLED": False, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        category = db.session.execute(db.text("SELECT id FROM categories WHERE code = 'SR01'")).scalar()
        area = db.session.execute(db.text("SELECT id FROM areas WHERE level = 'grid' ORDER BY code LIMIT 1")).scalar()
        survey = make_bench_survey()
        slug = survey.slug
        submissions = [submission_fields(survey, "bench", index) for index in range(requests + 2)]
        engine = db.engine
    statements = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))

    def report(client, csrf, index):
        data = {"csrf_token": csrf, "idempotency_key": uuid.uuid4().hex, "category_id": str(category),
                "area_id": str(area), "description": f"压测反映第{index}件：路边垃圾未清运", "anonymous": "y"}
        return client.post("/report", data=data).status_code == 302

    def answer(client, csrf, index):
        return client.post(f"/surveys/{slug}", data=dict(submissions[index], csrf_token=csrf)).status_code == 303

    def measure(page, post):
        client = app.test_client()
        csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(page).text).group(1)
        post(client, csrf, requests)  # warm up: the settings copy, compiled statements
        statements.clear()
        if not post(client, csrf, requests + 1):
            raise SystemExit(f"in-process POST after {page} failed")
        counted = len(statements)
        started = time.process_time()
        for index in range(requests):
            post(client, csrf, index)
        return (time.process_time() - started) * 1000 / requests, counted

    return measure("/report?lang=en", report), measure(f"/surveys/{slug}?lang=en", answer)


def throughput_rounds(tmp):
    """Bare ok and the baseline, intake, survey submission and survey form, one after the other, ROUNDS times
    (each round on fresh databases).

    Returns the median rates and the median of each round's ratios (a round's runs share the machine's state), so
    one disturbed run on a shared machine does not decide a figure; every round is printed on stderr. The last
    round's folder holds the demo city the later measurements use.
    """
    rates = {name: [] for name in ("bare_ok", "baseline", "intake", "survey", "survey_form")}
    cpu = {name: [] for name in rates}
    for number in range(ROUNDS):
        folder = Path(tmp) / f"round{number + 1}"
        folder.mkdir()
        category, area = throughput.prepare_city(folder / "bench.db")
        bare, baseline = throughput.bench_baseline(folder)
        intake = throughput.bench_intake(folder, category, area)
        survey, survey_form = throughput.bench_survey(folder)
        for name, result in (("bare_ok", bare), ("baseline", baseline), ("intake", intake), ("survey", survey),
                             ("survey_form", survey_form)):
            rates[name].append(result.per_s)
            if result.cpu_ms is not None:
                cpu[name].append(result.cpu_ms)
        print(f"round {number + 1}: " + ", ".join(
            f"{name} {values[-1]:.1f}/s" + (f" ({cpu[name][-1]:.2f} ms CPU)" if cpu[name] else "")
            for name, values in rates.items()), file=sys.stderr, flush=True)

    def ratio(name, base):
        return statistics.median(value / of for value, of in zip(rates[name], rates[base], strict=True))

    ratios = {"intake": ratio("intake", "baseline"), "survey": ratio("survey", "baseline"),
              "survey_form_get": ratio("survey_form", "bare_ok")}
    medians = {name: statistics.median(values) for name, values in rates.items()}
    medians.update({f"{name}_cpu_ms": statistics.median(values) for name, values in cpu.items() if values})
    return medians, ratios, folder


def main():
    from tests.bench import board, scorecards, weight
    from tests.bench import map as case_map

    for name, value in weight.run().items():
        bench_line(name, value, "bytes")
    with tempfile.TemporaryDirectory() as tmp:
        bare_ok = None
        if wrk.available():
            rates, ratios, folder = throughput_rounds(tmp)
            bare_ok = rates["bare_ok"]
            load = f"wrk -t{wrk.THREADS} -c{wrk.CONNECTIONS} -d{wrk.SECONDS}s, median of {ROUNDS}"
            bench_line("bare_ok_per_s", f"{rates['bare_ok']:.1f}", f"req/s ({load})")
            bench_line("baseline_insert_per_s", f"{rates['baseline']:.1f}", f"req/s ({load})")
            bench_line("intake_per_s", f"{rates['intake']:.1f}", f"req/s ({load})")
            bench_line("intake_ratio", f"{ratios['intake']:.2f}", "x baseline")
            bench_line("survey_submit_per_s", f"{rates['survey']:.1f}", f"req/s ({load})")
            bench_line("survey_ratio", f"{ratios['survey']:.2f}", "x baseline")
            bench_line("survey_form_get_per_s", f"{rates['survey_form']:.1f}", f"req/s ({load})")
            bench_line("survey_form_get_ratio", f"{ratios['survey_form_get']:.2f}", "x bare ok")
            # The servers' own CPU per request (their workers' user + system time over the run / requests): steadier
            # than rates on a shared machine, and what the rates are made of.
            for name in ("bare_ok", "baseline", "intake", "survey", "survey_form"):
                if f"{name}_cpu_ms" in rates:
                    bench_line(f"{name}_server_cpu_ms", f"{rates[f'{name}_cpu_ms']:.2f}", "ms CPU per request")
        else:
            print(wrk.MISSING, file=sys.stderr)
            folder = Path(tmp) / "city"
            folder.mkdir()
            throughput.prepare_city(folder / "bench.db")
        (intake_ms, intake_sql), (survey_ms, survey_sql) = bench_in_process(folder)
        bench_line("intake_in_process_ms", f"{intake_ms:.2f}", "ms CPU")
        bench_line("intake_statements", intake_sql, "SQL")
        bench_line("survey_in_process_ms", f"{survey_ms:.2f}", "ms CPU")
        bench_line("survey_statements", survey_sql, "SQL")
        bench_line("survey_results_ms_1m", f"{bench_survey_results(folder):.0f}", "ms")
    for name, (value, unit) in board.run(bare_ok).items():
        bench_line(name, value, unit)
    bench_line("scorecard_ms_1m", f"{scorecards.run()['scorecard_ms_1m']:.1f}", "ms")
    figures = case_map.run()
    bench_line("case_map_ms_100k", f"{figures['case_map_ms_100k']:.1f}", "ms (target < 300)")
    bench_line("point_in_cell_ms", f"{figures['point_in_cell_ms']:.3f}", "ms per lookup, 10,000 cells (target < 1)")


if __name__ == "__main__":
    main()
