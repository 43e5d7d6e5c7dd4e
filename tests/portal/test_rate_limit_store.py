"""Rate limits are counted in the database by default, so every web process (gunicorn worker, machine) shares
them: wrong passwords sent to two processes add up, and the right password is refused once the limit is spent."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from portal.auth.models import Role
from portal.ratelimit import DatabaseStorage
from tests.factories import make_user

ROOT = Path(__file__).resolve().parents[2]
OTHER_WORKER = """
import json, sys
from composition import create_app
from tests.conftest import base_config
app = create_app(base_config(sys.argv[1], RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute"))
client = app.test_client()
codes = [client.post("/login", data={"username": sys.argv[2], "password": sys.argv[3]}).status_code
         for _ in range(int(sys.argv[4]))]
print(json.dumps(codes))
"""


def other_worker(url, username, password, times):
    """POST to /login from another process (another gunicorn worker) on the same database; its status codes."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-c", OTHER_WORKER, url, username, password, str(times)], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=120, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture
def limited(make_app):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    with app.app_context():
        yield app


def test_wrong_passwords_sent_to_two_processes_share_one_limit(limited, database_url):
    user = make_user(Role.ADMIN)
    client = limited.test_client()

    here = [client.post("/login", data={"username": user.username, "password": "wrong"}).status_code
            for _ in range(2)]
    there = other_worker(database_url, user.username, "wrong", 1)  # the 3rd attempt: still allowed
    right = other_worker(database_url, user.username, "password123", 1)  # the 4th: over 3 per minute

    assert here == [200, 200] and there == [200]  # a wrong password shows the form again
    assert right == [429]
    assert client.post("/login", data={"username": user.username, "password": "password123"}).status_code == 429


def test_the_store_counts_windows_and_starts_again_after_one(app):
    storage = DatabaseStorage()

    assert [storage.incr("k", 60) for _ in range(3)] == [1, 2, 3]
    assert storage.get("k") == 3 and storage.get("other") == 0
    assert storage.incr("gone", -1) == 1 and storage.get("gone") == 0  # a window that already ended
    assert storage.incr("gone", 60) == 1  # starts again at the hit's amount
    storage.clear("k")
    assert storage.get("k") == 0 and storage.check()


def test_an_explicit_in_memory_store_is_warned_about_at_startup(make_app, caplog):
    make_app(RATELIMIT_STORAGE_URI="memory://")

    assert "counted per process" in caplog.text
