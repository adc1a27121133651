"""Pure parts of the answering stage: parsing claims and composing the answer."""

from __future__ import annotations

from mss_qa.answer import (
    AskedCount,
    CheckedClaim,
    asked_count,
    closer_figure,
    compose,
    find_disagreements,
    keep_clear_figures,
    locate_support,
    names_counted,
    operand_swaps,
    parse_claims,
)
from mss_qa.backends.llm import Message
from mss_qa.types import Chunk, Claim, Evidence, Span


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
    # An ambiguous calculation keeps its other reading for the checker; 1/2 is also "half".
    assert parse_claims("600 (600 + 200) [1]", 4) == [
        Claim("600", (1,), ("800 (600 + 200)",))]
    assert parse_claims("1/2 [1]", 4) == [Claim("1/2", (1,), ("half",))]


def test_the_figure_that_describes_what_is_asked_wins() -> None:
    question = "Roughly how many foreign security personnel were in Haiti once 217 joined?"
    assert asked_count(question) == AskedCount(frozenset({"foreign", "secur", "personnel"}),
                                               frozenset())
    assert asked_count("How many people were kidnapped in Haiti?") == AskedCount(
        frozenset({"peopl"}), frozenset({"kidnap"}))
    assert asked_count("Who leads the alliance?") is None
    kenyans = CheckedClaim(Claim("400", (1,)), (Span("a.txt", 0, 61, "bringing the total "
                           "number of Kenyan police officers to 400."),), 0.85)
    foreign = CheckedClaim(Claim("just under 800", (2,)), (Span("b.txt", 0, 76, "Their "
                           "presence boosts the number of foreign security personnel to just "
                           "under 800."),), 0.7)
    # Better supported, but about another thing: neither kept first nor reported as a conflict.
    assert keep_clear_figures(question, [kenyans, foreign], 0.8) == [foreign]
    # Without a "how many" thing to match, support decides.
    assert keep_clear_figures("What was the figure?", [kenyans, foreign], 0.9) == [kenyans]


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


class _AlwaysYes:
    """Stands in for the checker in a unit test of candidate selection only."""

    name = "always-yes"

    def __init__(self) -> None:
        self.checked: list[str] = []

    def yes_probability(self, messages: list[Message]) -> float:
        self.checked.append(messages[-1].content)
        return 0.9


def _evidence(source: str, text: str) -> Evidence:
    span = Span(source, 0, len(text), text)
    return Evidence(Chunk(f"{source}:0", source, 0, len(text), text, (span,)), 1.0, 1)


def test_disagreeing_figures_from_other_sources_are_found() -> None:
    kept = [_checked("more than 700,000", "a.txt", 0,
                     "The conflict has displaced more than 700,000 Haitians.")]
    evidence = [
        _evidence("a.txt", "The conflict has displaced more than 700,000 Haitians."),
        _evidence("b.txt", "The UN said 5,600 were killed and over 1 million Haitians are "
                           "now displaced by the conflict."),
        _evidence("c.txt", "Kenya sent 217 officers on Saturday."),
    ]
    checker = _AlwaysYes()
    found = find_disagreements("How many Haitians are displaced?", kept, evidence,
                               checker, 0.5)  # type: ignore[arg-type]
    # The figure described like the claim ("Haitians ... displaced") is checked, not the
    # number of people killed, nor an unrelated sentence; never the claim's own source.
    assert [f.claim.text for f in found] == ["over 1 million"]
    assert found[0].spans[0].source == "b.txt"
    assert len(checker.checked) == 1


def test_years_are_only_compared_with_years() -> None:
    kept = [_checked("June 2023", "a.txt", 0, "Since June 2023, Kenya has sent 600 officers.")]
    evidence = [_evidence("b.txt", "Kenya officers began deploying in June 2024, after 600 "
                                   "were promised.")]
    found = find_disagreements("When did Kenya begin deploying?", kept, evidence,
                               _AlwaysYes(), 0.5)  # type: ignore[arg-type]
    assert [f.claim.text for f in found] == ["June 2024"]


class _Prefers:
    """Stands in for the checker: a clear yes for one proposed answer, a weak one otherwise."""

    name = "prefers"

    def __init__(self, preferred: str) -> None:
        self.preferred = preferred
        self.checked: list[str] = []

    def yes_probability(self, messages: list[Message]) -> float:
        self.checked.append(messages[-1].content)
        return 0.95 if f"Proposed answer: {self.preferred}\n" in messages[-1].content else 0.6


def test_a_figure_described_like_the_question_replaces_a_neighbouring_one() -> None:
    joined = "The 217 Kenyan cops will join 400 of their compatriots already in Port-au-Prince."
    total = ("Their presence boosts the total number of foreign security personnel to just "
             "under 800.")
    question = ("Roughly how many foreign security personnel were in Haiti once the latest 217 "
                "Kenyans joined?")
    evidence = [_evidence("a.txt", joined), _evidence("a.txt", total)]
    claim = Claim("400", (1,))
    spans = evidence[0].chunk.sentences
    checker = _Prefers("just under 800")
    better, cited, support = closer_figure(claim, spans, question, evidence,
                                            checker, 0.6, 0.5)  # type: ignore[arg-type]
    assert (better.text, cited[0].text, support) == ("just under 800", total, 0.95)
    # Only the sentence that shares more of the question's words is checked, and never the
    # question's own figure (217).
    assert len(checker.checked) == 1
    # It names what the question counts, so an accepted judgement is enough ...
    accepted = closer_figure(claim, spans, question, evidence, _Prefers("400"),
                             0.95, 0.5)  # type: ignore[arg-type]
    assert accepted[0].text == "just under 800"
    # ... but when the question names no counted thing, a clearly better one is needed.
    vague = "Roughly how many were in Haiti once the latest 217 Kenyans joined the others?"
    same = closer_figure(claim, spans, vague, evidence, _Prefers("400"),
                         0.95, 0.5)  # type: ignore[arg-type]
    assert same == (claim, spans, 0.95)


def test_a_speaker_named_before_a_quote_is_cited_with_the_quote() -> None:
    document = ("President William Ruto said the team has intensified patrols. “Officers patrol "
                "the cities. Order has been restored in several towns,” he said in a post.")
    speaker_end = document.index(" “")
    quote_start = document.index("Order")
    speaker = Span("a.txt", 0, speaker_end, document[:speaker_end])
    quote = Span("a.txt", quote_start, len(document), document[quote_start:])
    # As retrieval hands it over: the chunk opens with the quote, the speaker put before it.
    chunk = Chunk("a.txt:1", "a.txt", quote_start, len(document), quote.text, (speaker, quote))
    spans = locate_support(Claim("William Ruto", (1,)), "Who posted that order was restored?",
                           [Evidence(chunk, 1.0, 1)], lambda _: document)
    assert spans == (speaker, quote)


def test_a_sum_takes_the_operands_that_count_what_is_asked() -> None:
    first = "Nearly 438 people were kidnapped in the first three months of the year."
    second = ("Between April and June, over 1,379 people were killed or injured, and 428 were "
              "kidnapped.")
    question = "How many people were kidnapped in the first half of the year?"
    spans = (Span("a.txt", 0, len(first), first), Span("b.txt", 0, len(second), second))
    wrong = CheckedClaim(Claim("1,817 (438 + 1,379)", (1, 2)), spans, 0.74)
    # 1,379 were killed or injured: the figure of its sentence that was kidnapped replaces it.
    assert operand_swaps(question, wrong) == ["866 (438 + 428)"]
    right = CheckedClaim(Claim("866 (438 + 428)", (1, 2)), spans, 0.71)
    assert operand_swaps(question, right) == []
    # A figure that is no sum has no operands to swap.
    assert operand_swaps(question, CheckedClaim(Claim("428", (2,)), spans[1:], 0.9)) == []
    # Of two figures, the one whose clause says what is asked wins over better support.
    assert keep_clear_figures(question, [wrong, right], 0.8) == [right]


def test_a_figure_with_a_scale_word_is_found_in_its_clause() -> None:
    quote = ("The U.N. said 5,600 people were killed last year, and over 1 million Haitians "
             "are now displaced.")
    item = CheckedClaim(Claim("over 1 million", (1,)), (Span("a.txt", 0, len(quote), quote),),
                        0.9)
    assert names_counted("How many Haitians have been displaced?", item)
    assert not names_counted("How many people were killed?", item)
