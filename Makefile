# make run  — set up .venv and decide the shipped examples
# make test — set up .venv with test extras and run every test (pytest + Rego unit tests)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
OPA_REF := opa-golib-python-bindings==0.4.4

.PHONY: run test bench mutate setup setup-test browser exiftool screenshots clean

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

run: setup exiftool
	$(BIN)/python scripts/run_examples.py

# ExifTool (Debian's libimage-exiftool-perl): a second reader of image files whose findings
# clinimg adds, and the independent reader the recall test measures clinimg against. Installed
# here when missing and we may (root with apt-get); else clinimg reads files alone and the
# recall test falls back to exiv2 (pyexiv2) and says so.
exiftool:
	@if ! command -v exiftool >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get install -y --no-install-recommends libimage-exiftool-perl >/dev/null 2>&1 \
	    || (apt-get update >/dev/null 2>&1 && apt-get install -y --no-install-recommends libimage-exiftool-perl >/dev/null 2>&1) \
	    || echo "make: exiftool could not be installed: clinimg reads image files alone; the recall test uses exiv2"; \
	  else echo "make: exiftool missing (and not root): clinimg reads image files alone; the recall test uses exiv2"; fi; \
	fi

# The HTML audit report and serve's page are tested in headless Chromium (Selenium + Debian's
# chromium and chromium-driver; axe-core comes with the test extras): installed here when missing
# and we may (root with apt-get); else those tests skip and say why.
browser:
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get install -y --no-install-recommends chromium chromium-driver >/dev/null 2>&1 \
	    || (apt-get update >/dev/null 2>&1 && apt-get install -y --no-install-recommends chromium chromium-driver >/dev/null 2>&1) \
	    || echo "make: chromium could not be installed: the browser tests will be skipped"; \
	  else echo "make: chromium/chromedriver missing (and not root): the browser tests will be skipped"; fi; \
	fi

# pytest in one process per core, at most two (pytest-xdist; the tests start engine, partition
# and server processes of their own). `make test PYTEST_PROCESSES=0` runs it in one process.
PYTEST_PROCESSES ?= auto --maxprocesses 2
test: setup-test browser exiftool
	$(BIN)/clinimg policy test --policy-dir examples/local_rules
	$(BIN)/python -m pytest -q -n $(PYTEST_PROCESSES) --dist loadgroup

bench: setup-test
	$(BIN)/python scripts/bench.py

# serve's page at phone and desktop widths, for the README (docs/page-*.png).
screenshots: setup-test browser
	$(BIN)/python scripts/page_screenshots.py

# Mutation testing of the policies on the reference engine (not part of `make test`: minutes).
mutate: setup-test
	$(BIN)/python scripts/mutate.py

clean:
	rm -rf $(VENV) build *.egg-info
