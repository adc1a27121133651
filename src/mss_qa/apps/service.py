"""One pipeline shared by the API and the UI: loaded in the background, one answer at a time.

The local llama.cpp model is not thread-safe and a CPU runs one generation at a time anyway,
so questions are answered one after another on a worker thread, behind a lock; the event
loop stays free, so health checks answer at once while the model is busy. At most
`max_waiting` questions may wait for the lock; more are refused (`OverloadedError`, HTTP 429)
rather than queued without bound, and so is a question whose expected wait (the questions
ahead times the recent answer time) exceeds its budget.

Each question has a time budget (`request_timeout_s`), waiting included. Past it the caller
gets `AnswerTimeoutError` (HTTP 504) at once, and the worker stops at the next generated token
(or does not start, if it was still waiting). A question counts against `max_waiting` until its
worker has really stopped, so abandoned work cannot pile up behind the lock.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

from mss_qa.compound import split_compound
from mss_qa.errors import (
    AnswerTimeoutError,
    BackendUnavailableError,
    InvalidQuestionError,
    MssQaError,
    OverloadedError,
    SourceNotFoundError,
)
from mss_qa.followup import standalone_question
from mss_qa.pipeline import Pipeline
from mss_qa.types import Answer

log = logging.getLogger(__name__)

History = Sequence[Mapping[str, str]]


class QAService:
    """Answers questions with one `Pipeline` for any number of concurrent clients."""

    def __init__(
        self,
        pipeline: Pipeline,
        max_waiting: int | None = None,
        timeout_s: float | None = None,
    ) -> None:
        """`max_waiting` and `timeout_s` default to the pipeline's settings."""
        self.pipeline = pipeline
        self.settings = pipeline.settings
        waiting = self.settings.max_waiting if max_waiting is None else max_waiting
        self.timeout_s = self.settings.request_timeout_s if timeout_s is None else timeout_s
        self._max_in_flight = 1 + waiting
        self._in_flight = 0  # changed only on the event loop thread
        self._workers = ThreadPoolExecutor(self._max_in_flight, thread_name_prefix="mss-qa-ask")
        self._generation = threading.Lock()
        # Seconds one answer takes (moving average): a question that would wait longer than
        # its budget is refused at once (429) instead of timing out in the queue (504).
        self._answer_s: float | None = None
        self._loaded = threading.Event()
        self._load_error: MssQaError | None = None

    # Seconds between tries to load while a server it needs (the LLM endpoint, a Chroma
    # server) does not answer: it may still be starting.
    LOAD_RETRY_S = (1.0, 2.0, 5.0, 10.0, 30.0)

    def load(self) -> None:
        """Load the index and the models (blocking; run it off the event loop). While a
        server it needs does not answer, it tries again (1, 2, 5, 10, then every 30 s), with
        the reason in `load_error` meanwhile; other failures are final."""
        for attempt in itertools.count():
            try:
                self.pipeline.load()
            except BackendUnavailableError as exc:
                self._load_error = exc
                delay = self.LOAD_RETRY_S[min(attempt, len(self.LOAD_RETRY_S) - 1)]
                log.warning("loading failed, trying again in %g s: %s", delay, exc)
                time.sleep(delay)
                continue
            except MssQaError as exc:
                self._load_error = exc
            except Exception as exc:
                log.exception("loading the pipeline failed")
                self._load_error = BackendUnavailableError(f"loading failed: {exc}")
            else:
                self._load_error = None
                self._loaded.set()
            return

    @property
    def ready(self) -> bool:
        """True once the index and the models are loaded."""
        return self._loaded.is_set()

    @property
    def answer_seconds(self) -> float | None:
        """Recent seconds per answer (moving average), None before the first."""
        return self._answer_s

    @property
    def load_error(self) -> MssQaError | None:
        """Why loading failed, if it did."""
        return self._load_error

    def require_ready(self) -> None:
        """Raise the loading error, or a 503 while loading is still under way."""
        if self._load_error is not None:
            raise self._load_error
        if not self.ready:
            raise BackendUnavailableError(
                "the index and models are still loading; retry when /readyz answers 200"
            )

    def sources(self) -> list[str]:
        """Names of the source files in the collection."""
        self.require_ready()
        return self.pipeline.sources()

    def source_text(self, name: str) -> str:
        """The full text of one source (`SourceNotFoundError` for unknown or path-like names)."""
        self.require_ready()
        try:
            return self.pipeline.source_text(name)
        except (OSError, ValueError) as exc:
            # A name the file system cannot even look up (too long, NUL byte) names no source.
            raise SourceNotFoundError(f"no source named {name[:100]!r}") from exc

    def standalone(self, question: object, history: History = ()) -> str:
        """The question, checked, with a follow-up rewritten to stand alone. Earlier questions
        are read as this one is (a greeting before them dropped, capitals restored), and of a
        question that asks several things only the first part is read against them: the
        later parts follow from it (see `compound.py`)."""
        self.require_ready()
        limit = self.settings.max_question_chars
        text = self.pipeline.read_question(question)
        turns = [self._as_read(turn) for turn in history]
        first, *rest = split_compound(text)
        completed = " ".join([standalone_question(first, turns), *rest])
        if completed != text and len(completed) > limit:
            raise InvalidQuestionError(
                f"the follow-up, completed from the conversation's earlier question, is "
                f"{len(completed)} characters long; the limit is {limit}: ask it in full"
            )
        return completed

    def _as_read(self, turn: Mapping[str, str]) -> Mapping[str, str]:
        """An earlier question as `read_question` reads it (left as it is if it would be
        refused)."""
        if turn.get("role") != "user":
            return turn
        try:
            return {**turn, "content": self.pipeline.read_question(turn.get("content", ""))}
        except InvalidQuestionError:
            return turn

    async def ask(
        self, question: object, history: History = (), top_k: int | None = None
    ) -> Answer:
        """Answer `question` (a follow-up to `history`), waiting for the generator if busy."""
        text = self.standalone(question, history)
        remembered = self.pipeline.remembered(text, top_k)
        if remembered is not None:
            return remembered  # no need to wait for the generator
        return await self._run(text, top_k, None)

    def stream(
        self, question: object, history: History = (), top_k: int | None = None
    ) -> AsyncIterator[str | Answer]:
        """The generator's draft tokens as they come, then the verified `Answer`.

        The question is checked now, so a bad one raises before anything is streamed.
        """
        text = self.standalone(question, history)
        remembered = self.pipeline.remembered(text, top_k)
        if remembered is None:
            self._check_capacity()  # a full queue is a 429, not an error inside a 200 stream
        return self._stream(text, top_k, remembered)

    async def _stream(self, text: str, top_k: int | None, remembered: Answer | None
                      ) -> AsyncIterator[str | Answer]:
        if remembered is not None:
            yield remembered
            return
        loop = asyncio.get_running_loop()
        tokens: asyncio.Queue[str | None] = asyncio.Queue()

        def on_token(token: str) -> None:
            loop.call_soon_threadsafe(tokens.put_nowait, token)

        job = asyncio.ensure_future(self._run(text, top_k, on_token))
        # Scheduled after every token the worker has queued, so it arrives last.
        job.add_done_callback(lambda _: tokens.put_nowait(None))
        try:
            while (token := await tokens.get()) is not None:
                yield token
            yield await job
        finally:
            # A client that went away: the answer finishes on its own thread; only observe it.
            job.add_done_callback(_observe)

    def _check_capacity(self) -> None:
        """`OverloadedError` when this question could not be taken on now."""
        if self._in_flight >= self._max_in_flight:
            raise OverloadedError(
                f"{self._in_flight} questions are already being answered or waiting; retry shortly"
            )
        expected_wait = self._in_flight * (self._answer_s or 0.0)
        if expected_wait > self.timeout_s:
            raise OverloadedError(
                f"{self._in_flight} questions are ahead of this one, about {expected_wait:.0f} s "
                f"of work, more than the {self.timeout_s:g} s budget; retry shortly"
            )

    async def _run(
        self, text: str, top_k: int | None, on_token: Callable[[str], None] | None
    ) -> Answer:
        self._check_capacity()
        self._in_flight += 1
        deadline = Deadline(self.timeout_s)
        job = asyncio.get_running_loop().run_in_executor(
            self._workers, self._ask_locked, text, top_k, on_token, deadline
        )
        # Released when the worker really stops, which may be after the caller gave up.
        job.add_done_callback(self._release)
        try:
            return await asyncio.wait_for(asyncio.shield(job), deadline.remaining())
        except TimeoutError:
            deadline.cut()
            job.add_done_callback(_observe)
            raise AnswerTimeoutError(
                f"no answer within the {self.timeout_s:g} s budget (MSS_QA_REQUEST_TIMEOUT_S); "
                "it was cut off: retry, and if it happens again the generator is too slow "
                "or stalled for that budget"
            ) from None
        except asyncio.CancelledError:
            # The client went away: stop the worker too, at its next token.
            deadline.cut()
            job.add_done_callback(_observe)
            raise

    def _release(self, _: object) -> None:
        self._in_flight -= 1

    def _ask_locked(
        self,
        text: str,
        top_k: int | None,
        on_token: Callable[[str], None] | None,
        deadline: Deadline,
    ) -> Answer:
        def checked_token(token: str) -> None:
            deadline.check()
            if on_token is not None:
                on_token(token)

        with self._generation:
            deadline.check()  # it may have expired while waiting for the lock
            started = time.monotonic()
            answer = self.pipeline.ask(text, top_k=top_k, on_token=checked_token)
            took = time.monotonic() - started
            self._answer_s = took if self._answer_s is None else 0.7 * self._answer_s + 0.3 * took
            return answer


class Deadline:
    """When one question's time is up; the worker checks it before starting and per token."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._at = time.monotonic() + seconds
        self._cut = threading.Event()

    def remaining(self) -> float:
        """Seconds left (never negative)."""
        return max(0.0, self._at - time.monotonic())

    def cut(self) -> None:
        """Stop the work now, whatever time is left."""
        self._cut.set()

    def check(self) -> None:
        """Raise `AnswerTimeoutError` once the time is up or the work was cut."""
        if self._cut.is_set() or time.monotonic() >= self._at:
            raise AnswerTimeoutError(f"no answer within the {self.seconds:g} s budget")


def _observe(job: asyncio.Future[Answer]) -> None:
    if not job.cancelled() and job.exception() is not None:
        log.info("an abandoned question failed: %s", job.exception())
