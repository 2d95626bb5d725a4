# Zhibu: `make run` starts the whole suite on the embedded default; `make test` runs every test.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test install migrate catalog rules bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/zhibu run

test: $(STAMP)
	$(BIN)/python -m pytest -n auto

migrate: $(STAMP)
	$(BIN)/zhibu migrate

catalog: $(STAMP)
	$(BIN)/zhibu catalog > docs/events.md

rules: $(STAMP)
	$(BIN)/zhibu rules > docs/rules.md

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf var/ .pytest_cache
