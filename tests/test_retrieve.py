"""Hybrid retrieval finds the article that answers known questions."""

from __future__ import annotations

import json

import pytest

from mss_qa.answer import distinct_passages, passages_block
from mss_qa.backends.embedders import Embedder, Vectors
from mss_qa.pipeline import Pipeline
from mss_qa.retrieve import (
    BM25,
    HybridRetriever,
    WordNeighbours,
    idiom_terms,
    reciprocal_rank_fusion,
    split_scope,
    tokenize,
    vocabulary,
)
from mss_qa.settings import ROOT


def test_tokenize_folds_numbers_and_plurals() -> None:
    assert (
        tokenize("The 1,000 officers’ patrols") == ["1000", "officer", "'", "patrol"]
        or tokenize("The 1,000 officers’ patrols")[0] == "1000"
    )


def test_the_s_of_a_possessive_in_a_question_matches_nothing() -> None:
    bm25 = BM25(["the country's leaders met", "Kenya sent a plan", "rain fell"])
    scores = bm25.scores("Kenya's plan")
    assert scores[0] == 0.0 and scores[1] > 0


def test_who_holds_a_countrys_title_finds_the_holder(small_pipeline: Pipeline) -> None:
    evidence = small_pipeline.retriever.retrieve("Who is Kenya's president?", top_k=4)
    assert any("President William Ruto" in e.chunk.text for e in evidence)


def test_bm25_ranks_the_document_with_rare_terms_first() -> None:
    bm25 = BM25(["kenya police haiti", "viv ansanm gang alliance", "kenya kenya haiti police"])
    scores = bm25.scores("Which alliance did gangs form?")
    assert int(scores.argmax()) == 1
    assert scores[0] == 0.0


def test_bm25_counts_stand_in_terms_at_their_weight() -> None:
    bm25 = BM25(["kenya police haiti", "viv ansanm gang alliance", "kenya kenya haiti police"])
    plain = bm25.scores("Which coalition did gangs form?")
    helped = bm25.scores("Which coalition did gangs form?", {"allianc": 0.6})
    assert helped[1] > plain[1] > 0 and helped[0] == plain[0] == 0.0
    # A term the question already has keeps its full weight.
    assert bm25.scores("gang alliance", {"allianc": 0.1})[1] == bm25.scores("gang alliance")[1]


@pytest.mark.parametrize(
    ("question", "words"),
    [
        ("How many people live in Haiti?", {"popul", "inhabit", "resid"}),
        ("How old is the commander?", {"age"}),
        ("How much did the new base cost?", {"cost", "price", "budget", "fund"}),
        ("How many people were displaced?", set()),
        ("How far did they travel?", {"distanc"}),
    ],
)
def test_some_ways_of_asking_bring_the_words_their_answers_use(
    question: str, words: set[str]
) -> None:
    assert set(idiom_terms(question)) == words


def test_a_word_the_collection_never_uses_finds_its_nearest_words(embedder: Embedder) -> None:
    texts = ["The gangs consolidated under an alliance.", "Drones watch the roads.",
             "Officers were paid late."]
    words = vocabulary(texts)
    assert words == ["alliance", "consolidated", "drones", "gangs", "late", "officers",
                     "paid", "roads", "watch"]
    neighbours = WordNeighbours(words, embedder.embed(words), min_similarity=0.55, per_word=3)
    assert "allianc" in neighbours.terms(embedder.embed(["coalition"]))
    assert "drone" in neighbours.terms(embedder.embed(["unmanned"]))
    # A word in too many of the texts is no stand-in.
    assert vocabulary(["alpha beta", "alpha beta", "alpha beta", "beta gamma"],
                      max_share=0.5, min_limit=1) == ["gamma"]
    # Below the similarity bar nothing stands in.
    assert neighbours.terms(embedder.embed(["xylophone"])) == {}
    assert WordNeighbours(words, embedder.embed(words), 0.55, per_word=0).terms(
        embedder.embed(["coalition"])) == {}


@pytest.mark.parametrize(
    ("question", "unknown"),
    [
        ("Under what name have Haiti's armed groups joined forces in a single coalition?",
         ["name", "single", "coalition"]),
        # A capitalised word after the first is a name: an unknown one stays unknown.
        ("What did Joe Biden say about the coalition?", ["coalition"]),
        ("Coalition name?", ["coalition", "name"]),
        ("Who is Kenya's Interior Minister?", []),
    ],
)
def test_unknown_words_are_the_question_words_no_chunk_uses(
    small_pipeline: Pipeline, question: str, unknown: list[str]
) -> None:
    assert small_pipeline.retriever.unknown_words(question) == unknown


@pytest.mark.parametrize(
    ("question", "phrase"),
    [
        # "coalition" is in no source: "alliance" stands in for it.
        ("Under what name have Haiti's armed groups joined forces in a single coalition?",
         "Viv Ansanm"),
        # "roughly" for "estimated".
        ("Roughly what share of Haiti's capital city is held by criminal groups?",
         "80% of Port-au-Prince"),
        # Asked as "live in", written as "a population of".
        ("How many people live in Haiti?", "population of over 11 million"),
    ],
)
def test_a_question_worded_unlike_its_source_still_finds_it(
    small_pipeline: Pipeline, question: str, phrase: str
) -> None:
    evidence = small_pipeline.retriever.retrieve(question, top_k=4)
    assert any(phrase in e.chunk.text for e in evidence)


class _Counting:
    """The real embedder, keeping the texts it is given."""

    def __init__(self, embedder: Embedder) -> None:
        self.inner, self.name = embedder, embedder.name
        self.calls: list[list[str]] = []

    def embed(self, texts: list[str]) -> Vectors:
        self.calls.append(list(texts))
        return self.inner.embed(texts)


def test_unknown_words_are_embedded_apart_and_once(
    small_pipeline: Pipeline, embedder: Embedder
) -> None:
    counting = _Counting(embedder)
    retriever = HybridRetriever(small_pipeline.index.chunks, small_pipeline.index.store,
                                counting, neighbours=small_pipeline.word_neighbours)
    question = "Under what name have Haiti's armed groups joined forces in a single coalition?"
    first = retriever.retrieve(question, top_k=4)
    assert counting.calls == [["name", "single", "coalition"], [question]]
    assert [e.chunk.id for e in retriever.retrieve(question, top_k=4)] == [
        e.chunk.id for e in first]
    assert counting.calls[2:] == [[question]]


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


@pytest.mark.parametrize(
    ("question", "asked", "described"),
    [
        ("What is Haiti's population according to the article on President Ruto's visit?",
         "What is Haiti's population?", "President Ruto's visit"),
        ("How many were kidnapped, according to the report about the second contingent?",
         "How many were kidnapped?", "the second contingent"),
        ("In the story covering the airport arrival, who met the officers?",
         "who met the officers?", "the airport arrival"),
        ("Who is Kenya's Interior Minister?", "Who is Kenya's Interior Minister?", None),
        # "the article" without a description names no source.
        ("What does the article say about drones?", "What does the article say about drones?",
         None),
    ],
)
def test_a_question_that_names_its_source_is_split(
    question: str, asked: str, described: str | None
) -> None:
    assert split_scope(question) == (asked, described)


def test_a_question_that_names_its_source_is_answered_from_that_file(
    small_pipeline: Pipeline,
) -> None:
    retriever = small_pipeline.retriever
    # Scoped to the article on Ruto's visit (004): the sentence that states the population
    # comes first and every passage is from that article.
    question = "What is Haiti's population according to the article on President Ruto's visit?"
    assert retriever.source_about("President Ruto's visit").startswith("004")
    evidence = retriever.retrieve(question, top_k=4)
    assert "population of over 11 million" in evidence[0].chunk.text
    assert {e.chunk.source[:3] for e in evidence} == {"004"}


def test_a_passage_that_opens_with_he_said_names_the_speaker(small_pipeline: Pipeline) -> None:
    question = "Who posted on social media that order had been restored in several towns?"
    evidence = small_pipeline.retriever.retrieve(question, top_k=4)
    quoted = next(e.chunk for e in evidence
                  if e.chunk.text.startswith("Order has been restored in several towns"))
    # The quote ends "…,” he said in a post"; the sentence naming the speaker comes first.
    assert quoted.sentences[0].text.startswith("President William Ruto said")
    document = small_pipeline.source_text(quoted.source)
    assert all(document[s.start:s.end] == s.text for s in quoted.sentences)
    # Chunks that open with their own subject are left as they are.
    plain = small_pipeline.retriever.retrieve("Who is Kenya's Interior Minister?", top_k=1)
    assert plain[0].chunk.sentences[0].start >= plain[0].chunk.start


def test_a_passage_that_refers_back_comes_with_the_sentence_before(
        small_pipeline: Pipeline) -> None:
    question = "Which officials were present to receive the second Kenyan contingent?"
    evidence = small_pipeline.retriever.retrieve(question, top_k=4)
    also = next(e.chunk for e in evidence if e.chunk.text.startswith("General Godfrey Otunga"))
    # "... was also present": the officials it joins are named in the sentence before.
    assert "Rameau Normil" in also.sentences[0].text
    assert also.sentences[0].end <= also.start
    document = small_pipeline.source_text(also.source)
    assert all(document[s.start:s.end] == s.text for s in also.sentences)


def test_the_generator_sees_each_retrieved_sentence_once(small_pipeline: Pipeline) -> None:
    """A chunk retrieved with the sentence before it repeats that sentence when its own
    chunk ranks higher: the passages show it once, and a chunk with nothing new is left
    out, so the generator reads fewer tokens and cites one place for one sentence."""
    gold = [json.loads(line) for line in (ROOT / "eval" / "gold.jsonl").open()]
    repeated = 0
    for item in gold:
        evidence = small_pipeline.retriever.retrieve(item["question"], top_k=4)
        distinct = distinct_passages(evidence)
        block = passages_block(distinct)
        retrieved = {(s.source, s.start): s.text for e in evidence for s in e.chunk.sentences}
        shown = [" ".join(text.split()) for text in retrieved.values()]
        assert all(block.count(text) == 1 for text in shown), item["id"]
        assert block.count("\n") == len(distinct) - 1
        repeated += len(distinct) < len(evidence)
        # A passage left out held nothing the others do not show.
        assert all(" ".join(s.text.split()) in block
                   for e in evidence if e not in distinct for s in e.chunk.sentences)
    assert repeated >= 1  # the seeds do retrieve such pairs (the second contingent's welcome)
