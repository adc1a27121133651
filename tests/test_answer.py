"""Pure parts of the answering stage: parsing claims and composing the answer."""

from __future__ import annotations

from mss_qa.answer import CheckedClaim, compose, parse_claims
from mss_qa.types import Claim, Span


def test_parse_claims_reads_items_and_refusals() -> None:
    assert parse_claims("Kipchumba Murkomen [2]", 4) == [Claim("Kipchumba Murkomen", (2,))]
    assert parse_claims("700,000 [1]; more than one million [3]", 4) == [
        Claim("700,000", (1,)),
        Claim("more than one million", (3,)),
    ]
    assert parse_claims("617 (400 + 217) [2][3]", 4) == [Claim("617 (400 + 217)", (2, 3))]
    assert parse_claims("NONE", 4) == []
    assert parse_claims("  none.", 4) == []
    assert parse_claims("Murkomen", 4) == [Claim("Murkomen", ())]  # the verifier finds it
    assert parse_claims("Someone [9]", 4) == []  # cites a passage that was not shown


def _checked(text: str, source: str, start: int, quote: str) -> CheckedClaim:
    return CheckedClaim(Claim(text, (1,)), (Span(source, start, start + len(quote), quote),), 0.9)


def test_compose_states_a_conflict_and_cites_both_sources() -> None:
    answer = compose(
        "How many people are displaced?",
        [
            _checked("more than 700,000", "a.txt", 10, "displaced more than 700,000 Haitians"),
            _checked("over 1 million", "b.txt", 50, "over 1 million Haitians are now displaced"),
        ],
    )
    assert answer.status == "answered"
    assert answer.answer.startswith("The sources disagree")
    assert "[1]" in answer.answer and "[2]" in answer.answer
    assert len(answer.conflicts) == 1
    assert [c.citation for c in answer.conflicts[0].claims] == [1, 2]
    assert [c.source for c in answer.citations] == ["a.txt", "b.txt"]


def test_compose_merges_the_same_fact_from_two_sources() -> None:
    answer = compose(
        "Who is the minister?",
        [
            _checked("Kipchumba Murkomen", "a.txt", 0, "Minister Kipchumba Murkomen spoke"),
            _checked("Murkomen", "b.txt", 5, "Murkomen said"),
        ],
    )
    assert answer.answer == "Kipchumba Murkomen [1][2]"
    assert not answer.conflicts


def test_same_number_in_two_sources_is_not_a_conflict() -> None:
    answer = compose(
        "How many officers did Kenya promise?",
        [
            _checked("1,000", "a.txt", 0, "a total of 1,000 officers"),
            _checked("1,000 officers", "b.txt", 0, "promised 1,000 police officers"),
        ],
    )
    assert not answer.conflicts
