"""The gold set is valid, and bad gold files are rejected before any model runs."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from mss_qa.eval.dataset import KINDS, GoldFileError, load_gold
from mss_qa.settings import ROOT
from tests.conftest import SEEDS

GOLD = ROOT / "eval" / "gold.jsonl"


@pytest.fixture(scope="module")
def sources() -> dict[str, str]:
    return {p.name: p.read_bytes().decode("utf-8") for p in SEEDS.glob("*.txt")}

NATURAL = ROOT / "eval" / "natural.jsonl"


def test_gold_set_is_valid_and_covers_every_kind(sources: dict[str, str]) -> None:
    items = load_gold(GOLD, sources)
    assert len(items) >= 80
    assert len({i.id for i in items}) == len(items)
    counts = Counter(i.kind for i in items)
    assert set(counts) == set(KINDS)
    assert min(counts.values()) >= 5
    for item in items:
        for ev in item.evidence:
            assert sources[ev.source][ev.start : ev.end] == ev.quote
        assert item.answerable == (item.kind != "unanswerable")


def test_the_plainly_worded_set_is_valid_and_new(sources: dict[str, str]) -> None:
    items = load_gold(NATURAL, sources)
    assert len(items) == 94
    assert sum(not i.answerable for i in items) == 38
    gold_questions = {i.question for i in load_gold(GOLD, sources)}
    assert not gold_questions & {i.question for i in items}
    assert not {i.id for i in load_gold(GOLD, sources)} & {i.id for i in items}
    for item in items:
        for ev in item.evidence:
            assert sources[ev.source][ev.start : ev.end] == ev.quote


def _write(tmp_path: Path, *rows: object) -> Path:
    path = tmp_path / "gold.jsonl"
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n")
    return path


GOOD = {
    "id": "q1",
    "kind": "factoid",
    "question": "Who?",
    "answers": ["Murkomen"],
    "evidence": [{"source": "000", "quote": "Kipchumba Murkomen"}],
}


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("{not json", "not valid JSON"),
        ({**GOOD, "id": "q2", "question": ""}, "'question' must be a non-empty string"),
        (
            {k: v for k, v in GOOD.items() if k != "answers"} | {"id": "q2"},
            "missing field 'answers'",
        ),
        ({**GOOD, "id": "q2", "kind": "trivia"}, "unknown kind"),
        (
            {**GOOD, "id": "q2", "evidence": [{"source": "nope.txt", "quote": "x"}]},
            "unknown source",
        ),
        (
            {**GOOD, "id": "q2", "evidence": [{"source": "000", "quote": "Kipchumba Murkomem"}]},
            "not verbatim",
        ),
        ({**GOOD}, "duplicate id"),
        ({**GOOD, "id": "q2", "answers": "Murkomen"}, "list of non-empty strings"),
        ({**GOOD, "id": "q2", "all_of": None}, "'all_of' must be a list of lists"),
        ("[" * 100_000 + "]" * 100_000, "not valid JSON (nested too deeply)"),
        # Over the question limit: refused now, not after the models have loaded.
        ({**GOOD, "id": "q2", "question": "Who? " * 500}, "the limit is 2000"),
    ],
)
def test_bad_gold_lines_are_rejected_with_line_and_reason(
    tmp_path: Path, sources: dict[str, str], bad: object, reason: str
) -> None:
    path = _write(tmp_path, GOOD, bad)
    with pytest.raises(GoldFileError) as info:
        load_gold(path, sources, max_question_chars=2000)
    assert f"{path}:2:" in str(info.value)
    assert reason in str(info.value)


def test_source_may_be_given_by_unique_prefix(tmp_path: Path, sources: dict[str, str]) -> None:
    items = load_gold(_write(tmp_path, GOOD), sources)
    assert items[0].evidence[0].source == "000_1c04390025212d6a.txt"
