# One command per job. `make run` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install index check run test bench lint clean calibrate

# Labelled questions the ranking and answerability models are fitted on (README: Ranking and
# answerability), listed once in tests/eval/training-files.txt; held-out files are never listed.
TRAIN_QUESTIONS := $(addprefix tests/eval/,$(shell grep -v '^\#' tests/eval/training-files.txt))

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch first, pinned: its CPU wheel is on the machine (anything else pulls a CUDA build).
	$(PY) -m pip install --quiet "torch==2.13.0"
	$(PY) -m pip install --quiet -e ".[dev]"
	# deduce pins regex<2025 (transformers 5 needs newer; deduce works with it): no-deps.
	$(PY) -m pip install --quiet --no-deps "deduce==3.0.6"
	# Build deduce's lookup cache once (minutes) instead of at the first logged question.
	$(PY) -c "from deduce import Deduce; Deduce()"
	touch $@

install: $(VENV)/.installed

check: install
	$(PY) ingest.py --check

# Incremental: an unchanged corpus embeds nothing and takes well under a second.
index: install
	$(PY) ingest.py

run: index
	$(PY) app.py

test: install
	$(PY) -m pytest

bench: index
	$(PY) bench/run.py

calibrate: index
	$(PY) -m assistant calibrate $(TRAIN_QUESTIONS) --heldout tests/eval/dev_questions.tsv

lint: install
	$(VENV)/bin/ruff check assistant tests bench webapp app.py ingest.py

clean:
	rm -rf data test-output
