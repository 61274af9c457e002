# The two README commands: `make run` (set up, init, serve) and `make test` (set up, test).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test setup bench clean

# The venv is rebuilt whenever the pinned dependencies change.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

setup: $(VENV)/.installed

run: setup
	$(BIN)/gateway init
	$(BIN)/gateway serve

test: setup
	$(BIN)/ruff check gateway adapters bench tests
	bash .ci/ensure-postgres
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/oprf.py
	$(BIN)/python bench/push.py

clean:
	rm -rf $(VENV) var keys/dev
