# Targets mirror CI: `.ci/run` runs `make test`.
VENV   ?= .venv
PY     := $(VENV)/bin/python
MSSQA  := $(VENV)/bin/mss-qa
# llama.cpp's default build targets the build machine's newest CPU features (AMX), which
# crash on common virtual CPUs; these flags build a portable AVX2 binary.
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install models models-small index run ask test lint eval eval-small bench clean

$(VENV)/.installed: pyproject.toml requirements.lock
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet pip==26.3
	# torch first and pinned: 2.13.0 is the CPU build; anything else pulls CUDA.
	$(PY) -m pip install --quiet -c requirements.lock torch==2.13.0
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PY) -m pip install --quiet \
		--no-binary llama-cpp-python -c requirements.lock -e '.[dev]'
	touch $@

install: $(VENV)/.installed

models: install
	$(MSSQA) models fetch qwen-1.5b

models-small: install
	$(MSSQA) models fetch qwen-0.5b

index: install
	$(MSSQA) ingest

## The main job: install, assemble the model, build the index, answer a sample question.
run: models index
	$(MSSQA) ask "Who is Kenya's Interior Minister?"

test: models-small
	$(PY) -m pytest -q

lint: install
	$(VENV)/bin/ruff check src tests
	$(VENV)/bin/mypy

clean:
	rm -rf index/chroma index/documents eval/out eval/cache
