# Two commands: `make run` starts the daemon on ./var, `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
VAR := $(CURDIR)/var
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck unit chaos bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,dask]'
	touch $(STAMP)

run: $(STAMP)
	mkdir -p $(VAR)/inbox $(VAR)/outbox $(VAR)/processed $(VAR)/failed $(VAR)/state
	TORI_INBOX_DIR=$(VAR)/inbox TORI_OUTBOX_DIR=$(VAR)/outbox TORI_PROCESSED_DIR=$(VAR)/processed \
	TORI_FAILED_DIR=$(VAR)/failed TORI_STATE_DIR=$(VAR)/state \
	exec $(BIN)/toridaemon run

lint: $(STAMP)
	$(BIN)/ruff check toridaemon tests bench scripts

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -q

test: lint typecheck unit

chaos: $(STAMP)
	TORI_CHAOS_FILES=200 TORI_CHAOS_KILLS=20 $(BIN)/pytest -q -s tests/test_chaos.py

clean:
	rm -rf $(VENV) var .mypy_cache .pytest_cache .ruff_cache
