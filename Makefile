# imr-etl — the two set-up commands are `make load` and `make test`.
# The interpreter .venv is made with: the system's own /usr/bin/python3 where it
# is 3.11 or later and can make a virtualenv, else the first python3 on the PATH.
# Debian's and Ubuntu's are built with profile-guided optimization: imr-etl's
# parse and loads run ~15 % faster on Debian 12's than on a plain build such as
# pyenv's (benchmarks/README.md).  `make install PYTHON=python3.12` picks another.
SYSTEM_PYTHON := /usr/bin/python3
PYTHON ?= $(shell $(SYSTEM_PYTHON) -c 'import ensurepip, sys; sys.exit(sys.version_info < (3, 11))' \
	2>/dev/null && echo $(SYSTEM_PYTHON) || echo python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install test load bench docs mutation stress clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/python -m compileall -q imr_etl migrations
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install imr-etl with its test tools

test: $(STAMP)  ## run the test suite
	$(BIN)/pytest

# `make load LETTERS=dir` loads other letters; the warehouse is $IMR_ETL_DB or warehouse/imr.duckdb.
LETTERS ?=

load: $(STAMP)  ## migrate the warehouse and load the bundled sample letters (or LETTERS=dir)
	$(BIN)/imr-etl load $(LETTERS)

# `make bench BENCH=quick` takes a few minutes; sizes: BENCH_COLD, BENCH_LARGE, … (benchmarks/README.md).
BENCH ?= full

# The package's bytecode is compiled first, as installing it from a wheel does: an
# editable install with PYTHONDONTWRITEBYTECODE set (as on our machines) compiles
# every module again in each process, ~0.25 s of a load's start, and the migrations'
# scripts each time alembic reads them (twice a load; benchmarks/README.md).
bench: $(STAMP)  ## generate corpora and measure load speed, memory, re-runs, nightly increments, views
	$(BIN)/python -m compileall -q imr_etl migrations
	BENCH=$(BENCH) $(BIN)/python benchmarks/bench.py

# Slow and not part of `make test` or CI (docs/testing.md): the measured subsets
# take about an hour and a half on 2 cores.  `make mutation MUTATION=rows` runs
# one group; MUTATION_FLAGS= (empty) every mutant of the groups: many hours.
MUTATION ?= parser rows
MUTATION_FLAGS ?= --subset

mutation: $(STAMP)  ## mutation testing of the parser, the rows and the SQL views (slow, not in CI)
	$(BIN)/pip install --quiet -e '.[test,mutation]'
	nice -n 10 $(BIN)/python mutation/run.py $(MUTATION) $(MUTATION_FLAGS)
	nice -n 10 $(BIN)/python mutation/sql.py

# The tests that wait on other processes, RUNS times in a row with every core
# kept busy by a shell loop (docs/testing.md, "Under load"); STRESS_TESTS= for others.
RUNS ?= 10
STRESS_TESTS ?= tests/test_scale.py tests/test_crash.py tests/test_readers.py tests/test_bad_input.py \
	tests/test_fuzz.py tests/test_warehouse.py tests/test_cli_warehouse.py tests/test_memory_cap.py tests/test_load.py

stress: $(STAMP)  ## run the timing-sensitive tests RUNS times with every core busy (slow, not in CI)
	sh tests/stress.sh $(RUNS) $(BIN)/pytest -q -p no:cacheprovider $(STRESS_TESTS)

docs: $(STAMP)  ## regenerate the data dictionary in docs/dictionary (commit it)
	$(BIN)/imr-etl docs docs/dictionary

clean:  ## remove the warehouse, the virtualenv and build output
	rm -rf warehouse $(VENV) build *.egg-info .pytest_cache records.jsonl mutants
