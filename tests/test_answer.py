"""Pure parts of the answering stage: parsing claims and composing the answer."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from mss_qa.answer import (
    AskedCount,
    CheckedClaim,
    answer,
    asked_count,
    closer_figure,
    closest_passages,
    compose,
    counted_words,
    counts_something_else,
    find_disagreements,
    keep_clear_figures,
    locate_support,
    names_counted,
    operand_swaps,
    parse_claims,
    with_counted_thing,
)
from mss_qa.backends.llm import Message
from mss_qa.chunk import chunk_document
from mss_qa.types import Chunk, Claim, Document, Evidence, Span


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
                                               frozenset(), "foreign security personnel")
    assert asked_count("How many people were kidnapped in Haiti?") == AskedCount(
        frozenset({"peopl"}), frozenset({"kidnap"}), "people")
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


def test_the_word_a_way_of_asking_is_answered_with_says_what_is_counted() -> None:
    """"How many people live in Haiti?" had been answered "over 5,600 lives": its clause
    shares "live" with the question, "a population of over 11 million" no word."""
    question = "How many people live in Haiti"
    population = _checked("11 million", "a.txt", 0, "only about 5,000 Haitian police officers "
                          "available to protect a population of over 11 million.")
    lives = _checked("over 5,600", "b.txt", 0, "severe gang violence, which claimed over 5,600 "
                     "lives in 2023 alone.")
    assert names_counted(question, population)
    assert keep_clear_figures(question, [population, lives], 0.8)[0] == population


def test_a_figure_is_no_rival_to_one_its_own_text_states_or_when_it_is_an_addition() -> None:
    """Found by asking the seed articles "How many officers has Kenya promised?": the
    promised 1,000 was reported as disagreeing with 600, cited from "600 more police
    officers" and from a sentence that names the total of 1,000 itself."""
    question = "How many officers has Kenya promised?"
    promised = CheckedClaim(Claim("1,000", (1,)), (Span("a.txt", 0, 61, "Kenya promised "
                            "1,000 police officers as part of its offer."),), 0.98)
    more = CheckedClaim(Claim("600", (2,)), (Span("b.txt", 0, 52, "Kenya plans to deploy "
                        "600 more police officers to Haiti."),), 0.91)
    both = CheckedClaim(Claim("600", (3,)), (Span("c.txt", 0, 80, "Kenya has sent over 600 "
                        "officers, with plans to eventually deploy a total of 1,000."),), 0.93)
    assert keep_clear_figures(question, [promised, more, both], 0.8) == [promised]
    # Asked for the addition, it is one.
    asked_more = "How many more officers will Kenya send?"
    assert keep_clear_figures(asked_more, [promised, more], 0.8) == [promised, more]
    # A rival stated as a total still is one.
    other = CheckedClaim(Claim("800", (4,)), (Span("d.txt", 0, 40, "Kenya promised 800 police "
                         "officers."),), 0.9)
    assert keep_clear_figures(question, [promised, other], 0.8) == [promised, other]


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
                               checker, 0.5, _documents(evidence))  # type: ignore[arg-type]
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
                               _AlwaysYes(), 0.5, _documents(evidence))  # type: ignore[arg-type]
    assert [f.claim.text for f in found] == ["June 2024"]


def test_a_share_or_a_day_is_not_compared_with_a_count() -> None:
    """A death toll is not checked against the share of a city the gangs hold, nor a day of
    the month against a number of officers: each such check cost a reading of the sentence
    and could only end in a false conflict. (Sentences from the seed articles.)"""
    share = ("Haiti has been plagued by gang violence, with an estimated 80% of Port-au-Prince "
             "under gang control since the 2021 assassination of President Jovenel Moïse.")
    toll = [_checked("5,600", "a.txt", 0, "Haiti has been grappling with severe gang violence, "
                     "which claimed over 5,600 lives in 2023 alone, according to the United "
                     "Nations.")]
    evidence = [_evidence("b.txt", share)]
    checker = _AlwaysYes()
    assert find_disagreements(
        "According to the United Nations, how many people were killed by gang violence in "
        "Haiti in a single year?", toll, evidence, checker, 0.5,
        _documents(evidence)) == []  # type: ignore[arg-type]
    landed = [_checked("January 18", "a.txt", 0, "It was his first comment since the new team "
                       "of 217 officers landed in Haiti on January 18.")]
    evidence = [_evidence("b.txt", "These new arrivals will join the 200 Kenyan police "
                                   "officers already there for approximately two weeks, "
                                   "bringing the total number of Kenyan police officers "
                                   "deployed in Haiti to 400.")]
    assert find_disagreements(
        "On what date did the new team of 217 Kenyan officers land in Haiti?", landed,
        evidence, checker, 0.5, _documents(evidence)) == []  # type: ignore[arg-type]
    assert checker.checked == []
    # A share is still compared with a share.
    evidence = [_evidence("b.txt", share.replace("80%", "90%"))]
    found = find_disagreements("What share of Port-au-Prince do gangs control?",
                               [_checked("80%", "a.txt", 0, "Gangs control 80% of the "
                                         "capital, Port-au-Prince.")], evidence, checker, 0.5,
                               _documents(evidence))  # type: ignore[arg-type]
    assert [f.claim.text for f in found] == ["90%"]


def test_an_addition_or_a_sentence_stating_the_claim_too_is_no_disagreement() -> None:
    """And the next-best figure is not tried instead: it is described worse still (here "200
    police officers had left Kenya", which the checker passed as a number promised)."""
    question = "How many officers has Kenya promised?"
    kept = [_checked("1,000", "a.txt", 0, "Kenya promised 1,000 police officers.")]
    for sentence in ("Kenya has announced plans to deploy 600 more police officers to Haiti.",
                     "Kenya has sent over 600 officers, with plans to deploy a total of 1,000."):
        evidence = [_evidence("b.txt", sentence),
                    _evidence("c.txt", "A police official confirmed that 200 officers had "
                                       "left.")]
        checker = _AlwaysYes()
        assert find_disagreements(question, kept, evidence, checker, 0.5,
                                  _documents(evidence)) == [], sentence  # type: ignore[arg-type]
        assert checker.checked == []
    # A total from another source is still reported.
    evidence = [_evidence("b.txt", "Kenya has promised 800 police officers to the mission.")]
    found = find_disagreements(question, kept, evidence, _AlwaysYes(), 0.5,
                               _documents(evidence))  # type: ignore[arg-type]
    assert [f.claim.text for f in found] == ["800"]


def test_a_figure_that_counts_something_else_is_no_disagreement() -> None:
    """Found by asking the seed articles: the size of the police force was reported as
    disagreeing with the number of cadets trained, Kenya's officers with Haiti's, and the
    countries that pledged troops with the troops. (Sentences from the seed articles.)"""
    police = ("However, the challenges remain immense, with only about 5,000 Haitian police "
              "officers available to protect a population of over 11 million.")
    kenyans = "There are now 600 Kenya police officers in Haiti, and 200 more will join them."
    pledged = "While over 10 countries have pledged to send troops, the deployment has been slow."
    cases = [
        ("How many cadets were trained at the Haitian police school?",
         _checked("747", "a.txt", 0, "The Haitian police school trained 747 cadets in a "
                  "four-month programme."), police),
        ("How many Haitian police officers are there?",
         _checked("5,000", "a.txt", 0, police), kenyans),
        ("How many troops were pledged by ten countries?",
         _checked("3,100", "a.txt", 0, "Only a handful of the more than 3,100 troops pledged "
                  "by 10 countries have been deployed."), pledged),
    ]
    for question, claim, other in cases:
        evidence = [_evidence("b.txt", other)]
        checker = _AlwaysYes()
        assert find_disagreements(question, [claim], evidence, checker, 0.5,
                                  _documents(evidence)) == [], question  # type: ignore[arg-type]
        assert checker.checked == []
    # People counted as "Haitians" and as "people" are the same count.
    displaced = [_checked("more than 700,000", "a.txt", 0,
                          "The conflict has displaced more than 700,000 Haitians.")]
    evidence = [_evidence("b.txt", "Gang violence has displaced over 1 million people.")]
    found = find_disagreements("How many Haitians has the gang violence displaced?",
                               displaced, evidence,
                               _AlwaysYes(), 0.5, _documents(evidence))  # type: ignore[arg-type]
    assert [f.claim.text for f in found] == ["over 1 million"]


def test_what_a_figure_counts() -> None:
    text = "with only about 5,000 Haitian police officers available to protect 11 million."
    assert counted_words(text, "about 5,000") == "Haitian police officers"  # three at most
    assert counted_words("over 10 countries have pledged", "over 10") == "countries"
    assert counted_words("bringing the total to 400.", "400") == ""
    assert counted_words("600 Kenya police officers and 200 more", "200") == "Kenya police officers"
    assert counts_something_else("police officers available", "cadets")
    assert counts_something_else("Kenya police officers", "haitian police officers")
    assert not counts_something_else("people", "Haitians")
    assert not counts_something_else("police officers", "")  # nothing to compare with


def test_a_candidate_best_for_two_claims_is_checked_and_reported_once() -> None:
    kept = [_checked("5,600", "a.txt", 0, "Gang violence killed 5,600 people last year."),
            _checked("5,600", "b.txt", 0, "Gangs killed 5,600 people in Haiti last year.")]
    evidence = [_evidence("c.txt", "Gang violence killed 4,000 people in Haiti last year.")]
    checker = _AlwaysYes()
    found = find_disagreements("How many people did gang violence kill last year?", kept,
                               evidence, checker, 0.5, _documents(evidence))  # type: ignore[arg-type]
    assert [f.claim.text for f in found] == ["4,000"]
    assert len(checker.checked) == 1


def test_last_year_is_read_against_the_articles_latest_date() -> None:
    question = "In which year did gang violence kill more than 5,600 people in Haiti?"
    kept = [_checked("2023", "a.txt", 0,
                     "Gang violence claimed over 5,600 lives in 2023 alone, the UN said.")]
    killed = "The UN said more than 5,600 people were killed by gang violence last year."
    evidence = [_evidence("b.txt", killed)]
    dated = {"b.txt": f"Cadets graduated on January 10, 2025. {killed}"}
    checker = _AlwaysYes()
    found = find_disagreements(question, kept, evidence, checker, 0.5,
                               dated.__getitem__)  # type: ignore[arg-type]
    assert [f.claim.text for f in found] == ["last year (2024)"]
    assert found[0].spans[0].text == killed
    # The checker judges the words the sentence uses, not the year read from the date.
    assert "Proposed answer: last year\n" in checker.checked[0]
    # An article that dates no day gives "last year" no year: nothing to compare.
    undated = {"b.txt": killed}
    assert find_disagreements(question, kept, evidence, _AlwaysYes(), 0.5,
                              undated.__getitem__) == []  # type: ignore[arg-type]
    # The same year is no disagreement.
    same = {"b.txt": f"Cadets graduated on January 10, 2024. {killed}"}
    assert find_disagreements(question, kept, evidence, _AlwaysYes(), 0.5,
                              same.__getitem__) == []  # type: ignore[arg-type]


def _documents(evidence: list[Evidence]) -> Callable[[str], str]:
    texts = {e.chunk.source: e.chunk.text for e in evidence}
    return texts.__getitem__


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


def _opening_with_earlier(document: str, first_end: int, second_start: int
                          ) -> tuple[Span, Span, Chunk]:
    """The first sentence of `document` (to `first_end`), the one from `second_start`, and
    the chunk of the second as retrieval hands it over: the first put before it."""
    first = Span("a.txt", 0, first_end, document[:first_end])
    second = Span("a.txt", second_start, len(document), document[second_start:])
    return first, second, Chunk("a.txt:1", "a.txt", second_start, len(document), second.text,
                                (first, second))


def test_a_speaker_named_before_a_quote_is_cited_with_the_quote() -> None:
    document = ("President William Ruto said the team has intensified patrols. “Officers patrol "
                "the cities. Order has been restored in several towns,” he said in a post.")
    # The chunk opens with the quote, the speaker put before it.
    speaker, quote, chunk = _opening_with_earlier(document, document.index(" “"),
                                                  document.index("Order"))
    spans = locate_support(Claim("William Ruto", (1,)), "Who posted that order was restored?",
                           [Evidence(chunk, 1.0, 1)], lambda _: document)
    assert spans == (speaker, quote)


def test_a_sentence_that_refers_back_is_cited_with_the_sentence_it_leans_on() -> None:
    document = ("U.N. expert William O’Neill reported that the police lack capacity. He called "
                "for helicopters and drones.")
    he_start = document.index("He")
    # "He called ..." with the sentence that says who he is.
    named, called, chunk = _opening_with_earlier(document, document.index(" He"), he_start)
    question = "What equipment did the U.N. expert call for?"
    spans = locate_support(Claim("helicopters and drones", (1,)), question,
                           [Evidence(chunk, 1.0, 1)], lambda _: document)
    assert spans == (named, called)
    # An opening that leans on no person ("These new arrivals ...") is cited on its own.
    arrivals = document.replace("He called", "These arrivals asked")
    named, asked, chunk = _opening_with_earlier(arrivals, arrivals.index(" These"), he_start)
    assert locate_support(Claim("helicopters and drones", (1,)), question,
                          [Evidence(chunk, 1.0, 1)], lambda _: arrivals) == (asked,)
    # A chunk without an earlier sentence is cited on its own.
    alone = Chunk("a.txt:1", "a.txt", he_start, len(document), called.text, (called,))
    assert locate_support(Claim("helicopters and drones", (1,)), question,
                          [Evidence(alone, 1.0, 1)], lambda _: document) == (called,)


def test_a_label_value_line_is_cited_with_the_heading_it_falls_under() -> None:
    document = ("What's New in Tool 0.8?\n=====\n\n*Release date: 22-Jul-2001*\n\n"
                "- New tarball released.\n")
    chunk = chunk_document(Document("notes.md", document), max_words=30)[0]
    heading, date, _ = chunk.sentences
    question = "When was Tool 0.8 released?"
    spans = locate_support(Claim("22-Jul-2001", (1,)), question, [Evidence(chunk, 1.0, 1)],
                           lambda _: document)
    # The date alone does not say which release it is for.
    assert spans == (heading, date)
    # Other sentences of the section are cited on their own.
    assert locate_support(Claim("New tarball", (1,)), "What was released?",
                          [Evidence(chunk, 1.0, 1)], lambda _: document) == (chunk.sentences[2],)


def test_a_claim_is_located_in_the_passage_that_holds_its_words() -> None:
    texts = ["The UN reports that gangs control more than 80% of the capital.",
             "O’Neill called for helicopters, night vision goggles and drones.",
             "Officers patrol with drones."]
    evidence = [Evidence(Chunk(f"{i}.txt:0", f"{i}.txt", 0, len(t), t,
                               (Span(f"{i}.txt", 0, len(t), t),)), 1.0, i + 1)
                for i, t in enumerate(texts)]

    def located(claim: Claim) -> tuple[Span, ...] | None:
        return locate_support(claim, "What equipment did O’Neill call for?", evidence,
                              lambda name: texts[int(name[0])])

    # The generator cited [1], which names none of it; [2] names all of it.
    spans = located(Claim("helicopters, night vision goggles and drones", (1,)))
    assert spans is not None and spans[0].source == "1.txt"
    # A cited passage holding half of the claim's words or more keeps the citation.
    spans = located(Claim("drones", (3,)))
    assert spans is not None and spans[0].source == "2.txt"


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


PLEDGED = "Only a handful of the more than 3,100 troops pledged by 10 countries have been deployed."
OVER_TEN = "While over 10 countries have pledged to send troops, the deployment has been slow."


def test_a_bare_figure_is_given_with_the_counted_thing_from_its_quote() -> None:
    question = "How many countries have pledged forces to the MSS mission?"
    named = with_counted_thing(question, _checked("10", "a.txt", 0, PLEDGED))
    # "10" inside "3,100" is not the figure; the words come from the quote.
    assert named.claim.text == "10 countries"
    officers = with_counted_thing("How many Kenyan police officers are there?", _checked(
        "200", "a.txt", 0, "They join the 200 Kenyan police officers, already there."))
    assert officers.claim.text == "200 Kenyan police officers"
    over = with_counted_thing(question, _checked("over 10", "b.txt", 0, OVER_TEN))
    assert over.claim.text == "over 10 countries"
    # Unchanged: a quote that does not name the counted thing after the figure, a
    # calculation, and a question that counts nothing.
    assert with_counted_thing("How many countries joined?", _checked(
        "10", "a.txt", 0, "The mission has 10 of them.")).claim.text == "10"
    calculation = _checked("1000 (400 + 600)", "a.txt", 0, "400 officers and 600 officers")
    assert with_counted_thing("How many officers?", calculation) is calculation
    assert with_counted_thing("When did they pledge?", _checked(
        "10", "a.txt", 0, PLEDGED)).claim.text == "10"


def test_the_same_figure_bounded_differently_is_a_disagreement() -> None:
    question = "How many countries have pledged forces?"
    kept = [_checked("10", "a.txt", 0, PLEDGED)]
    evidence = [_evidence("b.txt", OVER_TEN)]
    found = find_disagreements(question, kept, evidence, _AlwaysYes(), 0.5,
                               _documents(evidence))  # type: ignore[arg-type]
    assert [f.claim.text for f in found] == ["over 10"]
    # Bounded alike, it is the same figure.
    alike = [_evidence("b.txt", "Troops were pledged by 10 countries in all.")]
    assert find_disagreements(question, kept, alike, _AlwaysYes(), 0.5,
                              _documents(alike)) == []  # type: ignore[arg-type]
    answer = compose(question, [with_counted_thing(question, c) for c in [*kept, *found]])
    assert answer.answer == "The sources disagree: 10 countries [1]; over 10 countries [2]."
    assert [c.text for c in answer.conflicts[0].claims] == ["10 countries", "over 10 countries"]
    # A bare figure whose quote bounds it is the bounded figure: no disagreement.
    same = compose("How many troops were pledged?", [
        _checked("3,100", "b.txt", 0, PLEDGED), _checked("more than 3,100", "b.txt", 0, PLEDGED)])
    assert same.answer == "3,100 [1]" and same.conflicts == []


def _ranked(*texts_and_scores: tuple[str, float]) -> list[Evidence]:
    ranked = []
    for rank, (text, score) in enumerate(texts_and_scores, start=1):
        source = f"{rank}.txt"
        span = Span(source, 0, len(text), text)
        ranked.append(Evidence(Chunk(f"{source}:0", source, 0, len(text), text, (span,)),
                               score, rank))
    return ranked


def test_the_closest_passages_are_a_prefix_of_at_least_two() -> None:
    ranked = _ranked(("a", 2.0), ("b", 1.5), ("c", 0.9), ("d", 1.2))
    # Passages at half the best score or more, from the top, stopping at the first below.
    assert closest_passages(ranked, 0.5) == ranked[:2]
    assert closest_passages(ranked, 0.0) == ranked
    assert closest_passages(ranked[:1] + ranked[2:], 0.9) == [ranked[0], ranked[2]]
    assert closest_passages([], 0.5) == []


class _Generator:
    """Stands in for the generator in a unit test of which passages it is shown: it leans to
    NONE unless it is shown `needed`, answers `reply`, and every check says yes."""

    name = "scripted"

    def __init__(self, needed: str, reply: str) -> None:
        self.needed, self.reply = needed, reply
        self.shown: list[str] = []

    def token_probability(self, messages: list[Message], word: str) -> float:
        return 0.01 if self.needed in messages[-1].content else 0.6

    def stream(self, messages: list[Message], max_tokens: int) -> Iterator[str]:
        self.shown.append(messages[-1].content)
        yield self.reply

    def yes_probability(self, messages: list[Message]) -> float:
        return 0.9


def test_the_generator_is_shown_all_passages_when_the_closest_leave_it_at_none() -> None:
    ranked = _ranked(
        ("Kenya sent 217 officers to Haiti on Saturday.", 2.0),
        ("The officers landed in Port-au-Prince.", 1.6),
        ("Kenya's Interior Minister Kipchumba Murkomen saw the officers off.", 0.7),
    )
    question = "Who saw the Kenyan officers off?"
    documents = _documents(ranked)
    confident = _Generator(needed="Kenya sent", reply="Kipchumba Murkomen [2]")
    answer(question, ranked, confident, 0.5, 48, documents,  # type: ignore[arg-type]
           min_relative_score=0.5)
    # Leaning to an answer with the two closest passages, it is shown only those.
    assert "[1] Kenya sent" in confident.shown[0] and "[3]" not in confident.shown[0]

    widened = _Generator(needed="Murkomen", reply="Kipchumba Murkomen [3]")
    result = answer(question, ranked, widened, 0.5, 48, documents,  # type: ignore[arg-type]
                    min_relative_score=0.5)
    # Leaning to NONE without the third passage, it is shown all three and answers from it.
    assert widened.shown == [widened.shown[0]] and "[3] Kenya's Interior" in widened.shown[0]
    assert result.status == "answered"
    assert [c.source for c in result.citations] == ["3.txt"]
    assert result.shown == ranked
