# The two commands a new user needs: `make run` and `make test`.
#
# Two virtual environments: .venv is a booth (the kiosk and what it runs on; `make run`,
# `make bench`), .venv-test adds the test suite's tools and the PostgreSQL driver. A SQLite
# booth does not carry psycopg: peewee imports it at start whenever it is installed (~100 ms
# of every start, docs/performance.md). A postgresql:// KIOSK_DB gets it installed.
PYTHON ?= python3
VENV      := .venv
BIN       := $(VENV)/bin
STAMP     := $(VENV)/.installed
TEST_VENV := .venv-test
TEST_BIN  := $(TEST_VENV)/bin
TEST_STAMP := $(TEST_VENV)/.installed
# A PostgreSQL booth's environment (the kiosk and its postgres extra): the booths benchmark runs
# its processes here, while .venv stays what a SQLite booth starts (no psycopg).
PG_VENV   := .venv-pg
PG_STAMP  := $(PG_VENV)/.installed
KIOSK_DB ?= kiosk.db
export KIOSK_DB

.PHONY: run test lint test-sqlite test-pg bench clean bytecode

# The kiosk's bytecode, as an installed package has it (pip compiles a wheel's modules at
# install). An editable install compiles on first import, and where PYTHONDONTWRITEBYTECODE is
# set it never keeps the result: every start then compiled ~60 modules again (30-90 ms,
# docs/performance.md). Quick when nothing changed; a stale file is simply not used.
bytecode: $(STAMP)
	@$(BIN)/python -m compileall -q kiosk bench

$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv --clear $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(STAMP)

$(VENV)/.postgres: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[postgres]'
	touch $@

$(PG_STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv --clear $(PG_VENV)
	$(PG_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(PG_VENV)/bin/python -m pip install --quiet -e '.[postgres]'
	touch $(PG_STAMP)

$(TEST_STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv --clear $(TEST_VENV)
	$(TEST_BIN)/python -m pip install --quiet --upgrade pip
	$(TEST_BIN)/python -m pip install --quiet -e '.[test]'
	touch $(TEST_STAMP)

## Set everything up and start the kiosk on the embedded SQLite database
## (or on the server a postgresql:// KIOSK_DB names, with its driver installed).
run: $(STAMP) bytecode
	@case "$(KIOSK_DB)" in postgres://*|postgresql://*) $(MAKE) --no-print-directory $(VENV)/.postgres ;; esac
	$(BIN)/kiosk --db "$(KIOSK_DB)"

PYTEST := $(TEST_BIN)/python -m pytest -n 2 -q

## Set everything up, run the linters (make lint; a failure stops the run), then the
## whole test suite twice: on SQLite, then on a throw-away PostgreSQL server (.ci/pg.sh
## starts it in a temporary directory and stops it afterwards, also when tests fail).
## Both suite runs always happen.
test: $(TEST_STAMP)
	@$(MAKE) --no-print-directory lint
	@sqlite=0; $(MAKE) --no-print-directory test-sqlite || sqlite=$$?; \
	pg=0; $(MAKE) --no-print-directory test-pg || pg=$$?; \
	if [ $$sqlite -ne 0 ] || [ $$pg -ne 0 ]; then \
	  echo "make test: FAILED (SQLite run exit $$sqlite, PostgreSQL run exit $$pg)" >&2; exit 1; fi

## ruff (pyproject.toml's rule set), mypy (the files [tool.mypy] names) and import-linter
## (the layering contracts in [tool.importlinter]), in that order.
lint: $(TEST_STAMP)
	$(TEST_BIN)/ruff check kiosk tests bench migrations && $(TEST_BIN)/mypy && $(TEST_BIN)/lint-imports

## The whole suite on the embedded SQLite backend only.
test-sqlite: $(TEST_STAMP)
	env -u KIOSK_TEST_PG_URL $(PYTEST)

## The whole suite on PostgreSQL only (needs PostgreSQL 15's initdb/pg_ctl,
## installed from Debian's packages when missing and we are root).
test-pg: $(TEST_STAMP)
	bash .ci/pg.sh run $(PYTEST) </dev/null

## Set everything up, generate the benchmark sites if missing (bench/data/, ~4 min
## the first time) and run every benchmark figure; prints the table and writes
## bench/results/latest.md and latest.json. About 15-18 minutes on 2 cores.
## Runs in the booth's environment (.venv): what a SQLite booth starts is what is timed. The
## booths figure (N booth processes on one throw-away PostgreSQL server) runs in .venv-pg.
bench: $(STAMP) $(PG_STAMP) bytecode
	BENCH_PG_PYTHON=$(PG_VENV)/bin/python $(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(TEST_VENV) $(PG_VENV) build dist *.egg-info .pytest_cache
