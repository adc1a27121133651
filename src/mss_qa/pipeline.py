"""The one place that wires the stages and backends together."""

from __future__ import annotations

import dataclasses
import threading
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Callable
from functools import cached_property

from mss_qa.answer import answer as answer_stage
from mss_qa.answer import insufficient, warm_up
from mss_qa.backends.embedders import Embedder, known_words, load_embedder
from mss_qa.backends.llm import LLM, load_llm
from mss_qa.casing import Casing, lacks_case
from mss_qa.compound import combine, split_compound, without_preamble
from mss_qa.errors import InvalidQuestionError, MssQaError
from mss_qa.followup import (
    asks_nothing,
    judges_answers,
    standalone_question,
    unresolved_reference,
)
from mss_qa.index import LoadedIndex, load_index, word_neighbours
from mss_qa.retrieve import HybridRetriever, WordNeighbours
from mss_qa.settings import Settings
from mss_qa.types import Answer
from mss_qa.verify import verify_citation


def clean_question(question: object, max_chars: int) -> str:
    """The question as one line of printable text, or `InvalidQuestionError`."""
    if not isinstance(question, str):
        raise InvalidQuestionError("the question must be text")
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in question)
    text = " ".join(text.split())
    if not text:
        raise InvalidQuestionError("the question is empty")
    if not any(ch.isalnum() for ch in text):
        raise InvalidQuestionError("the question has no words")
    if len(text) > max_chars:
        raise InvalidQuestionError(
            f"the question is {len(text)} characters long; the limit is {max_chars}"
        )
    return text


class Pipeline:
    """Loads models and the index once; answers any number of questions."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        embedder: Embedder | None = None,
        llm: LLM | None = None,
    ) -> None:
        self.settings = settings or Settings()
        self._embedder = embedder
        self._llm = llm
        # Answers are deterministic for a loaded index (greedy decoding), so a question asked
        # again is answered from memory: no waiting for the generator.
        self._answers: OrderedDict[tuple[str, int], Answer] = OrderedDict()
        self._answers_lock = threading.Lock()

    @cached_property
    def embedder(self) -> Embedder:
        return self._embedder or load_embedder(self.settings.embedder, self.settings.model_dir)

    @cached_property
    def llm(self) -> LLM:
        return self._llm or load_llm(self.settings)

    @cached_property
    def index(self) -> LoadedIndex:
        return load_index(self.settings, self.embedder.name)

    @cached_property
    def retriever(self) -> HybridRetriever:
        s = self.settings
        return HybridRetriever(
            self.index.chunks,
            self.index.store,
            self.embedder,
            bm25_weight=s.bm25_weight,
            dense_weight=s.dense_weight,
            rrf_k=s.rrf_k,
            fusion=s.fusion,
            neighbours=self.word_neighbours,
        )

    @cached_property
    def word_neighbours(self) -> WordNeighbours | None:
        return word_neighbours(self.settings, self.embedder, (c.text for c in self.index.chunks))

    @cached_property
    def casing(self) -> Casing:
        return Casing((c.text for c in self.index.chunks), common_words=known_words())

    def read_question(self, question: object) -> str:
        """The question as asked: checked and cleaned (`clean_question`), a sentence about
        the asker before it dropped, and when typed without capitals (or in capitals only)
        given the collection's ("who is the president of haiti" -> "Who is the president of
        Haiti")."""
        text = without_preamble(clean_question(question, self.settings.max_question_chars))
        return self.casing.restore(text) if lacks_case(text) else text

    def load(self) -> None:
        """Load everything (and prime the generator's prompt cache) before the first question."""
        _ = self.retriever, self.casing
        warm_up(self.llm)

    def source_text(self, source: str) -> str:
        return self.index.documents.read(source)

    def sources(self) -> list[str]:
        return sorted({c.source for c in self.index.chunks})

    def ask(
        self,
        question: object,
        top_k: int | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> Answer:
        """Answer one question from the collection, with verified citations."""
        text, k = self._checked(question, top_k)
        remembered = self._recall(text, k)
        if remembered is not None:
            return remembered
        parts = split_compound(text)
        if len(parts) > 1:
            return self._ask_parts(text, parts, k, on_token)
        started = time.perf_counter()
        pronoun = unresolved_reference(text)
        if pronoun is not None or asks_nothing(text):
            missing = (f"who or what “{pronoun}” is: ask again with the name"
                       if pronoun is not None else "what it asks about: ask it in full")
            why = (f"The question does not say {missing} (in a conversation, a follow-up is "
                   "read with the answer before).")
            if pronoun is None and judges_answers(text):
                why = ("The question asks about answers, not about the sources, which do not "
                       "say which of them is right or why they differ: each answer is "
                       "given with its quote, to be checked in its source.")
            result = insufficient(text, [], why)
            result.timings["total_s"] = time.perf_counter() - started
            return result
        ranked = self.retriever.retrieve(text, k + self.settings.conflict_candidates)
        evidence, extra = ranked[:k], ranked[k:]
        retrieve_s = time.perf_counter() - started
        result = answer_stage(
            text,
            evidence,
            self.llm,
            self.settings.required_support,
            self.settings.max_answer_tokens,
            self.source_text,
            on_token=on_token,
            extra_evidence=extra,
            conflict_threshold=self.settings.conflict_threshold,
            none_weight=self.settings.none_penalty,
            min_relative_score=self.settings.shown_score_share,
            widen_at_none=self.settings.widen_at_none,
            mentions=self.retriever.mentions,
        )
        if not all(verify_citation(c, self.source_text(c.source)) for c in result.citations):
            # Cannot happen unless the stored documents changed under us; never show it.
            result = insufficient(text, evidence, "A citation did not match its source.")
        result.retrieved = evidence
        result.timings["retrieve_s"] = retrieve_s
        result.timings["total_s"] = time.perf_counter() - started
        self._remember(text, k, result)
        return result

    def _ask_parts(self, text: str, parts: list[str], k: int,
                   on_token: Callable[[str], None] | None) -> Answer:
        """Each part of a question that asks several things, a later part read as a follow-up
        to the parts before it, then one answer for all."""
        history: list[dict[str, str]] = []
        answers: list[Answer] = []
        for part in parts:
            if answers and on_token is not None:
                on_token("\n")
            question = standalone_question(part, history)
            if len(question) > self.settings.max_question_chars:
                question = part  # completed, it would be refused as too long
            answers.append(self.ask(question, k, on_token))
            history += [{"role": "user", "content": part},
                        {"role": "assistant", "content": answers[-1].answer}]
        result = combine(text, answers)
        self._remember(text, k, result)
        return result

    def _checked(self, question: object, top_k: int | None) -> tuple[str, int]:
        text = self.read_question(question)
        k = top_k if top_k is not None else self.settings.top_k
        if not 1 <= k <= 9:
            raise InvalidQuestionError("top_k must be between 1 and 9")
        return text, k

    def remembered(self, question: object, top_k: int | None = None) -> Answer | None:
        """The answer already given to this question, if it is still in memory."""
        return self._recall(*self._checked(question, top_k))

    def _recall(self, text: str, k: int) -> Answer | None:
        with self._answers_lock:
            hit = self._answers.get((text, k))
            if hit is None:
                return None
            self._answers.move_to_end((text, k))
        return dataclasses.replace(hit, timings={"total_s": 0.0, "remembered": 1.0})

    def _remember(self, text: str, k: int, result: Answer) -> None:
        if self.settings.answer_cache_size <= 0:
            return
        with self._answers_lock:
            self._answers[(text, k)] = result
            while len(self._answers) > self.settings.answer_cache_size:
                self._answers.popitem(last=False)


__all__ = ["MssQaError", "Pipeline", "clean_question"]
