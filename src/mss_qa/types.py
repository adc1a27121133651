"""The domain: document -> chunk -> evidence -> answer with citations."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["answered", "insufficient"]


@dataclass(frozen=True)
class Document:
    """One source file, its text exactly as stored on disk (decoded UTF-8)."""

    source: str  # file name, unique within a collection
    text: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Span:
    """A citable stretch of a document: `text == document.text[start:end]`."""

    source: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Chunk:
    """A retrieval unit: consecutive sentences of one document, with their own spans."""

    id: str
    source: str
    start: int
    end: int
    text: str
    sentences: tuple[Span, ...]
    # The marked heading of the section the chunk continues, when the chunk does not open
    # with it (it lies before `start`): "Version 2.0" for the second chunk of its notes.
    # Shown and cited with the chunk, not searched: every chunk of a section would match the
    # heading's words, and crowd out the chunk that opens with it.
    heading: Span | None = None


@dataclass(frozen=True)
class Evidence:
    """A retrieved chunk with its fused rank score."""

    chunk: Chunk
    score: float
    rank: int


@dataclass(frozen=True)
class Citation:
    """A numbered exact quote: `quote == <source file>[start:end]`."""

    n: int
    source: str
    start: int
    end: int
    quote: str
    support: float | None = None  # the checker's "yes" probability for the claim cited here

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "source": self.source,
            "start": self.start,
            "end": self.end,
            "quote": self.quote,
            "support": self.support,
        }


@dataclass(frozen=True)
class ConflictClaim:
    text: str
    citation: int


@dataclass(frozen=True)
class Conflict:
    """The sources disagree on `topic`; each claim cites its own quote."""

    topic: str
    claims: tuple[ConflictClaim, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "claims": [{"text": c.text, "citation": c.citation} for c in self.claims],
        }


@dataclass(frozen=True)
class Claim:
    """One answer the generator proposed, with the passages it says support it."""

    text: str
    passages: tuple[int, ...]  # 1-based indices into the evidence shown; empty: not given
    # Other readings of the same words (an ambiguous calculation); the checker picks one.
    alternatives: tuple[str, ...] = ()


@dataclass(frozen=True)
class Part:
    """One part of a question that asked several things, and its answer (citation numbers
    are those of the whole answer)."""

    question: str  # as asked on its own: a later part reads as a follow-up to the one before
    status: Status
    answer: str
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"question": self.question, "status": self.status, "answer": self.answer,
                "reason": self.reason}


@dataclass
class Answer:
    """The answer contract shared by the CLI, the API and the UI."""

    question: str
    status: Status
    answer: str
    citations: list[Citation] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    reason: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    retrieved: list[Evidence] = field(default_factory=list)
    shown: list[Evidence] = field(default_factory=list)  # the passages the generator read
    none_probability: float | None = None  # the generator's first-token P("NONE")
    parts: list[Part] = field(default_factory=list)  # a question that asked several things

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "status": self.status,
            "answer": self.answer,
            "citations": [c.to_dict() for c in self.citations],
            "conflicts": [c.to_dict() for c in self.conflicts],
            "reason": self.reason,
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
            "none_probability": None
            if self.none_probability is None
            else round(self.none_probability, 4),
            "retrieved": [
                {
                    "source": e.chunk.source,
                    "start": e.chunk.start,
                    "end": e.chunk.end,
                    "score": round(e.score, 5),
                    "shown": any(e.chunk.id == s.chunk.id for s in self.shown),
                }
                for e in self.retrieved
            ],
            "parts": [p.to_dict() for p in self.parts],
        }
