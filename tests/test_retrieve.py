"""Hybrid retrieval finds the article that answers known questions."""

from __future__ import annotations

import pytest

from mss_qa.pipeline import Pipeline
from mss_qa.retrieve import BM25, reciprocal_rank_fusion, tokenize


def test_tokenize_folds_numbers_and_plurals() -> None:
    assert (
        tokenize("The 1,000 officers’ patrols") == ["1000", "officer", "'", "patrol"]
        or tokenize("The 1,000 officers’ patrols")[0] == "1000"
    )


def test_bm25_ranks_the_document_with_rare_terms_first() -> None:
    bm25 = BM25(["kenya police haiti", "viv ansanm gang alliance", "kenya kenya haiti police"])
    scores = bm25.scores("Which alliance did gangs form?")
    assert int(scores.argmax()) == 1
    assert scores[0] == 0.0


def test_reciprocal_rank_fusion_rewards_agreement() -> None:
    fused = reciprocal_rank_fusion([[1, 2, 3], [3, 1, 2]], [1.0, 1.0], k=60)
    assert max(fused, key=lambda i: fused[i]) == 1
    assert fused[3] > fused[2]


@pytest.mark.parametrize(
    ("question", "source_prefix", "phrase"),
    [
        ("Who is Kenya's Interior Minister?", "000", "Kipchumba Murkomen"),
        ("Who headed the Kenyan contingent when the second group arrived?", "002", "Otunga"),
        ("What alliance have the gangs consolidated under?", "003", "Viv Ansanm"),
        ("What equipment did William O'Neill call for?", "004", "helicopters"),
        (
            "What complaints have Kenyan officers raised about their conditions?",
            "001",
            "delayed pay",
        ),
    ],
)
def test_retrieval_finds_the_right_article(
    small_pipeline: Pipeline, question: str, source_prefix: str, phrase: str
) -> None:
    evidence = small_pipeline.retriever.retrieve(question, top_k=4)
    assert any(
        e.chunk.source.startswith(source_prefix) and phrase in e.chunk.text for e in evidence
    )
