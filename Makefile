# Two commands on a fresh clone: `make demo` and `make test`. Both create the
# virtualenv and install what they need first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev

.PHONY: demo test test-sqlite bench lint clean

# `make demo` installs Tally alone (what the demo runs); `make test` and `make lint` add
# the dev extra (pytest, hypothesis, ruff, mypy).
RUN_STAMP := $(VENV)/.installed

$(RUN_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(RUN_STAMP)

$(STAMP): pyproject.toml $(RUN_STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(RUN_STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" bash examples/izium/demo.sh

# mypy reads the folders under the names the wheel gives them (tally.ledger, ...),
# through links in build/typecheck/tally (see [tool.mypy] in pyproject.toml).
TYPECHECK := build/typecheck/tally

$(TYPECHECK):
	mkdir -p $(TYPECHECK)
	for pkg in ledger projections cli; do ln -sfn ../../../$$pkg $(TYPECHECK)/$$pkg; done

lint: $(STAMP) $(TYPECHECK)
	$(BIN)/ruff check .
	$(BIN)/mypy

# The whole suite, on SQLite and (through pg_virtualenv) on a throwaway PostgreSQL, spread
# over one pytest-xdist worker per core; the 25 slowest tests are named at the end.
test: $(STAMP) lint
	PATH="$(CURDIR)/$(BIN):$$PATH" bash .ci/with-postgres $(BIN)/pytest -n auto --durations=25

test-sqlite: $(STAMP)
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py --claims 50000

clean:
	rm -rf $(VENV) tally.db tally.db-wal tally.db-shm demo
