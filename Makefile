# The shop's commands. `make run` brings it up, `make test` runs every gate and suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SERVICES := users products orders inventory
PYTEST := $(PY) -m pytest

.PHONY: run test venv databases lint imports migrations-check lock $(addprefix test-,$(SERVICES)) \
	test-shop test-saga

$(VENV)/.installed: pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required (Django 5.2 LTS)"'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev]"
	@touch $@

venv: $(VENV)/.installed

databases: venv
	$(PY) deploy/local/create_databases.py

run: venv
	$(PY) -m deploy.local.run

test: venv lint imports databases migrations-check $(addprefix test-,$(SERVICES)) test-shop test-saga

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

imports: venv
	$(VENV)/bin/lint-imports

migrations-check: venv
	@for service in $(SERVICES); do \
		echo "makemigrations --check: $$service"; \
		$(PY) manage.py $$service makemigrations --check --dry-run || exit 1; \
	done

$(addprefix test-,$(SERVICES)): test-%: venv
	$(PYTEST) tests/$* --ds=$*.settings

test-shop: venv
	$(PYTEST) tests/shop --ds=products.settings

# The real stack (gunicorn, Celery workers, relays, beat) on PostgreSQL and RabbitMQ.
test-saga: venv
	$(PYTEST) tests/saga --ds=orders.settings

# Re-pin every dependency to the newest release pyproject.toml allows.
lock:
	rm -rf /tmp/shop-lock && $(PYTHON) -m venv /tmp/shop-lock
	/tmp/shop-lock/bin/pip install --quiet -e ".[dev]"
	/tmp/shop-lock/bin/pip freeze --exclude-editable > constraints.txt
