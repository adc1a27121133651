"""The in-process llama.cpp generator: one loaded model shared by its two contexts."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from mss_qa.backends.llm import LocalLlama, Message, chatml, load_llm
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


@pytest.fixture(scope="module")
def small_llm() -> LocalLlama:
    llm = load_llm(Settings(generator="qwen-0.5b"))
    assert isinstance(llm, LocalLlama)
    return llm


def _forget(llm: LocalLlama) -> None:
    """Empty the answering context's KV cache. llama.cpp's logits differ in the last bits
    between a prompt read in one batch and one whose end is read on its own, and with a
    near tie that changes the greedy output: compared generations start alike."""
    llm._llm.n_tokens = 0


def _library_greedy(llm: LocalLlama, messages: list[Message], max_tokens: int) -> str:
    """llama-cpp-python's own greedy completion of the same prompt, for comparison."""

    _forget(llm)
    out = llm._llm.create_completion(chatml(messages), max_tokens=max_tokens, temperature=0.0,
                                     top_k=1, stop=["<|im_end|>", "<|endoftext|>"])
    return str(out["choices"][0]["text"])


@pytest.mark.parametrize("prompt", [
    "Say hello.",
    "Repeat exactly, nothing else: Jovenel Moïse, Port‑au‑Prince, 80%, “Viv Ansanm”.",
    # "ꙮ" (U+A66E) is two tokens, neither of them valid UTF-8 on its own.
    "Repeat exactly, nothing else: ꙮ ꙮ",
    "Name three colours, separated by commas.",
])
def test_greedy_stream_writes_what_llama_cpp_would(small_llm: LocalLlama, prompt: str) -> None:
    messages = [Message("user", prompt)]
    expected = _library_greedy(small_llm, messages, 24)
    _forget(small_llm)
    pieces = list(small_llm.stream(messages, 24))
    assert "".join(pieces) == expected
    assert "�" not in "".join(pieces)  # characters split over several tokens come out whole


def test_stream_after_token_probability_reuses_the_prompt_and_nothing_stale(
        small_llm: LocalLlama) -> None:
    first = [Message("user", "Which planet do we live on? Answer in one word.")]
    second = [Message("user", "Name three colours, separated by commas.")]
    _forget(small_llm)
    alone = small_llm.complete(first, 12)
    _forget(small_llm)
    earth = small_llm.token_probability(first, "Earth")
    _forget(small_llm)
    red = small_llm.token_probability(second, "Red")
    assert earth > 0.3 and red > 0.3

    _forget(small_llm)
    small_llm.token_probability(first, "Earth")
    # Generation starts from the logits just computed for the same prompt.
    assert small_llm.complete(first, 12) == alone
    # Those logits answer for neither another prompt nor the same prompt once generated
    # tokens follow it in the context.
    assert small_llm.token_probability(second, "Red") == pytest.approx(red, abs=0.05)
    small_llm.complete(second, 12)
    assert small_llm.token_probability(second, "Red") == pytest.approx(red, abs=0.05)
    assert small_llm.token_probability(first, "Earth") == pytest.approx(earth, abs=0.05)


def test_stream_stops_at_max_tokens(small_llm: LocalLlama) -> None:
    messages = [Message("user", "Count from one to one hundred in words.")]
    pieces = list(small_llm.stream(messages, 5))
    assert 1 <= len(pieces) <= 5


def test_prefill_counts_the_prompt_tokens_each_context_reads(small_llm: LocalLlama) -> None:
    question = [Message("system", "Answer in one word."),
                Message("user", "Which planet do we live on?")]
    other = [Message("system", "Answer in one word."),
             Message("user", "Which colour is the sky?")]
    _forget(small_llm)
    before = {name: (c.prompts, c.tokens) for name, c in small_llm.prefill.items()}
    small_llm.token_probability(question, "Earth")
    answer = small_llm.prefill["answer"]
    whole = len(small_llm._llm.tokenize(chatml(question).encode(), add_bos=False, special=True))
    assert (answer.prompts, answer.tokens) == (before["answer"][0] + 1,
                                               before["answer"][1] + whole)
    # The same prompt again is answered from the logits already computed: nothing read.
    small_llm.token_probability(question, "Earth")
    assert answer.tokens == before["answer"][1] + whole
    # Another question reads only what differs from the cached system prompt.
    small_llm.token_probability(other, "Blue")
    assert before["answer"][1] + whole < answer.tokens < before["answer"][1] + 2 * whole
    checked = small_llm.prefill["check"].tokens
    small_llm.yes_probability(question)
    assert small_llm.prefill["check"].tokens > checked
    assert small_llm.prefill["check"].prompts == before["check"][0] + 1
