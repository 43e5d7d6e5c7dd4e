# 民声 Minsheng. Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000
PO := $(wildcard translations/*/LC_MESSAGES/messages.po)
MO := $(PO:.po=.mo)

.PHONY: run run-prod test install migrate seed translations catalogues bench bench-peer lint css clean screenshots \
	loadtest loadtest-faults

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed catalogues

# Compiled catalogues are build output (not committed): rebuilt whenever a .po file changes.
catalogues: $(MO)
translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po $(VENV)/.installed
	$(VENV)/bin/pybabel compile --use-fuzzy -d translations -l $* >/dev/null

migrate: install
	$(FLASK) db upgrade

seed: migrate
	$(FLASK) seed-demo --if-empty

run: seed
	@echo ""
	@echo "  民声 Minsheng is serving at http://$(HOST):$(PORT)/   (staff console: http://$(HOST):$(PORT)/console/)"
	@echo ""
	$(FLASK) demo-logins
	@# The scheduler (time-limit watch, notifications, bulletins) runs beside the web server and stops with it.
	@$(FLASK) scheduler & scheduler=$$!; \
	trap 'kill $$scheduler 2>/dev/null; wait $$scheduler 2>/dev/null' EXIT INT TERM; \
	$(FLASK) run --host $(HOST) --port $(PORT)

# The scaled setup on this machine (docs/deployment.md): local PostgreSQL (DATABASE_URL, database created when
# missing) and Redis (REDIS_URL), migrations, the demo when empty, one scheduler and gunicorn with 4 workers.
run-prod: install
	deploy/run-prod

# The suite runs on two pytest-xdist workers (one SQLite file and one PostgreSQL database each); PYTEST_ARGS= (empty)
# runs it in one process, PYTEST_ARGS="-n 0 tests/portal" one folder.
# Bytecode caches are written even where the environment says not to (PYTHONDONTWRITEBYTECODE): each worker and each
# process a test starts compiles the app and rewrites the tests' asserts again without them (7 of the 13 seconds a
# worker took to collect). They are build output, ignored by git.
PYTEST_ARGS ?= -n 2
test: install
	env -u PYTHONDONTWRITEBYTECODE $(VENV)/bin/pytest $(PYTEST_ARGS)

# extract -> update -> fill zh_Hant from zh_Hans where empty -> compile
translations: $(VENV)/.installed
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k pgettext:1c,2 -k lazy_pgettext:1c,2 -k _lp:1c,2 -k npgettext:1c,2,3 --no-location --sort-output -o translations/messages.pot . >/dev/null
	$(VENV)/bin/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete
	$(PY) -m portal.catalogues merge-pending
	$(PY) -m portal.catalogues fill-hant
	$(VENV)/bin/pybabel compile -d translations

lint: install
	$(VENV)/bin/ruff check --select F,E,W,I,B --line-length 120 portal complaints surveys oversight composition tests wsgi.py
	$(VENV)/bin/vulture portal complaints surveys oversight composition wsgi.py --min-confidence 80
	@# the layers and no import cycles (.importlinter; docs/architecture.md)
	PYTHONPATH=. $(VENV)/bin/lint-imports --no-cache

# WeUI cut to the rules our pages use (purgecss from npm, config in purgecss.config.cjs); the result is committed.
# Run it after a page starts using a weui-* class it did not use before (tests/test_assets.py says which one).
css:
	npx --yes purgecss@8.0.0 --config purgecss.config.cjs

bench: install
	$(PY) -m tests.bench

# Survey submissions here vs django-survey-and-report 1.5.0 (installed into its own virtualenv under ~/.cache).
bench-peer: install
	$(PY) -m tests.bench.peer_django_survey

# Load test (tests/load): gunicorn with 4 workers on a fresh PostgreSQL database (LOADTEST_DATABASE_URL) and/or
# SQLite, 64 phones, 20,000 reports and 20,000 survey responses (LOAD_REPORTS, LOAD_RESPONSES, LOAD_CLIENTS).
BACKEND ?= both
loadtest: install
	$(PY) -m tests.load --backend $(BACKEND)

# Faults: FAULT=scheduler-kill (default) or pg-restart (restarts the machine's PostgreSQL: needs
# LOADTEST_ALLOW_PG_RESTART=1) or all.
FAULT ?= scheduler-kill
loadtest-faults: install
	$(PY) -m tests.load.faults $(FAULT)

# PNGs of the main pages in three languages from the demo city (temporary SQLite database, headless Chromium).
screenshots: install
	$(PY) -m tests.browser.screenshots

clean:
	rm -rf $(VENV) .pytest_cache
