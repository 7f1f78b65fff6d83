# eligibility-gw: `make run` serves the demo, `make test` runs every check.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test lint typecheck unit bench clean install

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip "setuptools>=64" wheel

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP) $@

install: $(STAMP)

## run: create the venv, install, build the demo registry and serve every channel; leave
## var/demo.toml, the settings naming that database (export ELIGIBILITY_GW_CONFIG=var/demo.toml
## and every command, `staff add` among them, works on what is served)
run: $(STAMP)
	$(BIN)/eligibility-gw demo --write-settings var/demo.toml

## test: install test extras, then lint, type-check and run the whole suite
test: $(TEST_STAMP) lint typecheck unit

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy reads the package as installed: src/eligibility_gw with channels/, adapters/ and
# config/ mapped into it, mirrored here as a tree of links.
typecheck: $(TEST_STAMP)
	rm -rf build/typecheck && mkdir -p build/typecheck/eligibility_gw
	cd build/typecheck/eligibility_gw && for f in ../../../src/eligibility_gw/*; do ln -s "$$f" .; done \
	  && ln -s ../../../channels channels && ln -s ../../../adapters adapters && ln -s ../../../config config
	$(BIN)/mypy

# fhir-kit-client (npm, pinned by its lock file) for the FHIR client test; skipped without npm.
FHIR_KIT := tests/fhir/kit/node_modules/.package-lock.json
$(FHIR_KIT): tests/fhir/kit/package-lock.json
	if command -v npm >/dev/null; then npm ci --prefix tests/fhir/kit --no-audit --no-fund; fi

unit: $(TEST_STAMP) $(FHIR_KIT)
	$(BIN)/pytest -q

## bench: the benchmarks under bench/, printing their figures
bench: $(TEST_STAMP)
	$(BIN)/python -m bench.run_all

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .pytest_cache .ruff_cache var
