# imr-etl — the two set-up commands are `make load` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install test load clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install imr-etl with its test tools

test: $(STAMP)  ## run the test suite
	$(BIN)/pytest

load: $(STAMP)  ## parse the bundled sample letters (the warehouse load arrives with issue 3)
	$(BIN)/imr-etl parse imr_etl/samples/seeds/*.txt imr_etl/samples/real/*.txt > records.jsonl
	@echo "parsed $$(wc -l < records.jsonl) letters into records.jsonl"

clean:  ## remove the virtualenv and build output
	rm -rf $(VENV) build *.egg-info .pytest_cache records.jsonl warehouse
