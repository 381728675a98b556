# The commands of the README: `make report`, `make pdf` and `make test`. Everything else is what they need.
# The Python environment is installed from requirements.lock (every package pinned, with hashes), never from
# whatever the registry serves today; `make lock` regenerates that file, reproducibly, from pyproject.toml.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP_VERSION := 26.0.1
# The lock resolves as the registry stood at LOCK_DATE: running `make lock` again on any later day gives the
# same file. To move to newer packages, change the date, run `make lock`, and commit both.
LOCK_DATE := 2026-12-05T00:00:00Z
UV_VERSION := 0.13.9
LOCK_TOOL := build/lock-tool
# The extra indexes that pip is configured with on this machine (local wheels such as torch),
# passed to uv so that the lock sees the packages pip sees.
PIP_EXTRA_INDEXES := $(shell $(PYTHON) -m pip config get global.extra-index-url 2>/dev/null)

.PHONY: report pdf test setup data browser lock clean

report: setup  ## set everything up, then train, execute the notebooks and build the site
	$(BIN)/fmnist report

pdf: setup browser  ## the report as one PDF (_build/pdf/report.pdf), printed offline by Debian's chromium
	$(BIN)/fmnist report --pdf

test: setup browser  ## run the test suite
	$(BIN)/pytest

setup: $(VENV)/.installed data book/_vendor/mathjax/tex-mml-chtml.js

# A fresh environment whenever the lock changes, so that it holds exactly the lock's packages and no others.
# -qq keeps pip's per-index notices about this machine's local package folders off the screen; errors still show.
$(VENV)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -m venv --clear $(VENV)
	$(BIN)/pip install -qq pip==$(PIP_VERSION)
	$(BIN)/pip install -qq --require-hashes --no-deps -r requirements.lock
	$(BIN)/pip install -qq --no-deps --no-build-isolation -e .
	touch $@

lock:  ## regenerate requirements.lock and environment.yml from pyproject.toml (as the registry stood at LOCK_DATE)
	mkdir -p build
	test -x $(LOCK_TOOL)/bin/uv || { $(PYTHON) -m venv $(LOCK_TOOL) && $(LOCK_TOOL)/bin/pip install -qq uv==$(UV_VERSION); }
	$(LOCK_TOOL)/bin/uv pip compile pyproject.toml --quiet --extra report --extra test --generate-hashes \
		--python-version 3.11 --python-platform x86_64-manylinux_2_28 --exclude-newer $(LOCK_DATE) \
		--index-strategy unsafe-best-match $(foreach url,$(PIP_EXTRA_INDEXES),--extra-index-url $(url)) \
		--custom-compile-command "make lock" \
		--output-file build/requirements.lock.new
	mv build/requirements.lock.new requirements.lock
	$(PYTHON) scripts/lockfile.py environment-yml requirements.lock > environment.yml

data: $(VENV)/.installed  ## obtain and verify Fashion-MNIST
	sh scripts/get_data.sh $(BIN)/fmnist

book/_vendor/mathjax/tex-mml-chtml.js:  ## MathJax for offline equations (from the npm registry)
	sh scripts/get_mathjax.sh

browser:  ## Debian's chromium, for the site's browser tests
	sh scripts/get_browser.sh

clean:  ## remove the environment and generated outputs (not the results cache in runs/)
	rm -rf $(VENV) build _build .pytest_cache
