"""Fixtures: every test runs on SQLite, and again on PostgreSQL when TEST_DATABASE_URL points at one."""
import copy
import fcntl
import itertools
import operator
import os
import shutil
import sqlite3
from contextlib import closing

import pytest
import sqlalchemy
from flask import g, has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade
from jinja2 import BytecodeCache
from sqlalchemy.engine import make_url
from werkzeug.routing.rules import Rule

from composition import create_app
from composition.demo import seed_demo_city
from portal import cache
from portal.city import ensure_city_settings
from portal.extensions import babel, compress, csrf, db, limiter, login_manager, migrate

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "")


def _memoised_builder(compile_builder):
    """Werkzeug compiles each URL rule's builder from a Python AST, in every app: with ~200 routes that was 80 % of
    ``create_app`` and ``create_app`` runs once per test or more. The builder depends only on the rule's parts and
    defaults (it reads the converters through the rule it is bound to), so the suite compiles each rule once."""
    cache = {}

    def builder(self, append_unknown=True):
        key = (self.rule, self.subdomain, self.host, tuple(self._trace), repr(sorted((self.defaults or {}).items())),
               tuple(type(c) for c in self._converters.values()), append_unknown)
        if key not in cache:
            cache[key] = compile_builder(self, append_unknown)
        return cache[key]

    return builder


Rule._compile_builder = _memoised_builder(Rule._compile_builder)


def _memoised_parse(parse_rule):
    """Parsing a rule's text into its parts was the other half of Werkzeug's work in ``create_app``. The parts depend
    only on the text and on the converter classes of the map, so each text is parsed once; every rule still gets its
    own trace and converter instances (bound to its own map), as a parse would give it, and shares the parts, which
    are only read."""
    cache = {}

    def parse(self, rule):
        key = (rule, tuple(sorted(self.map.converters.items())))
        if key not in cache:
            trace, converters = len(self._trace), dict(self._converters)
            parts = list(parse_rule(self, rule))
            made = [(name, type(c), c) for name, c in self._converters.items() if converters.get(name) is not c]
            cache[key] = (parts, self._trace[trace:], made)
            return iter(parts)
        parts, trace, made = cache[key]
        for name, _kind, converter in made:
            fresh = copy.copy(converter)
            fresh.map = self.map
            self._converters[name] = fresh
            self.arguments.add(name)
        self._trace.extend(trace)
        return iter(parts)  # read only, by the matcher and the rule's weights

    return parse


Rule._parse_rule = _memoised_parse(Rule._parse_rule)


class _TemplateBytecode(BytecodeCache):
    """Every app of the suite compiles the same templates with the same Jinja settings (one ``create_app``): Jinja's
    bytecode cache, kept in memory for the session, compiles each template once instead of once per app. A template
    whose source changed has another checksum and is compiled again."""

    def __init__(self):
        self.compiled = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket):
        self.compiled[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_BYTECODE = _TemplateBytecode()


class _SharedEngines:
    """The tests' apps on the shared test database reuse their SQLAlchemy engines from one test to the next: a new
    engine per test meant new connections and every statement compiled again (SQLAlchemy caches compiled SQL per
    engine), a third of what a small test cost. The n-th app of a test gets the n-th engine of its options, so two
    apps in one test (``served``) still have pools of their own, as two processes would. An engine that a test left
    with a connection checked out is disposed of and not reused."""

    def __init__(self):
        self.engines = {}
        self.slot = None  # (url, n) while make_app builds its n-th app on the shared database

    def make(self, bind_key, options, app):
        if self.slot is None:
            return sqlalchemy.engine_from_config(options, prefix="")
        key = (self.slot, bind_key, repr(sorted(options.items())))
        if key not in self.engines:
            self.engines[key] = sqlalchemy.engine_from_config(options, prefix="")
        return self.engines[key]

    def release(self, engine):
        """After a test: keep the engine for the next one unless a connection is still checked out."""
        if engine.pool.checkedout():
            self.engines = {key: kept for key, kept in self.engines.items() if kept is not engine}
            engine.dispose()

    def dispose_all(self):
        for engine in self.engines.values():
            engine.dispose()
        self.engines = {}


ENGINES = _SharedEngines()
db._make_engine = ENGINES.make

# The extension objects shared by every app of the process; ``init_app`` writes some of the app's settings onto them
# (Flask-Limiter whether it is enabled, Flask-Compress its cache), so they hold those of the app built last.
SHARED_EXTENSIONS = (db, migrate, csrf, limiter, compress, babel, login_manager)
# What an app holds that is set up once, at build time: a test that changes any of it gets an app of its own next.
_APP_SETUP = ("view_functions", "blueprints", "error_handler_spec", "before_request_funcs", "after_request_funcs",
              "teardown_request_funcs", "teardown_appcontext_funcs", "url_value_preprocessors",
              "url_default_functions", "template_context_processors", "url_build_error_handlers",
              "shell_context_processors")


def _setup_of(app):
    """What ``app`` was set up with, flattened to a list of the very objects (compared by identity): its attributes,
    routes, hooks, handlers and the Jinja environment's, but not what is restored in place (config, extensions,
    Jinja's globals, filters and tests) nor what requests fill (Jinja's loaded templates)."""
    found = []

    def walk(value):
        if isinstance(value, dict):
            for key, item in value.items():
                if not _holds_nothing(item):
                    found.append(key)
                    walk(item)
            found.append(_END)
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)
            found.append(_END)
        else:
            found.append(value)

    env = app.jinja_env
    found.extend(value for key, value in vars(app).items() if key != "_got_first_request")
    found.extend(value for key, value in vars(app.url_map).items() if key != "_remap")  # "rules changed"
    found.extend(vars(env).values())
    walk([[getattr(app, name) for name in _APP_SETUP], app.url_map._rules, env.extensions])
    return found


def _holds_nothing(value):
    """A dict or list with nothing but such in it: Flask's error handlers are defaultdicts of defaultdicts, and
    looking a blueprint's handler for a code up adds both keys, with nothing under them."""
    if isinstance(value, dict):
        return all(_holds_nothing(item) for item in value.values())
    return isinstance(value, list) and all(_holds_nothing(item) for item in value)


def _same(found, kept):
    return len(found) == len(kept) and all(map(operator.is_, found, kept))


_END = object()  # the end of a dict or list in ``_setup_of``


class _KeptApps:
    """One app per worker and test database for the tests that take it as it comes (``app``, ``client``, a bare
    ``make_app()``): building an app is ~200 URL rules registered by Flask and Werkzeug, and a fresh app loads every
    template it renders again. The kept app is given to the next such test as it was built: its config and
    ``app.extensions`` (the per-app caches: public pages, settings copy, survey form pages, HTTP client, stores ...)
    restored to their state after the build, Jinja's globals, filters and tests too, the shared extension objects
    given back the state this app's build left on them (another test's app may have been built since) but for
    Flask-Babel's catalogues, read once per process as in production (a new Domain per test read the .mo files at
    every test), and Flask's "has served a request" flag cleared. A test that changed what the app was set up with
    (a route, a hook, an attribute: ``_setup_of``) leaves the app behind and the next test builds a new one; so does
    a test whose engine was disposed (``_SharedEngines.release``)."""

    def __init__(self):
        self.kept = {}  # database url -> (app, its state after the build)

    def keep(self, app, url):
        env, _loader = app.jinja_env, app.jinja_loader  # Flask makes both on first use: made now, not in a test
        with app.app_context():
            engine = db.engine
        self.kept[url] = (app, {
            "setup": _setup_of(app), "config": copy.deepcopy(dict(app.config)),
            "extensions": copy.deepcopy({key: value for key, value in app.extensions.items() if type(value) is dict}),
            "objects": {key: value for key, value in app.extensions.items() if type(value) is not dict},
            "jinja": [(kept, dict(kept)) for kept in (env.globals, env.filters, env.tests)],
            "shared": [(extension, dict(vars(extension))) for extension in SHARED_EXTENSIONS],
            "engine": engine})

    def take(self, url, uploads):
        """The kept app for ``url``, as it was built and with ``uploads`` as its upload folder; None when there is
        none to give (none built yet, or the last test changed it)."""
        app, state = self.kept.pop(url, (None, None))
        if app is None or not _same(_setup_of(app), state["setup"]) \
                or not any(engine is state["engine"] for engine in ENGINES.engines.values()):
            return None
        app.config.clear()  # in place: the security headers hold the config itself
        app.config.update(copy.deepcopy(state["config"]), UPLOAD_FOLDER=str(uploads))
        app.extensions.clear()
        app.extensions.update(state["objects"], **copy.deepcopy(state["extensions"]))
        cache.init_app(app)  # an empty store of public pages
        for kept, items in state["jinja"]:
            kept.clear()
            kept.update(items)
        translations = vars(babel).get("domain_instance")  # Flask-Babel's catalogues, read once per process
        for extension, items in state["shared"]:
            vars(extension).clear()
            vars(extension).update(items)
        if translations is not None:
            babel.domain_instance = translations
        backend = app.config["COMPRESS_CACHE_BACKEND"]
        compress.cache = backend() if backend else None  # a new app's, as Flask-Compress's init_app makes it
        app._got_first_request = False
        self.kept[url] = app, state
        return app


KEPT_APPS = _KeptApps()


@pytest.fixture(scope="session", autouse=True)
def _dispose_shared_engines():
    yield
    ENGINES.dispose_all()


@pytest.fixture(scope="session")
def source_message_keys():
    """The message keys in the code and templates now (``portal.catalogues.source_messages``: Babel's extraction over
    the tree, two seconds), read once per session and when a test first needs them, not at collection."""
    from portal.catalogues import source_messages

    return frozenset(source_messages())


@pytest.fixture
def redis_url(tmp_path_factory):
    """A Redis for shared counters (rate limits), or a skip saying why there is none. The tests empty it, so under
    pytest-xdist they take turns (a lock file beside the workers' shared temporary folder)."""
    if not REDIS_URL:
        pytest.skip("TEST_REDIS_URL is not set (Redis tests run in CI via .ci/run)")
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis at TEST_REDIS_URL is not reachable: {exc}")
    with open(tmp_path_factory.getbasetemp().parent / "redis.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield REDIS_URL


def _pg_unavailable_reason():
    if not PG_URL:
        return "TEST_DATABASE_URL is not set (PostgreSQL tests run in CI via .ci/run)"
    try:
        import psycopg

        psycopg.connect(PG_URL.replace("postgresql+psycopg://", "postgresql://"), connect_timeout=3).close()
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return f"PostgreSQL at TEST_DATABASE_URL is not reachable: {exc}"
    return None


class IsolatedClient(FlaskClient):
    """A test client whose requests don't see each other's ``g`` or stale ORM state.

    Tests hold an app context so they can use the database; Flask then reuses that context for each request,
    which would let ``g`` (the signed-in user, cached settings) leak from one request to the next.
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            for key in list(g):
                g.pop(key)
            db.session.expire_all()
        return super().open(*args, **kwargs)


def _worker_database(url, worker):
    """Under pytest-xdist (``-n 2``) each worker gets its own PostgreSQL database, ``<name>_<worker>`` (e.g.
    ``test_gw0``), created on first use; without xdist the database of TEST_DATABASE_URL itself."""
    if not worker:
        return url
    import psycopg
    from sqlalchemy.engine import make_url

    parts = make_url(url)
    name = f"{parts.database}_{worker}"
    admin = parts.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')
    return parts.set(database=name).render_as_string(hide_password=False)


def base_config(url, **overrides):
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "PUBLIC_BASE_URL": "http://minsheng.test",
        "SERVER_NAME": None,
        # Production hashes with scrypt (a tenth of a second, on purpose); the tests' users need no such cost.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
    }
    config.update(overrides)
    return config


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory):
    """A migrated, empty database per backend, shared by the session; tests empty it after themselves."""
    if request.param == "postgresql":
        reason = _pg_unavailable_reason()
        if reason:
            pytest.skip(reason)
        url = _worker_database(PG_URL, os.environ.get("PYTEST_XDIST_WORKER", ""))
        _pg_without_commit_waits(url)
        app = create_app(base_config(url))
        with app.app_context():
            db.drop_all()
            db.session.execute(db.text("DROP TABLE IF EXISTS alembic_version"))
            db.session.commit()
    else:
        url = "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.db")
        app = create_app(base_config(url))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return url


def _pg_without_commit_waits(url):
    """Commits on a test database don't wait for the write-ahead log to reach the disk (``synchronous_commit``
    off, for every connection to that database, the test's subprocesses' too): a crash could lose the last
    commits of a database that is rebuilt at every run anyway, and what each commit makes visible is the same.
    Most of the PostgreSQL run was spent waiting on those flushes."""
    name = make_url(url).database
    _pg_admin(url, f'ALTER DATABASE "{name}" SET synchronous_commit = off')


def _empty_all_tables():
    """Empty what the test wrote, in one query to find it: the tables holding rows, and on PostgreSQL also those
    whose id sequence moved (every test starts its ids at 1 there, as after ``TRUNCATE ... RESTART IDENTITY``)."""
    db.session.rollback()
    tables = list(reversed(db.metadata.sorted_tables))
    found = " UNION ALL ".join(f"SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM {t.name})" for t in tables)
    if db.engine.dialect.name == "postgresql":
        found += (" UNION ALL SELECT DISTINCT owner.relname FROM pg_class seq"
                  " JOIN pg_depend dep ON dep.objid = seq.oid AND dep.deptype IN ('a', 'i')"
                  " JOIN pg_class owner ON owner.oid = dep.refobjid"
                  " WHERE CASE WHEN seq.relkind = 'S' THEN pg_sequence_last_value(seq.oid) END IS NOT NULL")
    written = {name for (name,) in db.session.execute(db.text(found))}
    if written and db.engine.dialect.name == "postgresql":
        names = ", ".join(t.name for t in tables if t.name in written)
        db.session.execute(db.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    elif written:
        db.session.execute(db.text("PRAGMA foreign_keys=OFF"))
        for table in tables:
            if table.name in written:
                db.session.execute(table.delete())
        db.session.execute(db.text("PRAGMA foreign_keys=ON"))
    db.session.commit()


@pytest.fixture
def uploads(tmp_path):
    """Where this test's report photos are stored (never the real instance folder)."""
    return tmp_path / "uploads"


class SeededCity:
    """The demo city seeded once (see ``seeded_city``): the seeding's summary, and ``copy()`` for a fresh database
    holding it; its photos are in ``uploads``."""

    def __init__(self, summary, copy, uploads):
        self.summary, self.copy, self.uploads = summary, copy, uploads


@pytest.fixture(scope="session")
def seeded_city(database_url, tmp_path_factory):
    """The demo city, seeded once per backend (and xdist worker) into a database of its own: seeding takes several
    seconds, a copy a few milliseconds (SQLite's backup API from the template file, ``CREATE DATABASE … TEMPLATE``
    on PostgreSQL), so that a test that changes the city changes only its copy."""
    folder = tmp_path_factory.mktemp("demo")
    if database_url.startswith("sqlite"):
        template = folder / "demo.db"
        url = f"sqlite:///{template}"
    else:
        template, url = _pg_database(database_url, "demo")
        _pg_admin(database_url, f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)', f'CREATE DATABASE "{template}"')
        _pg_without_commit_waits(url)
    seeding = create_app(base_config(url, UPLOAD_FOLDER=str(folder / "uploads")))
    with seeding.app_context():
        upgrade()
        ensure_city_settings()
        summary = seed_demo_city()
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    copies = itertools.count(1)

    def copy():
        if database_url.startswith("sqlite"):
            target = folder / f"city-{next(copies)}.db"
            with closing(sqlite3.connect(template)) as source, closing(sqlite3.connect(target)) as out:
                source.backup(out)  # consistent whatever the journal mode
            return f"sqlite:///{target}"
        name, copy_url = _pg_database(database_url, "city")
        _pg_admin(database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
                  f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        _pg_without_commit_waits(copy_url)
        return copy_url

    return SeededCity(summary, copy, folder / "uploads")


def _pg_database(url, suffix):
    """The name and address of a database beside the test database, e.g. ``test_demo`` beside ``test``."""
    parts = make_url(url)
    name = f"{parts.database}_{suffix}"
    return name, parts.set(database=name).render_as_string(hide_password=False)


def _pg_admin(url, *statements):
    """Run statements that create or drop databases (outside a transaction, from the maintenance database)."""
    import psycopg

    admin = make_url(url).set(database="postgres").set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        for statement in statements:
            connection.execute(statement)


@pytest.fixture
def demo_city(seeded_city):
    """The demo city for this test: every app the test builds (``app``, ``client``, ``live_server`` ...) runs on a
    fresh copy of the seeded city, with its photos. Returns the seeding's summary."""
    return seeded_city.summary


@pytest.fixture
def make_app(request, database_url, uploads):
    """Build an app on the test database with extra config (e.g. CSRF on); on a fresh copy of the demo city when
    the test asks for ``demo_city``. A test's first app without extra config on the test database is the worker's
    kept one (``_KeptApps``), as it was built."""
    apps = []
    url = database_url
    if "demo_city" in request.fixturenames:
        seeded = request.getfixturevalue("seeded_city")
        url = seeded.copy()
        if seeded.uploads.exists():
            shutil.copytree(seeded.uploads, uploads, dirs_exist_ok=True)

    def factory(**overrides):
        plain = not overrides and not apps and url == database_url  # the test's first app, as it comes
        app = KEPT_APPS.take(url, uploads) if plain else None
        if app is None:
            app = build(**overrides)
            if plain:
                KEPT_APPS.keep(app, url)
        apps.append(app)
        with app.app_context():
            ensure_city_settings()
            db.session.commit()
        return app

    def build(**overrides):
        overrides.setdefault("UPLOAD_FOLDER", str(uploads))
        ENGINES.slot = (url, len(apps)) if url == database_url else None
        try:
            app = create_app(base_config(url, **overrides))
        finally:
            ENGINES.slot = None
        app.jinja_env.bytecode_cache = TEMPLATE_BYTECODE
        app.test_client_class = IsolatedClient
        return app

    yield factory
    for index, app in enumerate(apps):
        with app.app_context():
            if url != database_url:
                db.engine.dispose()
                continue
            if index == 0:  # every app shares the database: empty it once
                _empty_all_tables()
            db.session.remove()
            ENGINES.release(db.engine)
    if url != database_url and url.startswith("sqlite"):
        os.remove(make_url(url).database)  # a copy of the demo city is not reused (on PostgreSQL the next drops it)


@pytest.fixture
def served(make_app, monkeypatch):
    """A second app on the same database whose requests, as in production, each get their own app context and
    session (the ``client`` fixture's requests share the test's)."""
    from portal import city

    monkeypatch.setattr(city, "RECHECK_SECONDS", 3600)  # no re-check of the settings in the middle of a test
    return make_app()


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def english_client(app):
    """A browser whose reader chose English, for assertions on English wording."""
    client = app.test_client()
    client.set_cookie("lang", "en")
    return client


@pytest.fixture
def login(client):
    """Sign ``user`` in through the real login form (the password is the factory default)."""

    def do_login(user, password="password123"):
        response = client.post("/login", data={"username": user.username, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return do_login


def pytest_terminal_summary(terminalreporter):
    """One line per skip reason instead of one per test (every test skips the same way without PostgreSQL)."""
    reasons = {}
    for report in terminalreporter.stats.get("skipped", []):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reasons[reason] = reasons.get(reason, 0) + 1
    for reason, count in sorted(reasons.items()):
        terminalreporter.write_line(f"skipped {count}: {reason}")
