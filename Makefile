# Two commands do all the set-up on a fresh machine:
#   make lab    installs, prepares the sample and the face model, opens JupyterLab
#   make test   installs (and Debian's chromium for the browser tests), then runs every test
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
WB := $(VENV)/bin/workbench
STAMP := $(VENV)/.installed
SAMPLE := data/sample/astronaut_2.mp4

DETECTED := annotations/sample/detector--mediapipe.csv

.PHONY: setup sample model chromium lab test lint bench clean-sample

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

$(SAMPLE): workbench/sample.py | $(STAMP)
	$(WB) sample . --force

sample: $(SAMPLE)

model: $(STAMP)
	$(WB) model

chromium:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The detector's events on the sample, for the review and agreement notebooks (cached after the first run).
$(DETECTED): $(SAMPLE)
	$(MAKE) model
	$(WB) detect data/sample --project . --dataset sample

lab: setup sample model $(DETECTED)
	$(WB) lab notebooks/annotate.ipynb

# The detector's run on the sample also fills the analysis cache that the widgets under test read.
test: setup sample model chromium $(DETECTED)
	$(VENV)/bin/ruff check workbench tests benchmarks
	$(VENV)/bin/ruff format --check workbench tests benchmarks notebooks
	$(PY) -m pytest -q

bench: setup sample model chromium
	for b in benchmarks/*.py; do $(PY) $$b || exit 1; done

clean-sample:
	rm -rf data/sample
