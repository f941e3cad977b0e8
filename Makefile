# The commands people type. `make run` and `make test` work on a fresh machine with Python 3.11.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export FLASK_APP := union_saas
# The instance folder (SQLite file, development keys, outbox) is the repository's instance/.
export UNION_SAAS_INSTANCE ?= $(CURDIR)/instance
# `make run`, `make worker`, `make seed-small`...: development settings, unless the environment says otherwise
# (production sets UNION_SAAS_ENV=production; an app started with none runs production and needs real secrets).
export UNION_SAAS_ENV ?= development
PKG := src/union_saas
DOMAINS := $(patsubst $(PKG)/%/,%,$(dir $(wildcard $(PKG)/*/views.py) $(wildcard $(PKG)/core/errors.py)))
CATALOGS := $(wildcard $(PKG)/*/translations/*/LC_MESSAGES/messages.po)

.PHONY: install run worker scheduler test e2e bench soak lint migrate upgrade translations i18n-extract seed-small seed-large clean

install: $(VENV)/.installed $(CATALOGS:.po=.mo)

$(VENV)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,prod]"
	touch $@

# Compiled catalogs are build output (not in git).
%.mo: %.po $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@ >/dev/null

translations: $(CATALOGS:.po=.mo)

# Refresh each domain's catalog from its code and templates; then translate what is new in the .po files.
i18n-extract: $(VENV)/.installed
	@for d in $(DOMAINS); do \
	  dir=$(PKG)/$$d/translations; mkdir -p $$dir; \
	  $(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o $$dir/messages.pot $(PKG)/$$d >/dev/null 2>&1 || exit 1; \
	  for lang in zh en; do \
	    if [ -f $$dir/$$lang/LC_MESSAGES/messages.po ]; then \
	      $(BIN)/pybabel update --no-fuzzy-matching -i $$dir/messages.pot -d $$dir -l $$lang >/dev/null 2>&1; \
	    else $(BIN)/pybabel init -i $$dir/messages.pot -d $$dir -l $$lang >/dev/null 2>&1; fi; \
	  done; rm $$dir/messages.pot; \
	done

upgrade: install
	$(BIN)/flask db upgrade

run: upgrade
	$(BIN)/flask demo ensure
	$(BIN)/flask run --host 127.0.0.1 --port 5000

worker: install
	$(BIN)/flask jobs worker

# Enqueues the periodic jobs on time (RQ's cron scheduler): one for the whole platform.
scheduler: install
	$(BIN)/flask jobs scheduler

# In parallel (pytest-xdist): one worker a CPU on SQLite, more on PostgreSQL (tests/conftest.py says how many
# and gives each its own database); the browser tests share one worker. PYTEST_ARGS=-n0 runs in one process.
test: install
	$(BIN)/python -m pytest -n auto --dist loadgroup $(PYTEST_ARGS)

e2e: install
	$(BIN)/python -m pytest -m browser $(PYTEST_ARGS)

# Needs the large data set in PostgreSQL `bench` (BENCH_DATABASE_URL): see bench/run.py.
bench: install
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python bench/run.py

# 20 minutes of mixed load on the production stack (PostgreSQL SOAK_DATABASE_URL, schema soak; a Redis of its
# own): memory per worker and database connections must stay flat. See bench/soak.py.
soak: install
	$(BIN)/python bench/soak.py

lint: install
	$(BIN)/python -m pip install --quiet ruff
	$(BIN)/ruff check src tests bench

# A realistic federation with bulk inserts (into DATABASE_URL, migrated first): small for development,
# large for benchmarks (5,000 unions, 500,000 users, 10,000 activities, 2,000,000 sign-ups; minutes).
seed-small: upgrade
	$(BIN)/flask demo seed --scale small

seed-large: upgrade
	$(BIN)/flask demo seed --scale large

# Write a new migration after changing models: make migrate m="what changed"
migrate: install
	$(BIN)/flask db migrate -m "$(m)"

clean:
	rm -rf $(VENV) instance *.egg-info src/*.egg-info test-output
