"""``make bench-peer``: survey submissions per second here and in django-survey-and-report 1.5.0 (PyPI), measured the
same way: gunicorn with 2 sync workers, SQLite in WAL mode, wrk ``-t2 -c16 -d10s``, the session/CSRF cookie and
token fetched once, every answer checked to be stored. Rounds alternate between the two (BENCH_ROUNDS, 3 by
default); prints the medians ``BENCH peer_survey_per_s``, ``BENCH survey_submit_per_s`` and the median of the
rounds' ratios ``BENCH vs_peer_ratio``.

The peer is installed into its own virtualenv outside the project (``$XDG_CACHE_HOME/minsheng-bench/peer-venv``,
``~/.cache`` by default; ``BENCH_PEER_VENV`` overrides), and set up as its README says on Django's default project
settings (default middleware, sessions, CSRF): a published anonymous one-page survey of 10 questions
(tests/bench/peer/).
"""
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from html import unescape
from pathlib import Path
from urllib.parse import urlencode

from tests.bench import throughput, wrk
from tests.bench.harness import Server, bench_line, new_session

PEER = Path(__file__).with_name("peer")
REQUIREMENTS = ["django-survey-and-report==1.5.0", "Django==5.2.19", "gunicorn==23.0.0"]
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))


def peer_venv():
    """The peer's virtualenv, created and filled on first use."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    venv = Path(os.environ.get("BENCH_PEER_VENV") or cache / "minsheng-bench" / "peer-venv")
    marker = venv / ("installed-" + "-".join(REQUIREMENTS).replace("=", ""))
    if not marker.exists():
        print(f"installing {', '.join(REQUIREMENTS)} into {venv}", file=sys.stderr, flush=True)
        shutil.rmtree(venv, ignore_errors=True)
        base = getattr(sys, "_base_executable", sys.executable)
        subprocess.run([base, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", *REQUIREMENTS], check=True)
        marker.touch()
    return venv


def prepare_peer(venv, folder):
    """Migrate the peer's database, switch it to WAL and create the survey; returns (environment, survey id)."""
    for name in ("settings.py", "peer_urls.py"):
        shutil.copy(PEER / name, folder / name)
    env = {"PEER_DIR": str(folder), "DJANGO_SETTINGS_MODULE": "settings", "PYTHONPATH": str(folder),
           "PYTHONWARNINGS": "ignore::UserWarning"}  # the package warns that its optional pandas is missing
    run_env = {**os.environ, **env}
    admin = [str(venv / "bin" / "python"), "-m", "django"]
    subprocess.run(admin + ["migrate", "--no-input"], env=run_env, check=True, capture_output=True)
    with sqlite3.connect(folder / "peer.db") as connection:
        connection.execute("PRAGMA journal_mode=WAL")
    made = subprocess.run(admin + ["shell", "-c", (PEER / "make_survey.py").read_text()], env=run_env, check=True,
                          capture_output=True, text=True).stdout
    return env, int(re.search(r"SURVEY (\d+)", made).group(1))


def peer_body(url):
    """Cookie header and form body of one valid submission: the CSRF cookie and token fetched once, the first
    option of each choice question, a comment."""
    session = new_session()
    page = session.get(url, timeout=30).text
    fields = {"csrfmiddlewaretoken": re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)}
    for name, value in re.findall(r'<input[^>]*type="radio"[^>]*name="(question_\d+)"[^>]*value="([^"]*)"', page):
        fields.setdefault(name, unescape(value))
    for name in re.findall(r'<textarea[^>]*name="(question_\d+)"', page):
        fields[name] = "公厕需要加强保洁"
    if len([name for name in fields if name.startswith("question_")]) != 10:
        raise SystemExit(f"peer survey form: expected 10 questions, found {sorted(fields)}")
    cookie = "; ".join(f"{name}={value}" for name, value in session.cookies.items())
    return [f"Cookie: {cookie}"], urlencode(fields)


def bench_peer(venv, folder):
    env, survey_id = prepare_peer(venv, folder)
    server = Server("django.core.wsgi:get_wsgi_application()", env, python=str(venv / "bin" / "python"),
                    cwd=folder)
    with server:
        headers, body = peer_body(f"{server.url}/survey/{survey_id}/")
        result = wrk.run(server, method="POST", path=f"/survey/{survey_id}/", body=body, headers=headers,
                         accept=302, accept_location="/survey/confirm/")
    stored = throughput.count(folder / "peer.db", "SELECT COUNT(*) FROM survey_response")
    throughput.check("peer survey", result, stored)
    return result.per_s


def main():
    if not wrk.available():
        print(wrk.MISSING, file=sys.stderr)
        return
    venv = peer_venv()
    ours, peer = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for number in range(ROUNDS):
            folder = Path(tmp) / f"round{number + 1}"
            (folder / "peer").mkdir(parents=True)
            peer.append(bench_peer(venv, folder / "peer"))
            throughput.prepare_city(folder / "bench.db")
            ours.append(throughput.bench_survey(folder)[0].per_s)
            print(f"round {number + 1}: ours {ours[-1]:.1f}/s, peer {peer[-1]:.1f}/s", file=sys.stderr, flush=True)
    load = f"wrk -t{wrk.THREADS} -c{wrk.CONNECTIONS} -d{wrk.SECONDS}s, median of {ROUNDS}"
    bench_line("peer_survey_per_s", f"{statistics.median(peer):.1f}", f"req/s (django-survey-and-report 1.5.0; {load})")
    bench_line("survey_submit_per_s", f"{statistics.median(ours):.1f}", f"req/s ({load})")
    bench_line("vs_peer_ratio", f"{statistics.median(o / p for o, p in zip(ours, peer, strict=True)):.1f}", "x")


if __name__ == "__main__":
    main()
