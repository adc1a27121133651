"""Generators behind one small interface: local llama.cpp or an OpenAI-compatible endpoint.

Prompts are plain chat messages. The answering stage needs two operations: `complete`
(or `stream`) and `yes_probability`, how strongly the model answers "yes" rather than "no".
"""

from __future__ import annotations

import codecs
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


@dataclass
class PrefillCount:
    """Prompts a llama.cpp context evaluated and the tokens it read for them."""

    prompts: int = 0
    tokens: int = 0


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
        self.name = name
        # Two contexts over one loaded model: one keeps the answering prompt's prefix in its
        # KV cache, the other the checking prompt's, so neither re-reads its fixed
        # instructions on every question.
        self._llm = _load_context(path, n_ctx, n_threads)
        self._checker = _load_context(path, n_ctx, n_threads, share_model_of=self._llm)
        self._lock = threading.Lock()
        self._yes_no = self._answer_tokens()
        self._stops = {self._llm.token_eos(), *(
            self._llm.tokenize(mark, add_bos=False, special=True)[0]
            for mark in (b"<|im_end|>", b"<|endoftext|>"))}
        # The logits of the last prompt evaluated, and which context and length they are for:
        # valid while that context holds exactly that many tokens, which the prompt check in
        # `_next_token_logits` makes sure of (decoding appends tokens).
        self._logits: Any = None
        self._evaluated: tuple[int, int] | None = None
        # Prompt tokens read (not reused from the KV cache) and prompts evaluated, per
        # context, since loading: where generation and checking spend their prefill time.
        self.prefill = {"answer": PrefillCount(), "check": PrefillCount()}

    def _answer_tokens(self) -> tuple[list[int], list[int]]:
        def first_token(word: str) -> int:
            return int(self._llm.tokenize(word.encode(), add_bos=False, special=False)[0])

        yes = sorted({first_token(w) for w in ("yes", "Yes", " yes", " Yes", "YES")})
        no = sorted({first_token(w) for w in ("no", "No", " no", " No", "NO")})
        return yes, no

    def complete(self, messages: list[Message], max_tokens: int) -> str:
        return "".join(self.stream(messages, max_tokens))

    def stream(self, messages: list[Message], max_tokens: int) -> Iterator[str]:
        """Greedy decoding. The first token comes from the logits of the prompt's last
        position, which `token_probability` may already have computed for the same prompt:
        llama-cpp-python's own completion would evaluate that position once more."""
        import numpy as np

        llm = self._llm
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        with self._lock:
            logits = self._next_token_logits(llm, chatml(messages))
            for _ in range(max_tokens):
                token = int(np.argmax(logits))
                if token in self._stops:
                    break
                text = decoder.decode(llm.detokenize([token], special=False))
                if text:
                    yield text
                llm.eval([token])
                logits = _last_logits(llm)
            if tail := decoder.decode(b"", final=True):
                yield tail

    def _next_token_logits(self, llm: Any, prompt: str) -> Any:
        """Evaluate `prompt` (reusing the cached prefix) and return the next-token logits."""
        tokens = llm.tokenize(prompt.encode(), add_bos=False, special=True)
        cached = llm.input_ids[: llm.n_tokens].tolist()
        if cached == tokens and self._evaluated == (id(llm), len(tokens)):
            return self._logits
        common = 0
        for a, b in zip(cached, tokens, strict=False):
            if a != b:
                break
            common += 1
        common = min(common, len(tokens) - 1)
        llm.n_tokens = common
        llm.eval(tokens[common:])
        count = self.prefill["check" if llm is self._checker else "answer"]
        count.prompts += 1
        count.tokens += len(tokens) - common
        logits = _last_logits(llm)
        self._logits, self._evaluated = logits, (id(llm), len(tokens))
        return logits

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


def _last_logits(llm: Any) -> Any:
    """The last position's logits (without logits_all llama.cpp keeps no others)."""
    import numpy as np

    logits = np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(llm.n_vocab(),))
    return logits.astype(np.float64)


class OpenAICompatible:
    """Any OpenAI-compatible chat-completions endpoint (OpenAI, vLLM, llama.cpp's server, ...).

    Rate limits (429), server errors (5xx), timeouts and refused connections are retried with
    exponential backoff and jitter (honouring `Retry-After`); anything else, or a failure that
    outlasts the retries, becomes one `BackendUnavailableError`. The API key is sent only as
    the bearer token: it appears in no message, log line or repr.

    The yes/no and NONE probabilities are read from the first token's `top_logprobs`, so the
    endpoint must return log-probabilities (llama.cpp's server: `--logits_all true`); one
    that returns none is an error, not a guess. A reply that is not a chat completion is an
    error too. An answer is cut at `max_tokens` pieces (and 16 characters a piece) even when
    the endpoint ignores `max_tokens`, and one that takes longer than the timeout in all is
    abandoned.
    """

    _TOP_LOGPROBS = 20  # the most the OpenAI API allows
    _MAX_RETRY_AFTER_S = 30.0
    _MAX_CHARS_PER_TOKEN = 16

    def __init__(self, settings: Settings) -> None:
        from openai import OpenAI

        self.name = settings.generator_name
        self._model = settings.openai_model
        self._base_url = settings.openai_base_url
        self._timeout_s = settings.openai_timeout_s
        self._max_retries = settings.openai_max_retries
        self._api_key = settings.openai_api_key
        self._client = OpenAI(
            base_url=settings.openai_base_url,
            api_key=settings.openai_api_key.get_secret_value() or "none",
            timeout=settings.openai_timeout_s,
            max_retries=0,  # retried here, so that every failure ends in one clear error
        )

    def __repr__(self) -> str:
        return f"OpenAICompatible(base_url={self._base_url!r}, model={self._model!r})"

    def _create(self, **request: Any) -> Any:
        import openai

        failure: openai.APIError | None = None
        for attempt in range(self._max_retries + 1):
            if failure is not None:
                time.sleep(self._backoff_s(attempt, failure))
            try:
                return self._client.chat.completions.create(model=self._model, **request)
            except openai.APIConnectionError as exc:  # includes timeouts
                failure = exc
            except openai.APIStatusError as exc:
                if exc.status_code != 429 and exc.status_code < 500:
                    raise BackendUnavailableError(self._describe(exc)) from exc
                failure = exc
            except ValueError as exc:  # a body that is not JSON
                raise self._invalid(exc) from exc
        assert failure is not None
        attempts = self._max_retries + 1
        raise BackendUnavailableError(
            f"{self._describe(failure)} ({attempts} attempt{'s' if attempts > 1 else ''})"
        ) from failure

    def _backoff_s(self, attempt: int, failure: Exception) -> float:
        import openai

        if isinstance(failure, openai.APIStatusError):
            try:
                retry_after = float(failure.response.headers.get("retry-after", ""))
            except ValueError:
                pass
            else:
                return min(max(retry_after, 0.0), self._MAX_RETRY_AFTER_S)
        return min(8.0, 0.5 * 2.0 ** (attempt - 1)) * (0.5 + random.random())

    def _describe(self, failure: Exception) -> str:
        import openai

        where = f"the LLM endpoint {self._base_url}"
        if isinstance(failure, openai.APITimeoutError):
            return f"{where} did not answer within {self._timeout_s:g} s"
        if isinstance(failure, openai.APIConnectionError):
            return f"cannot reach {where}"
        if isinstance(failure, openai.APIStatusError):
            status = failure.status_code
            if status in (401, 403):
                return f"{where} rejected the API key (HTTP {status}); check MSS_QA_OPENAI_API_KEY"
            if status == 404:
                return (
                    f"{where} answered HTTP 404: check MSS_QA_OPENAI_BASE_URL (it usually ends "
                    f"in /v1) and MSS_QA_OPENAI_MODEL ({self._model!r})"
                )
            body = failure.body
            said = body.get("message") if isinstance(body, dict) else None
            said = str(said) if said else failure.message
            return f"{where} answered HTTP {status}: {self._redact(said)[:300]}"
        return f"{where} failed: {type(failure).__name__}"

    def _invalid(self, detail: object) -> BackendUnavailableError:
        if isinstance(detail, Exception):
            detail = f"{type(detail).__name__}: {detail}"
        return BackendUnavailableError(
            f"the LLM endpoint {self._base_url} returned an invalid response "
            f"({self._redact(str(detail))[:200]}); is it an OpenAI-compatible chat "
            "completions API?"
        )

    def _redact(self, text: str) -> str:
        key = self._api_key.get_secret_value()
        return text.replace(key, "**********") if key else text

    @staticmethod
    def _messages(messages: list[Message]) -> list[dict[str, str]]:
        return [{"role": m.role, "content": m.content} for m in messages]

    def complete(self, messages: list[Message], max_tokens: int) -> str:
        return "".join(self.stream(messages, max_tokens))

    def stream(self, messages: list[Message], max_tokens: int) -> Iterator[str]:
        import httpx
        import openai
        from openai.types.chat import ChatCompletionChunk

        started = time.monotonic()
        pieces = self._create(
            messages=self._messages(messages),
            max_tokens=max_tokens,
            temperature=0.0,
            stream=True,
        )
        if not isinstance(pieces, openai.Stream):
            raise self._invalid(f"{type(pieces).__name__} instead of a stream of chunks")
        characters = max_tokens * self._MAX_CHARS_PER_TOKEN
        try:
            count = 0
            for piece in pieces:
                if time.monotonic() - started > self._timeout_s:
                    raise BackendUnavailableError(
                        f"the LLM endpoint {self._base_url} did not finish its answer within "
                        f"{self._timeout_s:g} s"
                    )
                if not isinstance(piece, ChatCompletionChunk):
                    raise self._invalid(f"{type(piece).__name__} instead of a chunk")
                text = piece.choices[0].delta.content if piece.choices else None
                if not text:
                    continue
                yield text[:characters]
                count += 1
                characters -= len(text)
                if count >= max_tokens or characters <= 0:  # it ignored max_tokens
                    return
        except (openai.APIError, httpx.HTTPError) as exc:
            raise BackendUnavailableError(
                f"the LLM endpoint {self._base_url} broke off its answer: {type(exc).__name__}"
            ) from exc
        except ValueError as exc:  # a chunk that is not JSON, or not UTF-8
            raise self._invalid(exc) from exc
        finally:
            pieces.close()

    def _first_token(self, messages: list[Message]) -> dict[str, float]:
        """The probabilities of the likeliest first tokens (stripped)."""
        from openai.types.chat import ChatCompletion

        response = self._create(
            messages=self._messages(messages),
            max_tokens=1,
            temperature=0.0,
            logprobs=True,
            top_logprobs=self._TOP_LOGPROBS,
        )
        if not isinstance(response, ChatCompletion) or not response.choices:
            raise self._invalid(f"{type(response).__name__} without choices"
                                if isinstance(response, ChatCompletion)
                                else f"{type(response).__name__} instead of a chat completion")
        choice = response.choices[0]
        if not (choice.logprobs and choice.logprobs.content
                and choice.logprobs.content[0].top_logprobs):
            raise BackendUnavailableError(
                f"the LLM endpoint {self._base_url} returned no log-probabilities; answers "
                "are checked with them (llama.cpp's server: --logits_all true)"
            )
        probabilities: dict[str, float] = {}
        for candidate in choice.logprobs.content[0].top_logprobs:
            token = candidate.token.strip()
            probabilities[token] = probabilities.get(token, 0.0) + math.exp(candidate.logprob)
        return probabilities

    def yes_probability(self, messages: list[Message]) -> float:
        probabilities = self._first_token(messages)
        yes = sum(p for token, p in probabilities.items() if token.lower() == "yes")
        no = sum(p for token, p in probabilities.items() if token.lower() == "no")
        if yes + no == 0.0:
            return 0.0  # neither word among the likeliest first tokens: not a yes
        return yes / (yes + no)

    def token_probability(self, messages: list[Message], word: str) -> float:
        probabilities = self._first_token(messages)
        target = word.strip()
        # Like the local backend, the probability of the token that starts `word` exactly
        # (case included): a prefix of at least three letters ("NON" of "NONE"), so that "NO"
        # is never read as "NONE".
        return sum(
            p
            for token, p in probabilities.items()
            if token == target or (len(token) >= 3 and target.startswith(token))
        )


class _BorrowedModel:
    """Another context's loaded model, lent to a second context, which must not free it.

    Holding the owner keeps the model alive until the borrower is gone."""

    def __init__(self, owner: Any) -> None:
        self._owner = owner
        self._model = owner._model

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)

    def close(self) -> None:
        """The owner frees the model."""


_loading = threading.Lock()


def _load_context(path: Path, n_ctx: int, n_threads: int, share_model_of: Any = None) -> Any:
    """A llama.cpp context over `path`, or over the model `share_model_of` already loaded.

    The weights are used as mapped from the file, not repacked: repacking copies them into
    anonymous memory for each loaded model (+0.6 GB each for the 1.5B model), and on CPUs
    with AVX-512 the mapped weights were also faster to read prompts with (median 2.5 s
    against 3.4 s per question). Flash attention is left off: on 30 gold questions it was
    about 3% faster (median 2.95 s against 3.07 s), in the whole eval no faster (median
    3.02 s against 2.94 s), and it turned one near-tie answer wrong; a KV cache quantized
    to Q8_0 was much slower (median 4.6-4.9 s)."""
    import llama_cpp
    import llama_cpp._internals as internals
    import llama_cpp.llama_cpp as low_level

    default_params = low_level.llama_model_default_params
    load_model = internals.LlamaModel

    def params_without_repacking() -> Any:
        params = default_params()
        params.use_extra_bufts = False
        return params

    with _loading:
        low_level.llama_model_default_params = params_without_repacking
        if share_model_of is not None:
            internals.LlamaModel = lambda **_: _BorrowedModel(share_model_of)  # type: ignore[misc,assignment]
        try:
            return llama_cpp.Llama(
                model_path=str(path),
                n_ctx=n_ctx,
                n_threads=n_threads,
                n_threads_batch=n_threads,
                n_batch=512,
                verbose=False,
            )
        finally:
            low_level.llama_model_default_params = default_params
            internals.LlamaModel = load_model  # type: ignore[misc]


def runtime_description(settings: Settings) -> str:
    """The generator's runtime: for llama.cpp its version and the CPU features it was built
    for, which change its numbers slightly."""
    if settings.llm_backend != "local":
        return settings.openai_base_url
    import llama_cpp

    info = llama_cpp.llama_print_system_info().decode()
    return f"llama-cpp-python {llama_cpp.__version__}: {' '.join(info.split())}"


def load_llm(settings: Settings) -> LLM:
    """The generator the settings name."""
    if settings.llm_backend == "openai":
        return OpenAICompatible(settings)
    path = model_path(settings.generator, settings.model_dir)
    return LocalLlama(path, settings.n_ctx, settings.n_threads, settings.generator)
