# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check -q
CLI    := $(VENV)/bin/pipeaudit
OUT    ?= out
AS_OF  ?= 2026-11-23

.PHONY: install test-install demo test fuzz bench screenshots clean

$(VENV)/.installed: pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade "pip>=23" "setuptools>=68"
	$(PIP) install -e .
	@touch $@

install: $(VENV)/.installed

$(VENV)/.test-installed: $(VENV)/.installed
	$(PIP) install -e ".[test]"
	@touch $@

test-install: $(VENV)/.test-installed

demo: install
	@echo "== pipeaudit columns samples/crm_export_zh.xlsx"
	@$(CLI) columns samples/crm_export_zh.xlsx
	@echo
	@echo "== pipeaudit check samples/crm_export_zh.xlsx --as-of $(AS_OF)"
	@$(CLI) check samples/crm_export_zh.xlsx --as-of $(AS_OF) --fail-on never
	@echo
	@echo "== pipeaudit report (html, md, xlsx) for each sample, into $(OUT)/"
	@for f in samples/crm_export_zh.xlsx samples/crm_export_gb18030.csv samples/salesforce_export.csv samples/warehouse_opportunities.csv; do \
	  name=$$(basename $$f | sed 's/\.[^.]*$$//'); \
	  $(CLI) report $$f --as-of $(AS_OF) --out $(OUT)/$$name --format html,md,xlsx || exit $$?; \
	done
	@echo
	@echo "== four Mondays with --history: week over week and trends, into $(OUT)/history_demo/"
	@$(PY) samples/make_history.py $(OUT)/history_demo

test: test-install
	$(PY) -m pytest -q

# The property tests with fresh random examples each run (make test repeats a fixed set), among them
# tests/test_property_contract.py: exit 0/1/2 with at most one line, over every input surface at once.
fuzz: test-install
	HYPOTHESIS_PROFILE=explore $(PY) -m pytest -q tests/test_property_contract.py tests/test_property_*.py \
	  tests/test_read_property.py tests/test_deals_values.py

# Every shape of benchmarks/matrix.py against the bare pandas read; a subset with e.g.
# BENCH_ARGS="--quick" or BENCH_ARGS="--shape xlsx-worst --only check" (see benchmarks/bench.py).
BENCH_ARGS ?=
bench: test-install
	$(PIP) install -e ".[bench]"
	$(PY) benchmarks/bench.py $(BENCH_ARGS)

screenshots: demo
	$(PY) benchmarks/screenshots.py $(OUT)

clean:
	rm -rf $(OUT) build dist *.egg-info .pytest_cache
