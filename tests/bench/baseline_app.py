"""The baseline for intake throughput: a bare Flask endpoint that does one raw SQLite insert per request."""
import os
import sqlite3

from flask import Flask, request

DB = os.environ["BENCH_BASELINE_DB"]
app = Flask(__name__)


def _connect():
    connection = sqlite3.connect(DB, timeout=30, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("PRAGMA busy_timeout=30000")
    return connection


with _connect() as setup:
    setup.execute("CREATE TABLE IF NOT EXISTS reports (id INTEGER PRIMARY KEY, description TEXT, created TEXT)")


@app.get("/healthz")
def healthz():
    return "ok"


@app.post("/insert")
def insert():
    connection = _connect()
    try:
        connection.execute("INSERT INTO reports (description, created) VALUES (?, datetime('now'))",
                           (request.form.get("description", ""),))
    finally:
        connection.close()
    return "ok"
