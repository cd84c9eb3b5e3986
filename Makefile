# Two commands for a fresh machine: `make demo` and `make test`. Each installs what it
# needs first (the venv, the Python packages, the Kafka jars), so nothing is set up by hand.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup demo test lint kafka-start kafka-stop clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)
	$(BIN)/finsentry kafka fetch

demo: setup
	$(BIN)/finsentry demo

test: setup
	sh deploy/prometheus/install.sh
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy finsentry streams nlp alerts

kafka-start: setup
	$(BIN)/finsentry kafka start

kafka-stop:
	$(BIN)/finsentry kafka stop

clean:
	-$(BIN)/finsentry kafka stop
	rm -rf var
