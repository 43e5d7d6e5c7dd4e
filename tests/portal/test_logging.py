"""What an operator reads in the terminal: each log line once (walkthrough item 15 of issue #12)."""
import subprocess
import sys

from portal.config import ROOT

SCRIPT = """
import logging
from portal import create_app
app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
logging.getLogger("portal.scheduler.runner").info("scheduler demo-holder started")
app.logger.warning("the app itself speaks")
"""


def test_a_log_line_of_the_app_or_the_scheduler_prints_once():
    # A fresh interpreter, as `flask scheduler` is: pytest's own log capture would hide the doubling.
    run = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stderr.count("scheduler demo-holder started") == 1
    assert run.stderr.count("the app itself speaks") == 1
