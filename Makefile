# make run  : install, ingest corpus/ if the index is missing or stale, serve http://127.0.0.1:7860
# make test : install, then run every test (fast and slow)
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
LLM_STAMP := $(VENV)/.installed-llm
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
export HF_HUB_DISABLE_PROGRESS_BARS := 1
export TRANSFORMERS_VERBOSITY := error

.PHONY: install install-llm run test test-fast lint ingest bench eval browser postgres clean

install: $(STAMP)

# The optional LLM client (langchain-openai): for `make run` only when BOT_LLM_BASE_URL is set; always for tests.
install-llm: $(LLM_STAMP)

$(LLM_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev,llm]'
	touch $(LLM_STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

ingest: install $(if $(BOT_LLM_BASE_URL),install-llm)
	$(PY) -m ingest --corpus corpus || [ $$? -eq 3 ]

run: ingest
	$(PY) app.py

browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; }

postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  echo "installing Debian postgresql for the feedback-store test"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql >/dev/null; }

test: install-llm browser postgres
	$(PY) -m pytest -m "slow or not slow"

lint: install-llm
	$(PY) -m ruff check .
	$(PY) -m mypy

test-fast: install-llm
	$(PY) -m pytest

bench: ingest
	$(PY) -m bot.bench

eval: ingest
	$(PY) -m bot.eval tests/qa/dev_qa.jsonl --out reports/dev

clean:
	rm -rf $(VENV) data reports .pytest_cache .hypothesis
