"""Conversations as people type them: follow-ups and questions of several parts, read by the
rules of `followup.py` and `compound.py` the way the API and the UI read them.

`eval/conversations.jsonl` holds each case with the readings a careful reader accepts:
a follow-up's standalone question (or "REFUSE" where nothing can say what it refers to),
a question's parts. Compared without regard to capitals or a closing "?" or ".". The rules
are not perfect: the test fails when more cases are read wrongly than at the last count.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mss_qa.apps.service import QAService
from mss_qa.compound import split_compound
from mss_qa.followup import asks_nothing, unresolved_reference
from mss_qa.pipeline import Pipeline

CONVERSATIONS = Path(__file__).resolve().parents[1] / "eval" / "conversations.jsonl"
REFUSE = "REFUSE"
# Cases read wrongly at the last count (2026-11-27): lower these as the rules improve.
MAX_WRONG = {"follow-up": 19, "several": 0}


def _cases(kind: str) -> list[dict[str, object]]:
    rows = [json.loads(line) for line in CONVERSATIONS.read_text(encoding="utf-8").splitlines()]
    return [row for row in rows if row["kind"] == kind]


def _norm(text: str) -> str:
    return " ".join(text.replace("’", "'").split()).rstrip(" ?.").lower()


def _reading(service: QAService, history: list[str], question: str) -> str:
    turns = [{"role": "user" if i % 2 == 0 else "assistant", "content": text}
             for i, text in enumerate(history)]
    completed = service.standalone(question, turns)
    if len(split_compound(completed)) == 1 and (
            unresolved_reference(completed) is not None or asks_nothing(completed)):
        return REFUSE
    return completed


@pytest.fixture(scope="module")
def service(small_pipeline: Pipeline) -> QAService:
    service = QAService(small_pipeline)
    service.load()
    return service


def test_the_conversation_set_is_well_formed() -> None:
    follow_ups, several = _cases("follow-up"), _cases("several")
    assert len(follow_ups) >= 300 and len(several) >= 100
    ids = [row["id"] for row in follow_ups + several]
    assert len(ids) == len(set(ids))
    for row in follow_ups:
        assert isinstance(row["history"], list) and len(row["history"]) % 2 == 0
        assert row["accept"] and all(isinstance(a, str) for a in row["accept"])
    for row in several:
        assert row["accept"] and all(isinstance(parts, list) for parts in row["accept"])


def test_follow_ups_are_read_as_people_mean_them(service: QAService) -> None:
    wrong = []
    for row in _cases("follow-up"):
        reading = _reading(service, row["history"], row["question"])  # type: ignore[arg-type]
        if _norm(reading) not in {_norm(a) for a in row["accept"]}:  # type: ignore[union-attr]
            wrong.append(f"{row['id']}: {row['question']!r} -> {reading!r}")
    assert len(wrong) <= MAX_WRONG["follow-up"], "\n".join(wrong)


def test_questions_of_several_parts_are_split_as_people_mean_them() -> None:
    wrong = []
    for row in _cases("several"):
        parts = split_compound(row["question"])  # type: ignore[arg-type]
        if [_norm(p) for p in parts] not in [[_norm(p) for p in accepted]
                                             for accepted in row["accept"]]:  # type: ignore[union-attr]
            wrong.append(f"{row['id']}: {row['question']!r} -> {parts!r}")
    assert len(wrong) <= MAX_WRONG["several"], "\n".join(wrong)
