# sop-pusatdata — `make help` lists the targets.
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: help setup demo test test-unit test-component lint syntax lab-up lab-down bench collection

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-15s %s\n", $$1, $$2}'

setup: ## Install Debian packages and the virtual environment (idempotent)
	@bash scripts/bootstrap.sh

demo: setup ## Run SOP 6.1 from request to report on the lab (the main job)
	@bash scripts/demo.sh

lint: setup ## ruff and ansible-lint (production profile)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(VENV)/bin/ansible-lint -q

syntax: setup ## ansible-playbook --syntax-check on every playbook
	@for p in playbooks/*.yml; do $(VENV)/bin/ansible-playbook --syntax-check "$$p" -e sop_request=0 >/dev/null || exit 1; done

# One pytest run over the three layers, fastest first, so a unit failure shows at once;
# the slowest tests are listed at the end, to keep the suite within its 40 minutes.
test: setup lint syntax ## Everything: lint, syntax, unit, component and lab tests (root)
	$(PY) -m pytest -q --durations=25 $(PYTEST_ARGS) tests/unit tests/component tests/integration

test-unit: setup ## Unit tests: fast; no root, no servers, no sop or Ansible run
	$(PY) -m pytest -q $(PYTEST_ARGS) tests/unit

test-component: setup ## Component tests: sop, PostgreSQL, ansible-playbook on localhost (root, no lab)
	$(PY) -m pytest -q $(PYTEST_ARGS) tests/component

lab-up: setup ## Bring the lab up (real hosts in network namespaces)
	$(PY) -m sop_runner.lab up

lab-down: ## Take the lab down and clean leftovers
	$(PY) -m sop_runner.lab down

bench: setup ## Benchmarks; figures go to bench/RESULTS.md
	@for b in bench/*.py; do echo "== $$b"; PYTHONPATH=$(CURDIR) $(PY) "$$b" || exit 1; done

COLLECTION_DIR ?= build/collection
collection: setup ## Build the Ansible collection (library/, plugins/, roles/) into build/collection
	@$(PY) -m sop_runner.awx.collection $(COLLECTION_DIR)
