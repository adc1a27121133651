"""Generators behind one small interface: local llama.cpp or an OpenAI-compatible endpoint.

Prompts are plain chat messages. The answering stage needs two operations: `complete`
(or `stream`) and `yes_probability`, how strongly the model answers "yes" rather than "no".
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from mss_qa.backends.model_files import model_path
from mss_qa.errors import BackendUnavailableError
from mss_qa.settings import Settings


@dataclass(frozen=True)
class Message:
    role: str  # "system" | "user" | "assistant"
    content: str


class LLM(Protocol):
    """What the answering stage needs from a generator."""

    name: str

    def complete(self, messages: list[Message], max_tokens: int) -> str: ...

    def stream(self, messages: list[Message], max_tokens: int) -> Iterator[str]: ...

    def yes_probability(self, messages: list[Message]) -> float: ...

    def token_probability(self, messages: list[Message], word: str) -> float: ...


def chatml(messages: list[Message], add_generation_prompt: bool = True) -> str:
    """Qwen's chat format, written out so that a fixed prefix stays byte-identical."""
    text = "".join(f"<|im_start|>{m.role}\n{m.content}<|im_end|>\n" for m in messages)
    return text + ("<|im_start|>assistant\n" if add_generation_prompt else "")


class LocalLlama:
    """llama-cpp-python with a GGUF file; one model per process, guarded by a lock.

    llama.cpp keeps the tokens of the previous call in its KV cache and reuses the longest
    common prefix, so prompts put fixed text first.
    """

    def __init__(self, path: Path, n_ctx: int, n_threads: int, name: str) -> None:
        from llama_cpp import Llama

        self.name = name

        def context() -> Any:
            return Llama(
                model_path=str(path),
                n_ctx=n_ctx,
                n_threads=n_threads,
                n_threads_batch=n_threads,
                n_batch=512,
                verbose=False,
            )

        # Two contexts over the same memory-mapped weights: one keeps the answering prompt's
        # prefix in its KV cache, the other the checking prompt's, so neither re-reads its
        # fixed instructions on every question.
        self._llm = context()
        self._checker = context()
        self._lock = threading.Lock()
        self._yes_no = self._answer_tokens()

    def _answer_tokens(self) -> tuple[list[int], list[int]]:
        def first_token(word: str) -> int:
            return int(self._llm.tokenize(word.encode(), add_bos=False, special=False)[0])

        yes = sorted({first_token(w) for w in ("yes", "Yes", " yes", " Yes", "YES")})
        no = sorted({first_token(w) for w in ("no", "No", " no", " No", "NO")})
        return yes, no

    def complete(self, messages: list[Message], max_tokens: int) -> str:
        return "".join(self.stream(messages, max_tokens))

    def stream(self, messages: list[Message], max_tokens: int) -> Iterator[str]:
        prompt = chatml(messages)
        with self._lock:
            pieces = self._llm.create_completion(
                prompt,
                max_tokens=max_tokens,
                temperature=0.0,
                top_k=1,
                stream=True,
                stop=["<|im_end|>", "<|endoftext|>"],
            )
            for piece in pieces:
                yield str(piece["choices"][0]["text"])

    def _next_token_logits(self, llm: Any, prompt: str) -> Any:
        """Evaluate `prompt` (reusing the cached prefix) and return the next-token logits."""
        import numpy as np

        tokens = llm.tokenize(prompt.encode(), add_bos=False, special=True)
        cached = llm.input_ids[: llm.n_tokens].tolist()
        common = 0
        for a, b in zip(cached, tokens, strict=False):
            if a != b:
                break
            common += 1
        common = min(common, len(tokens) - 1)
        llm.n_tokens = common
        llm.eval(tokens[common:])
        # Without logits_all, llama.cpp keeps only the last position's logits.
        logits = np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(llm.n_vocab(),))
        return logits.astype(np.float64)

    def yes_probability(self, messages: list[Message]) -> float:
        import numpy as np

        with self._lock:
            logits = self._next_token_logits(self._checker, chatml(messages))
        yes_no = logits[self._yes_no[0] + self._yes_no[1]]
        weights = np.exp(yes_no - yes_no.max())
        return float(weights[: len(self._yes_no[0])].sum() / weights.sum())

    def token_probability(self, messages: list[Message], word: str) -> float:
        import numpy as np

        token = int(self._llm.tokenize(word.encode(), add_bos=False, special=False)[0])
        with self._lock:
            # Evaluated in the answering context, so the generation that follows reuses it.
            logits = self._next_token_logits(self._llm, chatml(messages))
        probabilities = np.exp(logits - logits.max())
        return float(probabilities[token] / probabilities.sum())


class OpenAICompatible:
    """Any OpenAI-compatible chat-completions endpoint (timeouts, retries with backoff)."""

    def __init__(self, settings: Settings) -> None:
        from openai import OpenAI

        self.name = f"openai:{settings.openai_model}"
        self._model = settings.openai_model
        self._base_url = settings.openai_base_url
        self._client = OpenAI(
            base_url=settings.openai_base_url,
            api_key=settings.openai_api_key.get_secret_value() or "none",
            timeout=settings.openai_timeout_s,
            max_retries=0,
        )
        self._max_retries = settings.openai_max_retries

    def _call(self, **kwargs: Any) -> Any:
        import openai

        for attempt in range(self._max_retries + 1):
            try:
                return self._client.chat.completions.create(model=self._model, **kwargs)
            except (
                openai.RateLimitError,
                openai.InternalServerError,
                openai.APITimeoutError,
            ) as exc:
                if attempt == self._max_retries:
                    raise BackendUnavailableError(
                        f"the LLM endpoint {self._base_url} kept failing: {type(exc).__name__}"
                    ) from exc
                time.sleep(min(8.0, 0.5 * 2**attempt) * (0.5 + random.random()))
            except openai.APIConnectionError as exc:
                raise BackendUnavailableError(
                    f"cannot reach the LLM endpoint {self._base_url}"
                ) from exc
            except openai.APIStatusError as exc:
                raise BackendUnavailableError(
                    f"the LLM endpoint {self._base_url} answered HTTP {exc.status_code}"
                ) from exc
        raise AssertionError("unreachable")

    @staticmethod
    def _messages(messages: list[Message]) -> list[dict[str, str]]:
        return [{"role": m.role, "content": m.content} for m in messages]

    def complete(self, messages: list[Message], max_tokens: int) -> str:
        return "".join(self.stream(messages, max_tokens))

    def stream(self, messages: list[Message], max_tokens: int) -> Iterator[str]:
        response = self._call(
            messages=self._messages(messages), max_tokens=max_tokens, temperature=0.0
        )
        yield response.choices[0].message.content or ""

    def _top_logprobs(self, messages: list[Message]) -> tuple[dict[str, float], str]:
        response = self._call(
            messages=self._messages(messages),
            max_tokens=1,
            temperature=0.0,
            logprobs=True,
            top_logprobs=10,
        )
        choice = response.choices[0]
        probabilities: dict[str, float] = {}
        if choice.logprobs and choice.logprobs.content:
            for candidate in choice.logprobs.content[0].top_logprobs:
                word = candidate.token.strip().lower()
                probabilities[word] = probabilities.get(word, 0.0) + math.exp(candidate.logprob)
        return probabilities, (choice.message.content or "").strip().lower()

    def yes_probability(self, messages: list[Message]) -> float:
        probabilities, text = self._top_logprobs(messages)
        yes, no = probabilities.get("yes", 0.0), probabilities.get("no", 0.0)
        if yes + no == 0.0:
            # A server without logprobs: fall back to the word it chose.
            return 1.0 if text.startswith("yes") else 0.0
        return yes / (yes + no)

    def token_probability(self, messages: list[Message], word: str) -> float:
        probabilities, text = self._top_logprobs(messages)
        target = word.strip().lower()
        if not probabilities:
            return 1.0 if text.startswith(target) else 0.0
        # A token counts when it is the word or a prefix of at least three letters ("NON" of
        # "NONE"), so that "no" is never read as "NONE".
        return sum(p for token, p in probabilities.items()
                   if token == target or (len(token) >= 3 and target.startswith(token)))


def load_llm(settings: Settings) -> LLM:
    """The generator the settings name."""
    if settings.llm_backend == "openai":
        return OpenAICompatible(settings)
    path = model_path(settings.generator, settings.model_dir)
    return LocalLlama(path, settings.n_ctx, settings.n_threads, settings.generator)
