# make run  — set up .venv and decide the shipped examples
# make test — set up .venv with test extras and run every test (pytest + Rego unit tests)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
OPA_REF := opa-golib-python-bindings==0.4.4

.PHONY: run test bench mutate setup setup-test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m pip install --quiet --ignore-requires-python $(OPA_REF)
	touch $@

setup: $(VENV)/.installed
setup-test: $(VENV)/.installed-test

run: setup
	$(BIN)/python scripts/run_examples.py

test: setup-test
	$(BIN)/clinimg policy test --policy-dir examples/local_rules
	$(BIN)/python -m pytest -q

bench: setup-test
	$(BIN)/python scripts/bench.py

# Mutation testing of the policies on the reference engine (not part of `make test`: minutes).
mutate: setup-test
	$(BIN)/python scripts/mutate.py

clean:
	rm -rf $(VENV) build *.egg-info
