# The commands of the README: `make report`, `make pdf` and `make test`. Everything else is what they need.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: report pdf test setup data browser clean

report: setup  ## set everything up, then train, execute the notebooks and build the site
	$(BIN)/fmnist report

pdf: setup browser  ## the report as one PDF (_build/pdf/report.pdf), printed offline by Debian's chromium
	$(BIN)/fmnist report --pdf

test: setup browser  ## run the test suite
	$(BIN)/pytest

setup: $(VENV)/.installed data book/_vendor/mathjax/tex-mml-chtml.js

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[report,test]"
	touch $@

data: $(VENV)/.installed  ## obtain and verify Fashion-MNIST
	sh scripts/get_data.sh $(BIN)/fmnist

book/_vendor/mathjax/tex-mml-chtml.js:  ## MathJax for offline equations (from the npm registry)
	sh scripts/get_mathjax.sh

browser:  ## Debian's chromium, for the site's browser tests
	sh scripts/get_browser.sh

clean:  ## remove the environment and generated outputs (not the results cache in runs/)
	rm -rf $(VENV) build _build .pytest_cache
