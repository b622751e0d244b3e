# The shop's commands. `make run` brings it up, `make test` runs every gate and suite.
SHELL := /bin/bash
# The interpreter: $(PYTHON) when given, else the first of these that runs a version the pinned
# dependencies support (3.11 to 3.13: django-filter 26, asgiref 3.13, numpy 2.4... need 3.11).
SUPPORTED_PYTHON := import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))
PYTHON_CANDIDATES := python3 python3.13 python3.12 python3.11
# make test runs the service suites under this one too (test-python-3.13).
SECOND_PYTHON_VERSION := 3.13
ifeq ($(origin PYTHON),undefined)
PYTHON := $(or $(shell for candidate in $(PYTHON_CANDIDATES); do \
	$$candidate -c '$(SUPPORTED_PYTHON)' >/dev/null 2>&1 && { echo $$candidate; break; }; done),python3)
endif
VENV := .venv
PY := $(VENV)/bin/python
SERVICES := $(shell $(PYTHON) -c "import shop; print(*shop.SERVICES)")
PYTEST := $(PY) -m pytest

.PHONY: run test venv dev-keys databases lint imports typecheck migrations-check lock $(addprefix test-,$(SERVICES)) \
	test-shop test-gateway test-deploy test-saga test-e2e test-keys test-fuzz test-faults \
	test-cluster test-chaos test-monitoring nginx chromium kubectl prometheus

# The pinned dependencies and the shop (editable) into venv $(1), with extra $(2). uv installs
# them (in seconds, where pip takes minutes); pip, kept in the venv, installs uv itself. Compiled
# at install as pip does: where PYTHONDONTWRITEBYTECODE is set, every process would otherwise
# compile Django and the rest again each time it starts.
define install_into
	$(1)/bin/python -m pip install --quiet -c constraints.txt uv
	$(1)/bin/uv pip install --quiet --compile-bytecode --python $(1)/bin/python -c constraints.txt \
		-e ".[$(2)]"
endef

$(VENV)/.installed: pyproject.toml constraints.txt
	@$(PYTHON) -c '$(SUPPORTED_PYTHON)' || { echo "The shop needs Python 3.11, 3.12 or 3.13;" \
		"$(PYTHON) is $$($(PYTHON) --version 2>&1). Install one, or name it: make PYTHON=python3.12" >&2; \
		exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(call install_into,$(VENV),dev)
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

test: venv nginx chromium kubectl prometheus image-tools rabbitmq-server lint imports typecheck \
	databases migrations-check test-shop test-gateway test-deploy test-saga test-e2e test-side-by-side

# The rest of `make test`, two suites at a time, to keep the whole run within CI's 20 minutes on
# two cores. Each pair shares no server (own databases, vhosts, RabbitMQ nodes, ports) and no
# assertion of either half times anything the other slows: the fault suite's waits are bounded
# at tens of seconds for what takes one or two, the chaos run asserts invariants,
# the cluster's bounds are loose, the image build and the unit suites time nothing, the keys and
# alert suites wait with bounds far above what they need. Each half's
# output is printed whole when it ends.
SIDE_BY_SIDE := $(MAKE) --no-print-directory -j2 --output-sync=recurse
.PHONY: test-side-by-side test-services test-fuzz-then-image
test-side-by-side:
	$(SIDE_BY_SIDE) test-faults test-services
	$(SIDE_BY_SIDE) test-chaos test-fuzz-then-image
	$(SIDE_BY_SIDE) test-cluster test-python-$(SECOND_PYTHON_VERSION)
	$(SIDE_BY_SIDE) test-keys test-monitoring

test-services:
	for service in $(SERVICES); do $(MAKE) --no-print-directory test-$$service || exit 1; done

test-fuzz-then-image:
	$(MAKE) --no-print-directory test-fuzz
	$(MAKE) --no-print-directory test-image

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

imports: venv
	$(VENV)/bin/lint-imports

# mypy (pyproject's [tool.mypy]): strict on shop/ and each service's services and selectors.
# Its Django plugin loads the settings, which read the development key pair.
typecheck: venv dev-keys
	$(VENV)/bin/mypy

# The development key pair where the settings look for it (JWT_KEYS_DIR, else var/jwt): loading
# the settings makes none, so manage.py commands run here need it first.
dev-keys: venv
	@$(PY) -m shop.auth.keys "$${JWT_KEYS_DIR:-$${SHOP_VAR_DIR:-var}/jwt}"

migrations-check: venv dev-keys
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

# A rotation of the JWT signing key on the real stack, through the gateway: publish, switch,
# retire, restarting the services between the steps (deploy/README.md gives the same steps).
test-keys: venv nginx
	$(PYTEST) tests/keys --ds=orders.settings

# Every service's OpenAPI schema fuzzed (Schemathesis) through the gateway of the real stack.
test-fuzz: venv nginx
	$(PYTEST) tests/fuzz --ds=orders.settings

# The real stack (gunicorn, Celery workers, relays, beat) on PostgreSQL and RabbitMQ.
test-saga: venv
	$(PYTEST) tests/saga --ds=orders.settings

# What an operator meets (the RabbitMQ server restarted, a database away, a relay killed
# between publish and sent...), each case ending on the invariants; on a RabbitMQ server of
# the suite's own (Debian's rabbitmq-server), never the machine's.
test-faults: venv nginx kubectl rabbitmq-server
	$(PYTEST) tests/faults --ds=orders.settings

# The saga on a three-node RabbitMQ cluster of the suite's own (Debian's rabbitmq-server on
# loopback, joined with rabbitmqctl join_cluster): the node leading the quorum queues is killed
# mid-flow and brought back; prints the pause clients saw.
test-cluster: venv rabbitmq-server
	$(PYTEST) tests/cluster --ds=orders.settings -s

# Traffic with every fault at random moments, then the invariants: two minutes with a fixed
# seed; a longer run is `make test-chaos CHAOS_SECONDS=600` (or another CHAOS_SEED).
CHAOS_SECONDS ?= 120
CHAOS_SEED ?= 20261202
test-chaos: venv nginx rabbitmq-server
	$(PY) -m tests.chaos --seconds $(CHAOS_SECONDS) --seed $(CHAOS_SEED)

# The alert rules (deploy/k8s/components/monitoring) checked by promtool, then run by Debian's
# Prometheus against the real stack: the inventory worker stopped while orders are placed makes
# the saga's alerts fire, its return clears them (about 50 s).
test-monitoring: venv prometheus
	$(PYTEST) tests/monitoring --ds=orders.settings

PROMETHEUS := $(shell command -v prometheus 2>/dev/null)
prometheus:
ifeq ($(PROMETHEUS),)
	$(call apt_install,prometheus)
endif

RABBITMQ_SERVER := $(shell ls /usr/lib/rabbitmq/bin/rabbitmq-server 2>/dev/null)
.PHONY: rabbitmq-server
rabbitmq-server:
ifeq ($(RABBITMQ_SERVER),)
	$(call apt_install,rabbitmq-server)
endif

# The service suites again under a second Python, the newest the pins support: a venv of its own
# (.venv-3.13) from python3.13 on PATH or pyenv's, installed by pyenv when it has none.
SECOND_VENV := .venv-$(SECOND_PYTHON_VERSION)
SECOND_PYTHON = $(shell command -v python$(SECOND_PYTHON_VERSION) >/dev/null && \
	python$(SECOND_PYTHON_VERSION) -c '' 2>/dev/null && echo python$(SECOND_PYTHON_VERSION) || \
	ls -d $$(pyenv root 2>/dev/null)/versions/$(SECOND_PYTHON_VERSION)*/bin/python3 2>/dev/null | tail -1)

$(SECOND_VENV)/.installed: pyproject.toml constraints.txt
	@if [ -z "$(SECOND_PYTHON)" ]; then \
		if command -v pyenv >/dev/null; then pyenv install --skip-existing $(SECOND_PYTHON_VERSION); \
		else echo "test-python-$(SECOND_PYTHON_VERSION) needs Python $(SECOND_PYTHON_VERSION)" \
			"(python$(SECOND_PYTHON_VERSION) on PATH, or pyenv)" >&2; exit 1; fi; \
	fi
	$(or $(SECOND_PYTHON),$$(ls -d $$(pyenv root)/versions/$(SECOND_PYTHON_VERSION)*/bin/python3 | tail -1)) \
		-m venv $(SECOND_VENV)
	$(call install_into,$(SECOND_VENV),test)
	@touch $@

.PHONY: test-python-$(SECOND_PYTHON_VERSION)
test-python-$(SECOND_PYTHON_VERSION): $(SECOND_VENV)/.installed
	@$(SECOND_VENV)/bin/python --version
	@for service in $(SERVICES); do \
		$(SECOND_VENV)/bin/python -m pytest -q tests/$$service --ds=$$service.settings || exit 1; \
	done

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
