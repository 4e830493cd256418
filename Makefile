# Two commands on a fresh machine: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test bench install clean

$(BIN)/emoface: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[tts,test]'
	touch $@

install: $(BIN)/emoface

demo: install
	$(BIN)/emoface demo -o out/demo.mp4

test: install
	bash scripts/test-media.sh
	$(BIN)/python -m pytest -q tests

bench: install
	bash scripts/test-media.sh
	$(BIN)/python benchmarks/bench_pipeline.py

clean:
	rm -rf $(VENV) out .cache .pytest_cache
