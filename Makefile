# The shop's commands. `make run` brings it up, `make test` runs every gate and suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SERVICES := users products orders inventory
PYTEST := $(PY) -m pytest

.PHONY: run test venv databases lint imports migrations-check lock $(addprefix test-,$(SERVICES)) \
	test-shop test-gateway test-deploy test-saga test-e2e test-fuzz test-faults test-chaos nginx \
	chromium kubectl

$(VENV)/.installed: pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required (Django 5.2 LTS)"'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev]"
	@touch $@

venv: $(VENV)/.installed

# Debian's packages the shop runs with (nginx) and tests with (chromium), installed when missing.
NGINX := $(shell command -v nginx 2>/dev/null || ls /usr/sbin/nginx 2>/dev/null)
CHROMIUM := $(shell command -v chromium 2>/dev/null)
KUBECTL := $(shell command -v kubectl 2>/dev/null)
define apt_install
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing $(1) from Debian's packages"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(1) >/dev/null; \
	else \
		echo "The shop needs $(1): install it (Debian/Ubuntu: sudo apt-get install $(1))" >&2; \
		exit 1; \
	fi
endef

nginx:
ifeq ($(NGINX),)
	$(call apt_install,nginx-light)
endif

chromium:
ifeq ($(CHROMIUM),)
	$(call apt_install,chromium)
endif

kubectl:
ifeq ($(KUBECTL),)
	$(call apt_install,kubectl)
endif

databases: venv
	$(PY) deploy/local/create_databases.py

run: venv nginx
	$(PY) -m deploy.local.run

test: venv nginx chromium kubectl lint imports databases migrations-check \
	$(addprefix test-,$(SERVICES)) test-shop test-gateway test-deploy test-saga test-e2e test-fuzz \
	test-faults test-chaos test-image

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

test-gateway: venv nginx
	$(PYTEST) tests/gateway --ds=products.settings

# Kubernetes manifests (every overlay, several Kubernetes versions), compose and the Dockerfile,
# validated offline.
test-deploy: venv nginx kubectl
	$(PYTEST) tests/deploy --ds=products.settings

# The whole shop through the gateway, as a client and a browser see it.
test-e2e: venv nginx chromium
	$(PYTEST) tests/e2e --ds=orders.settings

# Every service's OpenAPI schema fuzzed (Schemathesis) through the gateway of the real stack.
test-fuzz: venv nginx
	$(PYTEST) tests/fuzz --ds=orders.settings

# The real stack (gunicorn, Celery workers, relays, beat) on PostgreSQL and RabbitMQ.
test-saga: venv
	$(PYTEST) tests/saga --ds=orders.settings

# What an operator meets (the RabbitMQ server restarted, a database away, a relay killed
# between publish and sent...), each case ending on the invariants; on a RabbitMQ server of
# the suite's own (Debian's rabbitmq-server), never the machine's.
test-faults: venv nginx rabbitmq-server
	$(PYTEST) tests/faults --ds=orders.settings

# Traffic with every fault at random moments, then the invariants: two minutes with a fixed
# seed; a longer run is `make test-chaos CHAOS_SECONDS=600` (or another CHAOS_SEED).
CHAOS_SECONDS ?= 120
CHAOS_SEED ?= 20261202
test-chaos: venv nginx rabbitmq-server
	$(PY) -m tests.chaos --seconds $(CHAOS_SECONDS) --seed $(CHAOS_SEED)

RABBITMQ_SERVER := $(shell ls /usr/lib/rabbitmq/bin/rabbitmq-server 2>/dev/null)
.PHONY: rabbitmq-server
rabbitmq-server:
ifeq ($(RABBITMQ_SERVER),)
	$(call apt_install,rabbitmq-server)
endif

# deploy/docker/Dockerfile built (app and gateway targets) with Debian's podman and run: the app
# image's filesystem as its unprivileged user, read-only, in production mode against the local
# PostgreSQL and RabbitMQ; the gateway's nginx in front of it. The last of `make test`. The
# registry's python and nginx images when they can be pulled, else Debian stand-ins made once by
# debootstrap (tests/image/bases.Containerfile).
IMAGE_TOOLS := $(shell ls /usr/bin/podman /usr/sbin/debootstrap /usr/bin/bwrap 2>/dev/null)
.PHONY: test-image image-tools
image-tools:
ifneq ($(words $(IMAGE_TOOLS)),3)
	$(call apt_install,podman debootstrap bubblewrap)
endif

test-image: venv image-tools
	$(PYTEST) tests/image --ds=products.settings

# Re-pin every dependency to the newest release pyproject.toml allows.
lock:
	rm -rf /tmp/shop-lock && $(PYTHON) -m venv /tmp/shop-lock
	/tmp/shop-lock/bin/pip install --quiet -e ".[dev]"
	/tmp/shop-lock/bin/pip freeze --exclude-editable > constraints.txt

# The benchmark (not part of `make test`): the whole shop through the gateway on PostgreSQL and
# RabbitMQ; results in var/bench/. QUICK=1 runs one short pass of every figure.
WRK := $(shell command -v wrk 2>/dev/null)
.PHONY: bench
bench: venv nginx
ifeq ($(WRK),)
	$(call apt_install,wrk)
endif
	$(PY) -m tests.bench $(if $(QUICK),--quick)
