# One task runner, the same commands locally and in CI.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DATA   ?= data/demo
DB     ?= data/demo.duckdb
CUSTOMERS ?= 2000
SEED   ?= 7

.PHONY: demo test fuzz lint format install clean screenshot

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test,spark]"
	touch $@

install: $(VENV)/.installed

demo: install
	$(BIN)/resolver demo-data $(DATA) --customers $(CUSTOMERS) --seed $(SEED)
	$(BIN)/resolver run --rules rules --data $(DATA) --db $(DB)
	$(BIN)/resolver evaluate --truth $(DATA)/truth --db $(DB)
	$(BIN)/resolver report --db $(DB) --format html --out data/report.html
	$(BIN)/resolver report --db $(DB) --summary

# the README's picture of the HTML report (after `make demo`), by headless Chromium
screenshot:
	chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1100,1500 \
	  --screenshot=docs/health-report.png file://$(CURDIR)/data/report.html

lint: install
	$(BIN)/ruff check resolver api tests benchmarks
	$(BIN)/ruff format --check resolver api tests benchmarks

format: install
	$(BIN)/ruff check --fix resolver api tests benchmarks
	$(BIN)/ruff format resolver api tests benchmarks

# the suite on TEST_WORKERS processes (pytest-xdist), a test file never split between
# them and every Spark test on one (one JVM); TEST_WORKERS=0 runs it in this process
TEST_WORKERS ?= 2
test: install lint
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadgroup

# a longer schemathesis run than the suite's: stateless cases per operation and mode,
# and stateful call sequences against a real server (FUZZ_EXAMPLES of each)
FUZZ_EXAMPLES ?= 300
fuzz: install
	RESOLVER_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -q -p no:cacheprovider \
	  tests/api/test_fuzz.py tests/api/test_fuzz_stateful.py

clean:
	rm -rf data .pytest_cache .ruff_cache .hypothesis
