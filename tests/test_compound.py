"""Questions that ask several things: split by rule, each part answered, one answer made."""

from __future__ import annotations

import pytest

from mss_qa.compound import combine, split_compound, without_preamble
from mss_qa.pipeline import Pipeline
from mss_qa.types import Answer, Citation, Conflict, ConflictClaim
from tests.test_pipeline import assert_citations_verbatim


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        ("Who is Kenya's Interior Minister and when did he visit Haiti?",
         ["Who is Kenya's Interior Minister?", "When did he visit Haiti?"]),
        ("Who commands the Kenyan contingent? When did they arrive?",
         ["Who commands the Kenyan contingent?", "When did they arrive?"]),
        ("Who chaired the meeting and what tariff did the council approve?",
         ["Who chaired the meeting?", "What tariff did the council approve?"]),
        ("Who is the Prime Minister; where is he from?",
         ["Who is the Prime Minister?", "Where is he from?"]),
        ("what is MSS and who funds it and when did it start",
         ["What is MSS?", "Who funds it?", "When did it start?"]),
        # Contractions and "&" join parts as "what is" and "and" do.
        ("Who leads the mission and what's its budget?",
         ["Who leads the mission?", "What's its budget?"]),
        ("Who is Kenya's interior minister & when did he visit Haiti?",
         ["Who is Kenya's interior minister?", "When did he visit Haiti?"]),
        # A later part that refers back asks a question of its own, alike or not.
        ("Who leads the mission and who funds it?", ["Who leads the mission?", "Who funds it?"]),
        # Alike parts with nothing after the last that both could share are two questions.
        ("Who leads the mission and who commands the Kenyans?",
         ["Who leads the mission?", "Who commands the Kenyans?"]),
        ("How many officers did Kenya pledge and how many have arrived?",
         ["How many officers did Kenya pledge?", "How many have arrived?"]),
        # Two whole questions may ask alike.
        ("Who is Murkomen? Who is Otunga?", ["Who is Murkomen?", "Who is Otunga?"]),
    ],
)
def test_a_question_asking_several_things_is_split(question: str, parts: list[str]) -> None:
    assert split_compound(question) == parts


@pytest.mark.parametrize(
    "question",
    [
        "Who is Kenya's Interior Minister?",
        # "and" inside one question: a subject of two names, an object of two clauses.
        "When did the first and second contingents arrive?",
        "What is the difference between what Ruto said and what Rubio said?",
        "What did Ruto say and what they think?",
        # A bare "and when" asks nothing of its own.
        "How many officers arrived and when?",
        # Parts asking alike may share what follows the last one ("between April and June").
        "How many people were killed and how many were kidnapped between April and June?",
        "How many officers did Kenya pledge and how many have arrived in Haiti?",
        # Not a question to begin with, or more parts than are answered separately.
        "Tell me who leads and when did he arrive?",
        "What is MSS and who funds it and when did it start and where is it based?",
        # Questions inside a yes-no frame, and a relative clause continued after "and".
        "Can you tell me who leads the mission and where the officers are stationed?",
        "Do the articles say where the officers landed and when the first patrol began?",
        "What did the officers who arrived on Saturday and who trained in Kenya say?",
    ],
)
def test_a_question_asking_one_thing_is_left_whole(question: str) -> None:
    assert split_compound(question) == [question]


@pytest.mark.parametrize(
    ("message", "question"),
    [
        ("I'm writing a report on Haiti. Who is Kenya's Interior Minister?",
         "Who is Kenya's Interior Minister?"),
        ("Hi! I am a student. Please help. When did the officers land?",
         "When did the officers land?"),
        ("Thanks. What about Jamaica?", "What about Jamaica?"),
        ("Hi, I'm a student, who is the head of the contingent?",
         "Who is the head of the contingent?"),
        ("I need to know: when did the officers land?", "When did the officers land?"),
        ("Hello! Please, which airport did they land at?", "Which airport did they land at?"),
        # A sentence that says something else may be what the question refers to.
        ("Kenya sent 400 officers. How many more did it promise?",
         "Kenya sent 400 officers. How many more did it promise?"),
        ("I wonder who leads the mission?", "I wonder who leads the mission?"),
        ("Hello. Tell me who leads the mission.", "Hello. Tell me who leads the mission."),
    ],
)
def test_sentences_about_the_asker_before_a_question_are_dropped(message: str,
                                                                 question: str) -> None:
    assert without_preamble(message) == question


def _answer(question: str, text: str, *quotes: tuple[str, int, int],
            conflicts: list[Conflict] | None = None) -> Answer:
    citations = [Citation(n, source, start, end, f"{source}[{start}:{end}]")
                 for n, (source, start, end) in enumerate(quotes, start=1)]
    return Answer(question, "answered" if citations else "insufficient", text,
                  citations=citations, conflicts=conflicts or [],
                  reason="" if citations else "No passage states the answer.",
                  timings={"generate_s": 1.0})


def test_combined_answer_numbers_citations_across_parts() -> None:
    first = _answer("Who?", "Otunga [1]", ("a.txt", 0, 10))
    # The second part cites the same quote as the first and a new one.
    second = _answer("How many?", "The sources disagree: 400 [1]; 600 [2].",
                     ("b.txt", 5, 20), ("a.txt", 0, 10),
                     conflicts=[Conflict("How many?", (ConflictClaim("400", 1),
                                                       ConflictClaim("600", 2)))])
    combined = combine("Who and how many?", [first, second])
    assert combined.status == "answered"
    assert combined.answer == ("Who? Otunga [1]\n"
                               "How many? The sources disagree: 400 [2]; 600 [1].")
    assert [(c.n, c.source, c.start) for c in combined.citations] == [
        (1, "a.txt", 0), (2, "b.txt", 5)]
    assert combined.conflicts[0].claims == (ConflictClaim("400", 2), ConflictClaim("600", 1))
    assert [p.answer for p in combined.parts] == ["Otunga [1]",
                                                  "The sources disagree: 400 [2]; 600 [1]."]
    assert combined.timings["generate_s"] == 2.0
    assert combined.to_dict()["parts"][1]["question"] == "How many?"


def test_combined_answer_is_refused_only_when_every_part_is() -> None:
    answered = _answer("Who?", "Otunga [1]", ("a.txt", 0, 10))
    refused = _answer("When?", "The sources don't say.")
    partly = combine("Who and when?", [answered, refused])
    assert partly.status == "answered"
    assert partly.answer.splitlines()[1] == "When? The sources don't say."
    assert "Part 2 (When?)" in partly.reason
    nothing = combine("Who and when?", [refused, refused])
    assert nothing.status == "insufficient"
    assert nothing.answer == "The sources don't say."
    assert nothing.citations == []


def test_each_part_is_answered_and_a_later_one_reads_the_earlier_answer(
        small_pipeline: Pipeline) -> None:
    answer = small_pipeline.ask(
        "Who is Kenya's Interior Minister and when did he visit Haiti?")
    first, second = answer.parts
    assert first.question == "Who is Kenya's Interior Minister?"
    assert first.status == "answered" and "Murkomen" in first.answer
    # "he" is the minister the first part found, not whoever the passages name.
    assert "Murkomen" in second.question and " he " not in second.question
    assert answer.status == "answered"
    assert answer.answer.startswith("Who is Kenya's Interior Minister? ")
    assert_citations_verbatim(answer)
    assert all(f"[{c.n}]" in answer.answer for c in answer.citations)


def test_a_sentence_about_the_asker_is_not_asked(small_pipeline: Pipeline) -> None:
    answer = small_pipeline.ask(
        "I'm writing a report on Haiti. Who is Kenya's Interior Minister?")
    assert answer.question == "Who is Kenya's Interior Minister?"
    assert answer.status == "answered" and "Murkomen" in answer.answer
