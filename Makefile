# evidence: the two commands a newcomer needs are `make report` and `make test`.
# Both set up the virtual environment first (once; again when pyproject.toml changes).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SAMPLE := data/raw/sample/workforce_survey_2025_synthetic.csv
PARENT_SAMPLE := data/raw/sample/parent_experience_2025_synthetic.csv
OUTCOMES_SAMPLE := data/raw/sample/outcomes_2025_synthetic
PROCESSED := data/processed/workforce_survey.parquet data/processed/parent_experience.parquet data/processed/outcomes.manifest.json
DERIVED := data/interim/outcomes_service_effects.csv
CONFIG ?= config/annual_report.yml

.DEFAULT_GOAL := help
.PHONY: help setup ingest report test lint lab bench sample clean chromium

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] >= (3, 11), "evidence needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name evidence --display-name "Python (evidence)" >/dev/null
	touch $@

setup: $(STAMP) ## Make .venv with the package, its dev tools and the Jupyter kernel "evidence"

INGEST_CODE := $(wildcard src/evidence/*.py src/evidence/survey/*.py src/evidence/instruments/*.py src/evidence/data/*)

data/processed/workforce_survey.parquet: $(SAMPLE) config/surveys/workforce_survey.yml config/surveys/answer_scales.csv $(STAMP) $(INGEST_CODE)
	$(BIN)/evidence ingest survey $(SAMPLE) --definition config/surveys/workforce_survey.yml --out data/processed

data/processed/parent_experience.parquet: $(PARENT_SAMPLE) config/surveys/parent_experience.yml config/surveys/answer_scales.csv $(STAMP) $(INGEST_CODE)
	$(BIN)/evidence ingest survey $(PARENT_SAMPLE) --definition config/surveys/parent_experience.yml --out data/processed

data/processed/outcomes.manifest.json: $(wildcard $(OUTCOMES_SAMPLE)/*) $(STAMP) $(INGEST_CODE)
	$(BIN)/evidence ingest outcomes $(OUTCOMES_SAMPLE) --out data/processed

data/interim/outcomes_service_effects.csv: data/processed/outcomes.manifest.json
	$(BIN)/evidence derive service-effects --processed data/processed --out data/interim

ingest: $(PROCESSED) $(DERIVED) ## Ingest the shipped sample data into data/processed, derive data/interim

report: setup ingest ## Produce the annual report on the sample data: reports/<year>/index.html
	$(BIN)/evidence run $(CONFIG)

chromium: ## Install Debian's Chromium for the browser test, if missing (needs root or sudo)
	@command -v chromium >/dev/null || { SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

# The browser test's tools (playwright, axe-playwright-python's axe-core, pypdf) are dev
# dependencies in pyproject.toml, installed by setup; --dist loadfile keeps each test module on
# one worker, so a module's batch (and the browser test's browser) is made once.
test: setup ingest chromium ## Run every test (unit, ingest, notebooks under nbval, batch, browser with axe-core), ruff and mypy
	$(BIN)/python -m pytest -n 2 --dist loadfile tests
	$(BIN)/python -m pytest --nbval-lax notebooks
	$(MAKE) --no-print-directory lint

lint: setup ## ruff (lint and format check) on the code and notebooks, mypy (the type checker) on src
	$(BIN)/ruff check src tests notebooks benchmarks
	$(BIN)/ruff format --check src tests notebooks benchmarks
	$(BIN)/mypy src

lab: setup ingest ## Open JupyterLab on the notebooks with the project's kernel
	$(BIN)/jupyter lab --notebook-dir=. notebooks/workforce_survey.ipynb

bench: setup ## Benchmarks against named baselines; JSON in benchmarks/results/ (about an hour: baselines are slow)
	$(BIN)/python benchmarks/bench_scoring.py --rows 1000000
	$(BIN)/python benchmarks/bench_batch.py
	$(BIN)/python benchmarks/bench_roi.py --draws 100000
	$(BIN)/python benchmarks/bench_ipw_bootstrap.py
	$(BIN)/python benchmarks/bench_ingest.py --sizes 1000000 10000000
	$(BIN)/python benchmarks/bench_survey_ingest.py
	$(BIN)/python benchmarks/bench_errors.py

sample: setup ## Regenerate the synthetic sample data (identical bytes unless the generator changed)
	$(BIN)/evidence sample --out data/raw/sample

clean: ## Remove the environment and everything generated
	rm -rf $(VENV) data/processed/* data/interim/* reports/* .pytest_cache
