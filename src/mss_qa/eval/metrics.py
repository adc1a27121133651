"""Eval metrics: each an object with a name and a pure `score(item, record)`.

A score is a float in [0, 1] (or -1..1 for the CRAG score), or None when the metric does not
apply to that question (for example citation recall on an unanswerable question).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mss_qa.eval.dataset import GoldItem

Record = dict[str, Any]  # {"answer": <answer contract dict>, "latency_s": float}
_MARKER = re.compile(r"\[\d+\]")
# The working an answer shows for its figure: "400 (600 - 200)" answers 400, not 600.
_WORKING = re.compile(r"\((?=[^()]*\d\s*[-+−×x*/]\s*\d)[^()]*\)")


def normalize(text: str) -> str:
    """Case, accents, curly quotes, dashes and thousands separators folded away."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    text = _MARKER.sub(" ", text)
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)
    text = re.sub(r"(?<=\d)(st|nd|rd|th)\b", "", text)  # "2nd October" ~ "2 October"
    text = re.sub(r"[-‐‑–—/]", " ", text)
    text = re.sub(r"[^\w%'. ]", " ", text)
    text = re.sub(r"(?<!\d)\.|\.(?!\d)", " ", text)
    return " ".join(text.split())


def contains_alias(answer: str, aliases: tuple[str, ...]) -> bool:
    """True when any alias appears in the answer as whole words."""
    normalized = normalize(answer)
    for alias in aliases:
        target = normalize(alias)
        if target and re.search(rf"(?<!\w){re.escape(target)}(?!\w)", normalized):
            return True
    return False


def token_f1(answer: str, reference: str) -> float:
    predicted, gold = normalize(answer).split(), normalize(reference).split()
    common = sum((Counter(predicted) & Counter(gold)).values())
    if not predicted or not gold or common == 0:
        return 0.0
    precision, recall = common / len(predicted), common / len(gold)
    return 2 * precision * recall / (precision + recall)


def _overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    return a_start < b_end and b_start < a_end


def _answered(record: Record) -> bool:
    return bool(record["answer"]["status"] == "answered")


def is_correct(item: GoldItem, record: Record) -> bool:
    """Answerable: answered with an accepted alias (conflicts: naming every figure), not
    counting the figures of a calculation's shown working. Unanswerable: refused."""
    if not item.answerable:
        return not _answered(record)
    if not _answered(record):
        return False
    text = _WORKING.sub(" ", record["answer"]["answer"])
    if item.kind == "conflict" and item.all_of:
        return all(contains_alias(text, group) for group in item.all_of)
    return contains_alias(text, item.answers)


@dataclass(frozen=True)
class Metric:
    """A named score with its pure function; `higher_is_better` guides regression checks."""

    name: str
    fn: Callable[[GoldItem, Record], float | None]
    higher_is_better: bool = True

    def score(self, item: GoldItem, record: Record) -> float | None:
        return self.fn(item, record)


def _hit_rank(item: GoldItem, record: Record) -> int | None:
    for rank, chunk in enumerate(record["answer"].get("retrieved", []), start=1):
        if any(
            chunk["source"] == ev.source
            and _overlaps(chunk["start"], chunk["end"], ev.start, ev.end)
            for ev in item.evidence
        ):
            return rank
    return None


def _hit_at_k(item: GoldItem, record: Record) -> float | None:
    if not item.evidence:
        return None
    return 1.0 if _hit_rank(item, record) is not None else 0.0


def _mrr(item: GoldItem, record: Record) -> float | None:
    if not item.evidence:
        return None
    rank = _hit_rank(item, record)
    return 1.0 / rank if rank else 0.0


def _correct(item: GoldItem, record: Record) -> float | None:
    if not item.answerable:
        return None
    return 1.0 if is_correct(item, record) else 0.0


def _token_f1(item: GoldItem, record: Record) -> float | None:
    if not item.answerable:
        return None
    if not _answered(record):
        return 0.0
    return max(token_f1(record["answer"]["answer"], alias) for alias in item.answers)


def _completeness(item: GoldItem, record: Record) -> float | None:
    if not item.all_of:
        return None
    if not _answered(record):
        return 0.0
    text = record["answer"]["answer"]
    return sum(contains_alias(text, group) for group in item.all_of) / len(item.all_of)


def citation_validity_with(
    texts: Callable[[str], str | None],
) -> Callable[[GoldItem, Record], float | None]:
    """Share of citations whose quote is exactly the cited span of its source file."""

    def score(item: GoldItem, record: Record) -> float | None:
        citations = record["answer"]["citations"]
        if not citations:
            return None
        valid = 0
        for c in citations:
            text = texts(c["source"])
            valid += int(text is not None and text[c["start"] : c["end"]] == c["quote"])
        return valid / len(citations)

    return score


def _citation_precision(item: GoldItem, record: Record) -> float | None:
    citations = record["answer"]["citations"]
    if not item.evidence or not citations:
        return None
    good = sum(
        any(
            c["source"] == ev.source and _overlaps(c["start"], c["end"], ev.start, ev.end)
            for ev in item.evidence
        )
        for c in citations
    )
    return good / len(citations)


def _citation_recall(item: GoldItem, record: Record) -> float | None:
    if not item.evidence or item.kind == "multihop":
        return None
    citations = record["answer"]["citations"]
    found = sum(
        any(
            c["source"] == ev.source and _overlaps(c["start"], c["end"], ev.start, ev.end)
            for c in citations
        )
        for ev in item.evidence
    )
    return found / len(item.evidence)


def _abstention_recall(item: GoldItem, record: Record) -> float | None:
    if item.answerable:
        return None
    return 0.0 if _answered(record) else 1.0


def _false_abstention(item: GoldItem, record: Record) -> float | None:
    if not item.answerable:
        return None
    return 0.0 if _answered(record) else 1.0


def _conflict_detected(item: GoldItem, record: Record) -> float | None:
    if item.kind != "conflict":
        return None
    return 1.0 if record["answer"]["conflicts"] else 0.0


def _crag(item: GoldItem, record: Record) -> float | None:
    if is_correct(item, record):
        return 1.0
    return 0.0 if not _answered(record) else -1.0


def _latency(item: GoldItem, record: Record) -> float | None:
    return float(record["latency_s"])


def default_metrics(texts: Callable[[str], str | None]) -> list[Metric]:
    """The metric set `mss-qa eval` reports, in display order."""
    return [
        Metric("correct", _correct),
        Metric("token_f1", _token_f1),
        Metric("completeness", _completeness),
        Metric("abstention_recall", _abstention_recall),
        Metric("false_abstention", _false_abstention, higher_is_better=False),
        Metric("conflict_detection", _conflict_detected),
        Metric("crag", _crag),
        Metric("citation_validity", citation_validity_with(texts)),
        Metric("citation_precision", _citation_precision),
        Metric("citation_recall", _citation_recall),
        Metric("hit_at_k", _hit_at_k),
        Metric("mrr", _mrr),
        Metric("latency_s", _latency, higher_is_better=False),
    ]
