# The two commands of the README: `make report` and `make test`. Everything else is what they need.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: report test setup data clean

report: setup  ## set everything up, then produce the report (for now: train the baseline custom CNN)
	$(BIN)/fmnist train --model custom_cnn

test: setup  ## run the test suite
	$(BIN)/pytest

setup: $(VENV)/.installed data

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[report,test]"
	touch $@

data: $(VENV)/.installed  ## obtain and verify Fashion-MNIST
	sh scripts/get_data.sh $(BIN)/fmnist

clean:  ## remove the environment and generated outputs (not the results cache in runs/)
	rm -rf $(VENV) build _build .pytest_cache
