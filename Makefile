# The two README commands: `make run` (set up, init, serve) and `make test` (set up, test).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test setup bench clean

# OPA's own Rego engine, in-process. Its wheel declares Python >= 3.14 although its ctypes
# wrapper runs on 3.11, so pip must be told to ignore that one requirement; it has no
# dependencies. Pinned: the gateway's policies are tested against exactly this OPA (v1.20.2).
OPA_BINDINGS := opa-golib-python-bindings==0.4.4

# The venv is rebuilt whenever the pinned dependencies change.
$(VENV)/.installed: pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m pip install --quiet --no-deps --ignore-requires-python $(OPA_BINDINGS)
	touch $@

setup: $(VENV)/.installed

# GOGC=400: fewer Go collections inside the embedded policy engine (gateway/policy/goruntime.py).
run: setup
	$(BIN)/gateway init
	GOGC=$${GOGC:-400} $(BIN)/gateway serve

test: setup
	$(BIN)/ruff check gateway adapters bench tests
	$(BIN)/lint-imports
	$(BIN)/mypy
	bash .ci/ensure-postgres
	$(BIN)/python -m pytest

# The linkage and stats benches at a small size (a few minutes); their defaults (1,000,000
# signals) are the budget's scale and take much longer: run those by hand.
bench: setup
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/oprf.py
	$(BIN)/python bench/push.py
	$(BIN)/python bench/policy.py
	$(BIN)/python bench/release.py
	$(BIN)/python bench/audit.py
	$(BIN)/python bench/linkage.py --signals 20000 --batches 3 --reps 5
	$(BIN)/python bench/hubs.py --signals 20000 --batch 500 --reps 5
	$(BIN)/python bench/stats.py --signals 20000 --reps 5

clean:
	rm -rf $(VENV) var keys/dev
