# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
KIOSK_DB ?= kiosk.db
export KIOSK_DB

.PHONY: run test test-sqlite test-pg bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

## Set everything up and start the kiosk on the embedded SQLite database.
run: $(STAMP)
	$(BIN)/kiosk --db "$(KIOSK_DB)"

## Set everything up and run the whole test suite.
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
