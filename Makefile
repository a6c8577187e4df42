# The README's commands. Everything installs into .venv from pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := CRM_CONFIG=development $(BIN)/flask --app wsgi

.PHONY: install run prod prod-stop test test-sqlite test-postgres lint bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

# The CRM on its embedded default: SQLite, a local SMTP sink, a mail worker and demo data.
run: install
	$(FLASK) db upgrade
	$(FLASK) crm seed-demo --if-empty
	$(FLASK) crm dev-up

# The production setup on this machine, in the background: gunicorn, two mail workers,
# PostgreSQL (crm_prod, created and migrated) and Redis; settings and a fresh SECRET_KEY in
# instance/prod.env, logs in instance/log/. See docs/deployment.md.
prod: install
	deploy/prodctl.sh start

prod-stop:
	deploy/prodctl.sh stop

# Lint, then the whole suite on SQLite, then again on PostgreSQL when CRM_TEST_DATABASE_URL is set.
test: install lint test-sqlite
	@if [ -n "$$CRM_TEST_DATABASE_URL" ]; then $(MAKE) --no-print-directory test-postgres; \
	else echo "CRM_TEST_DATABASE_URL is not set: the PostgreSQL run is skipped (CI sets it)."; fi

test-sqlite: install
	env -u CRM_TEST_DATABASE_URL $(BIN)/pytest

test-postgres: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .

# Each prints its figure as a ratio against a baseline measured in the same run.
# bench_signing needs PostgreSQL on 127.0.0.1 and wrk (apt-get install wrk); bench_mail and
# bench_mail_drill need PostgreSQL and Postfix's smtp-sink (apt-get install postfix).
bench: install
	$(BIN)/python bench/bench_seed.py
	$(BIN)/python bench/bench_directory.py
	$(BIN)/python bench/bench_import.py
	$(BIN)/python bench/bench_timeline.py
	$(BIN)/python bench/bench_signing.py
	$(BIN)/python bench/bench_mail.py
	$(BIN)/python bench/bench_mail_drill.py

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
