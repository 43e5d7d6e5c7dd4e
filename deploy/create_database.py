"""Create the PostgreSQL database named by DATABASE_URL when it does not exist yet (``make run-prod`` calls it).

Connects to the server's ``postgres`` maintenance database with the same user; does nothing for SQLite.
"""
import os
import sys

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url


def main():
    url = make_url(os.environ["DATABASE_URL"])
    if not url.drivername.startswith("postgres"):
        return 0
    name = url.database
    maintenance = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(maintenance, autocommit=True, connect_timeout=5) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists:
            print(f"database {name} exists")
            return 0
        connection.execute(sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0").format(
            sql.Identifier(name)))
        print(f"database {name} created")
    return 0


if __name__ == "__main__":
    sys.exit(main())
