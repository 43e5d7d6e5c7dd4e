"""Drive a server with wrk (the C load client) through tests/bench/lua/load.lua, and read back what it counted.

wrk spends a small fraction of the CPU a Python client would on the two cores it shares with the server, so the
rates measure the server. Each run writes a settings file for the Lua script: the method, the path (or a file of
paths), a body whose ``@KEY@`` becomes a key unique to the request or a file of bodies each sent once, headers (the
session cookie and CSRF token fetched once beforehand), and what an accepted answer looks like.
"""
import os
import secrets
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

SCRIPT = Path(__file__).with_name("lua") / "load.lua"
THREADS = int(os.environ.get("BENCH_WRK_THREADS", "2"))
CONNECTIONS = int(os.environ.get("BENCH_WRK_CONNECTIONS", "16"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
MISSING = ("wrk is not installed: throughput figures skipped (Debian/Ubuntu: apt-get install wrk; .ci/run installs "
           "it when run as root)")


def available():
    return shutil.which("wrk") is not None


@dataclass
class Result:
    accepted: int
    requests: int
    seconds: float
    statuses: dict = field(default_factory=dict)
    socket_errors: int = 0
    exhausted: int = 0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    cpu_ms: float | None = None  # the server's CPU per request (Linux; None elsewhere)

    @property
    def per_s(self):
        return self.accepted / self.seconds

    @property
    def unexpected(self):
        """Answers that are neither 2xx nor 3xx, by status."""
        return {status: count for status, count in self.statuses.items() if not 200 <= status < 400}


def run(server, *, method="GET", path="/", paths=None, body=None, bodies=None, headers=(), accept=200,
        accept_location=None, connections=CONNECTIONS, seconds=SECONDS, threads=THREADS):
    """Run wrk against the harness ``server`` and return a Result; ``accepted`` counts answers with status
    ``accept`` (and a Location containing ``accept_location``). ``paths`` and ``bodies`` are lists; each body is sent
    at most once."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = [f"method {method}", f"path {path}", f"accept {accept}", f"threads {threads}",
                    f"nonce {secrets.token_hex(8)}"]
        if accept_location:
            settings.append(f"accept_location {accept_location}")
        if body is not None:
            settings.append(f"body {body}")
        for name, lines in (("paths", paths), ("bodies", bodies)):
            if lines is not None:
                (Path(tmp) / name).write_text("\n".join(lines) + "\n")
                settings.append(f"{name} {Path(tmp) / name}")
        settings += [f"header {header}" for header in headers]
        (Path(tmp) / "settings").write_text("\n".join(settings) + "\n")
        command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s",
                   "-s", str(SCRIPT), server.url, "--", str(Path(tmp) / "settings")]
        cpu_before = _cpu(server)
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        cpu_after = _cpu(server)
    values = {}
    for line in output.splitlines():
        if line.startswith("WRK "):
            _wrk, name, value = line.split()
            values[name] = int(value)
    return Result(
        accepted=values["accepted"], requests=values["requests"], seconds=values["duration_us"] / 1e6,
        statuses={int(name[7:]): count for name, count in values.items() if name.startswith("status_")},
        socket_errors=sum(values[f"errors_{kind}"] for kind in ("connect", "read", "write", "timeout")),
        exhausted=values["exhausted"], p50_ms=values["p50_us"] / 1000, p95_ms=values["p95_us"] / 1000,
        p99_ms=values["p99_us"] / 1000,
        cpu_ms=None if cpu_before is None else (cpu_after - cpu_before) * 1000 / max(values["requests"], 1))


def _cpu(server):
    try:
        return server.cpu_seconds()
    except (OSError, ValueError):
        return None
