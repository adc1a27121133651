"""The in-process llama.cpp generator: one loaded model shared by its two contexts."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from mss_qa.backends.llm import LocalLlama, Message, load_llm
from mss_qa.backends.model_files import model_path
from mss_qa.settings import Settings

QUESTION = [Message("user", "Is two more than one? Answer yes or no.")]


def _anonymous_kib() -> int:
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines():
        if line.startswith("Anonymous:"):
            return int(line.split()[1])
    raise AssertionError("no Anonymous line in smaps_rollup")


def _mappings_of(path: Path) -> int:
    """How many address ranges of this process map `path`."""
    return sum(1 for line in Path("/proc/self/maps").read_text().splitlines()
               if line.endswith(str(path)))


@pytest.fixture(scope="module")
def small_model_file() -> Path:
    return model_path("qwen-0.5b", Settings().model_dir)


def test_both_contexts_read_one_mapping_of_the_weights(small_model_file: Path) -> None:
    gc.collect()
    before = _anonymous_kib()
    mapped = _mappings_of(small_model_file)  # another test's pipeline may hold the model
    llm = load_llm(Settings(generator="qwen-0.5b"))
    assert isinstance(llm, LocalLlama)
    grown_kib = _anonymous_kib() - before
    # The weights are mapped from the file once, neither copied (repacked) per context nor
    # mapped a second time: what the process adds is KV caches and work buffers.
    assert _mappings_of(small_model_file) == mapped + 1
    assert grown_kib < small_model_file.stat().st_size / 1024 / 2, grown_kib
    assert 0.5 < llm.yes_probability(QUESTION) <= 1.0
    del llm
    gc.collect()
    assert _mappings_of(small_model_file) == mapped


def test_the_checking_context_outlives_a_dropped_answering_context() -> None:
    llm = load_llm(Settings(generator="qwen-0.5b"))
    assert isinstance(llm, LocalLlama)
    expected = llm.yes_probability(QUESTION)
    answer = llm.complete([Message("user", "Say hello.")], 4)
    # The checker borrows the model the answering context loaded: dropping the owner's
    # reference first must neither free the model under the checker nor crash later.
    del llm._llm
    gc.collect()
    assert llm.yes_probability(QUESTION) == pytest.approx(expected, abs=0.03)
    assert answer.strip()
    del llm
    gc.collect()
    again = load_llm(Settings(generator="qwen-0.5b"))
    assert again.yes_probability(QUESTION) == pytest.approx(expected, abs=0.03)
