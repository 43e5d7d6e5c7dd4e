"""Start gunicorn servers on loopback (tests/bench/wrk.py drives them)."""
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """``gunicorn <app>`` with N workers on a free loopback port, stopped on exit."""

    def __init__(self, app, env, workers=2, python=sys.executable, cwd=ROOT):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [python, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{self.port}",
                   "--log-level", "warning", app]
        self.process = subprocess.Popen(command, cwd=cwd, env={**os.environ, **env})

    def __enter__(self):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                requests.get(self.url + "/healthz", timeout=10)
                return self
            except requests.RequestException:
                time.sleep(0.3)
        self.__exit__()
        raise RuntimeError(f"server on {self.url} did not start")

    def cpu_seconds(self):
        """CPU seconds (user + system) the server's worker processes have used so far."""
        total = 0
        for pid in Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split():
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))
        return total / os.sysconf("SC_CLK_TCK")

    def __exit__(self, *_exc):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


class _Session(requests.Session):
    """requests' Session, minus the work of preparing the next request of a redirect nobody follows: on every
    302/303 answered with ``allow_redirects=False`` requests builds that request anyway (``Response.next``), which
    cost the load client ~0.3 ms per request of the two cores it shares with the server being measured."""

    def resolve_redirects(self, response, request, *args, yield_requests=False, **kwargs):
        if yield_requests:
            return iter(())
        return super().resolve_redirects(response, request, *args, yield_requests=yield_requests, **kwargs)


def new_session():
    """A client session that closes each connection: gunicorn's sync workers do not keep connections alive."""
    session = _Session()
    session.headers["Connection"] = "close"
    return session


def bench_line(name, value, unit):
    print(f"BENCH {name} {value} {unit}", flush=True)
