"""Each eval metric is a pure function with a known answer on hand-made records."""

from __future__ import annotations

from typing import Any

from mss_qa.eval.dataset import GoldEvidence, GoldItem
from mss_qa.eval.metrics import contains_alias, default_metrics, is_correct, normalize, token_f1

TEXT = "Kenya’s Interior Minister Kipchumba Murkomen spoke. Over 700,000 people are displaced."
EVIDENCE = (GoldEvidence("a.txt", "Kipchumba Murkomen", 26, 44),)
ITEM = GoldItem(
    "f1", "factoid", "Who is the minister?", ("Kipchumba Murkomen", "Murkomen"), (), EVIDENCE
)
UNANSWERABLE = GoldItem("u1", "unanswerable", "Population of Kenya?", (), (), ())
CONFLICT = GoldItem(
    "c1",
    "conflict",
    "How many displaced?",
    ("700,000", "1 million"),
    (("700,000",), ("1 million", "one million")),
    (GoldEvidence("a.txt", "700,000", 57, 64),),
)


def record(
    status: str,
    answer: str,
    citations: list[dict[str, Any]] | None = None,
    conflicts: list[Any] | None = None,
    retrieved: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "answer": {
            "status": status,
            "answer": answer,
            "citations": citations or [],
            "conflicts": conflicts or [],
            "retrieved": retrieved or [],
        },
        "latency_s": 1.5,
    }


def scores(item: GoldItem, rec: dict[str, Any]) -> dict[str, float | None]:
    texts = {"a.txt": TEXT}
    return {m.name: m.score(item, rec) for m in default_metrics(texts.get)}


def test_normalize_folds_case_accents_quotes_and_separators() -> None:
    assert normalize("Jovenel MOÏSE’s 1,000 [2]") == "jovenel moise's 1000"
    assert contains_alias("about 1000 officers [1]", ("1,000",))
    assert not contains_alias("800 officers", ("8",))
    assert contains_alias("Fils‑Aime", ("Fils-Aime",))
    assert contains_alias("October 2nd, 2024 [1]", ("October 2",))


def test_token_f1() -> None:
    assert token_f1("Kipchumba Murkomen", "Kipchumba Murkomen") == 1.0
    assert token_f1("Murkomen", "Kipchumba Murkomen") == 2 / 3
    assert token_f1("nobody", "Kipchumba Murkomen") == 0.0


def test_correct_answer_with_a_valid_precise_citation() -> None:
    cite = {"n": 1, "source": "a.txt", "start": 26, "end": 44, "quote": "Kipchumba Murkomen"}
    s = scores(
        ITEM,
        record(
            "answered",
            "Kipchumba Murkomen [1]",
            [cite],
            retrieved=[{"source": "a.txt", "start": 0, "end": 50}],
        ),
    )
    assert s["correct"] == 1.0 and s["crag"] == 1.0 and s["false_abstention"] == 0.0
    assert s["citation_validity"] == 1.0
    assert s["citation_precision"] == 1.0 and s["citation_recall"] == 1.0
    assert s["hit_at_k"] == 1.0 and s["mrr"] == 1.0
    assert s["abstention_recall"] is None


def test_wrong_answer_and_altered_quote_score_badly() -> None:
    cite = {"n": 1, "source": "a.txt", "start": 26, "end": 44, "quote": "Kipchumba Murkomem"}
    s = scores(
        ITEM,
        record(
            "answered",
            "William Ruto [1]",
            [cite],
            retrieved=[
                {"source": "b.txt", "start": 0, "end": 9},
                {"source": "a.txt", "start": 20, "end": 30},
            ],
        ),
    )
    assert s["correct"] == 0.0 and s["crag"] == -1.0
    assert s["citation_validity"] == 0.0
    assert s["mrr"] == 0.5


def test_refusals() -> None:
    assert (
        scores(UNANSWERABLE, record("insufficient", "The sources don't say."))["abstention_recall"]
        == 1.0
    )
    assert scores(UNANSWERABLE, record("answered", "50 million [1]"))["crag"] == -1.0
    refused = scores(ITEM, record("insufficient", "The sources don't say."))
    assert refused["false_abstention"] == 1.0 and refused["crag"] == 0.0


def test_a_calculation_is_judged_by_its_result_not_by_its_working() -> None:
    item = GoldItem("m1", "multihop", "How many more must come?", ("600",), (), EVIDENCE)
    assert is_correct(item, record("answered", "600 (1,000 - 400) [1]"))
    assert not is_correct(item, record("answered", "400 (600 - 200) [1]"))
    # A figure in brackets that is no calculation still counts.
    assert is_correct(item, record("answered", "the rest (600) [1]"))


def test_conflict_needs_both_figures() -> None:
    both = record(
        "answered",
        "The sources disagree: 700,000 [1]; over one million [2].",
        conflicts=[{"topic": "x", "claims": []}],
    )
    assert is_correct(CONFLICT, both)
    assert scores(CONFLICT, both)["conflict_detection"] == 1.0
    one = record("answered", "700,000 [1]")
    assert not is_correct(CONFLICT, one)
    assert scores(CONFLICT, one)["completeness"] == 0.5
