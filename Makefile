# Targets mirror CI: `.ci/run` runs `make test`.
VENV   ?= .venv
PY     := $(VENV)/bin/python
MSSQA  := $(VENV)/bin/mss-qa
# llama.cpp's default build (-march=native) also targets AMX, which crashes on common virtual
# CPUs. It is built instead for the instruction sets this CPU reports: AVX2, plus AVX-512
# (VNNI, VBMI, BF16) where present, which reads prompts about a quarter faster.
cpu_has = $(shell grep -qw $(1) /proc/cpuinfo 2>/dev/null && echo $(2))
LLAMA_VERSION    := 0.3.36
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
	$(call cpu_has,avx512f,-DGGML_AVX512=ON) $(call cpu_has,avx512vbmi,-DGGML_AVX512_VBMI=ON) \
	$(call cpu_has,avx512_vnni,-DGGML_AVX512_VNNI=ON) $(call cpu_has,avx512_bf16,-DGGML_AVX512_BF16=ON)
# The build (3-4 minutes) is kept outside the clone, one wheel per set of flags: pip's own
# wheel cache would hand back a wheel built with other flags.
LLAMA_BUILD  := llama-cpp-$(LLAMA_VERSION)-$(shell echo '$(LLAMA_CMAKE_ARGS)' | sha1sum | cut -c1-12)
LLAMA_WHEELS := $(HOME)/.cache/mss-qa/wheels/$(LLAMA_BUILD)
# Installed once per dependency set and llama.cpp build.
INSTALLED    := $(VENV)/.installed-$(LLAMA_BUILD)
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install models models-small index run browser test lint eval eval-natural bench bench-quick clean

$(INSTALLED): pyproject.toml requirements.lock
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet pip==26.3
	# torch first and pinned: 2.13.0 is the CPU build; anything else pulls CUDA.
	$(PY) -m pip install --quiet -c requirements.lock torch==2.13.0
	ls $(LLAMA_WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl >/dev/null 2>&1 || \
		CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PY) -m pip wheel --quiet --no-cache-dir --no-deps \
		--no-binary llama-cpp-python -w $(LLAMA_WHEELS) llama-cpp-python==$(LLAMA_VERSION)
	$(PY) -m pip install --quiet --no-deps --force-reinstall $(LLAMA_WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl
	$(PY) -m pip install --quiet -c requirements.lock -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(INSTALLED)

models: install
	$(MSSQA) models fetch qwen-1.5b

models-small: install
	$(MSSQA) models fetch qwen-0.5b

index: install
	$(MSSQA) ingest

## The main job: install, assemble the model, build the index, serve the chat UI and the API
## on http://$(HOST):$(PORT)/ (HOST=0.0.0.0 PORT=9000 make run to change them).
run: models index
	$(MSSQA) serve --host $(HOST) --port $(PORT)

## Debian Chromium for the browser test, if missing (apt-get update only when the package is
## unknown). Failure is tolerated: the browser test then skips and says why.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo -n)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		{ apt-cache show chromium >/dev/null 2>&1 || $(SUDO) apt-get update -qq; } && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; \
	} || echo "chromium could not be installed: the browser test will be skipped"

## What CI runs: the test suite, then the small-model eval gated by its own baseline.
test: models-small browser
	$(PY) -m pytest -q
	MSS_QA_GENERATOR=qwen-0.5b $(MSSQA) ingest
	MSS_QA_GENERATOR=qwen-0.5b $(MSSQA) eval --baseline eval/baseline-small.json

## The default model's eval, gated by eval/baseline.json.
eval: models index
	$(MSSQA) eval

## The plainly worded questions of eval/natural.jsonl, gated by their own baseline.
eval-natural: models index
	$(MSSQA) eval --gold eval/natural.jsonl --baseline eval/baseline-natural.json --out eval/out/natural

lint: install
	$(VENV)/bin/ruff check src tests ui.py
	$(VENV)/bin/mypy

## Benchmarks: each script prints a table and appends it to BENCHMARKS.md (see bench/README.md).
## BENCH_ARGS=--no-record prints only.
BENCH_ARGS ?=
bench: models models-small
	$(PY) bench/bench_ingest.py $(BENCH_ARGS)
	$(PY) bench/bench_retrieval.py $(BENCH_ARGS)
	$(PY) bench/bench_answer.py $(BENCH_ARGS)
	$(PY) bench/bench_llamaindex.py $(BENCH_ARGS)

## The same with tiny sizes and the small model, to check the scripts run; records nothing.
bench-quick: models-small
	$(PY) bench/bench_ingest.py --quick --no-record
	$(PY) bench/bench_retrieval.py --quick --no-record
	$(PY) bench/bench_answer.py --quick --no-record
	$(PY) bench/bench_llamaindex.py --quick --no-record

clean:
	rm -rf index/chroma index/documents index/words eval/out eval/cache
