# Two entry points: `make figures` and `make test`; both create the environment when needed.
# `make test-fast` is the edit loop: the whole suite except the tests that run notebooks.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: figures test test-fast lint strip bench clean

# nbstripout as a git filter: notebooks saved from JupyterLab with outputs are committed
# without them. Skipped (with a note) where there is no git repository, e.g. a tarball.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	@if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
		$(VENV)/bin/nbstripout --install && \
		echo "nbstripout: git filter installed (notebook outputs never reach a commit)"; \
	else \
		echo "nbstripout: not a git repository, filter not installed (make strip cleans notebooks)"; \
	fi
	touch $(STAMP)

figures: $(STAMP)
	$(PY) -m analysis build

test: $(STAMP)
	$(PY) -m pytest -q

test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not notebooks"

lint: $(STAMP)
	$(PY) -m ruff check src tests benchmarks

strip: $(STAMP)
	$(VENV)/bin/nbstripout notebooks/*.ipynb

bench: $(STAMP)
	$(PY) benchmarks/run.py

clean:
	rm -rf reports/figures reports/notebooks
