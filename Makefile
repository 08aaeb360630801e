# eCommunity — `make run` starts everything, `make test` runs the whole suite. `make help` lists all.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.DEFAULT_GOAL := help
.PHONY: help install run migrate test test-fast lint bench deadletters helm-lint helm-install-tool image clean

help: ## list every target
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade "pip>=24"
	$(BIN)/pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP) ## create the virtualenv and install the project with its pinned dependencies

migrate: install ## create the database if needed and apply every service's migrations
	$(BIN)/ecommunity-migrate

run: install migrate ## start every service and the gateway on http://localhost:8000 (Ctrl-C stops all)
	$(BIN)/ecommunity-identity create-admin
	$(BIN)/ecommunity-launch

test: install ## the whole suite: unit, interface (real RabbitMQ + PostgreSQL) and end-to-end
	$(BIN)/python -m pytest

test-fast: install ## unit tests only (no broker, no database)
	$(BIN)/python -m pytest tests -m "not e2e" -k unit

lint: install ## ruff (style and bugs) and mypy (types)
	$(BIN)/ruff check kernel services gateway tests bench
	$(BIN)/ruff format --check kernel services gateway tests bench
	$(BIN)/mypy kernel services gateway

bench: install ## events, gateway, publishing figures -> docs/performance.md (BENCH_ONLY=publishing: one part, printed)
	$(BIN)/python -m bench

deadletters: install ## list parked events (replay: .venv/bin/ecommunity-deadletters replay [ID...])
	$(BIN)/ecommunity-deadletters list

helm-lint: ## lint and render the Helm chart, defaults and all optional features (needs helm)
	bash deploy/helm/lint.sh

helm-install-tool: ## install a pinned helm into ~/.local/bin (Debian has no helm package)
	bash deploy/tools/install-helm.sh

image: ## build the container image the chart runs
	docker build -f deploy/Dockerfile -t ecommunity:0.1.0 .

clean: ## remove the virtualenv and caches
	rm -rf $(VENV) .mypy_cache .ruff_cache *.egg-info
