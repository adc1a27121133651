"""Questions typed without capitals get the collection's, so that names read as names."""

from __future__ import annotations

import pytest

from mss_qa.casing import Casing, lacks_case
from mss_qa.pipeline import Pipeline
from tests.conftest import SEEDS


@pytest.fixture(scope="module")
def casing() -> Casing:
    return Casing(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt")))


@pytest.mark.parametrize(
    ("typed", "restored"),
    [
        ("what is the population of kenya", "What is the population of Kenya"),
        ("WHAT IS THE POPULATION OF KENYA?", "What is the population of Kenya?"),
        ("who welcomed the 217 kenyan officers in port-au-prince?",
         "Who welcomed the 217 Kenyan officers in Port-au-Prince?"),
        ("which un resolution supports the mss mission", "Which UN resolution supports the MSS "
         "mission"),
        # A straight apostrophe where the collection writes a curly one, kept as typed; the
        # pronoun "I" does not count as the question's own capitals.
        ("who is kenya's interior minister", "Who is Kenya's Interior Minister"),
        ("what did o'neill say", "What did O'Neill say"),
        ("i'm curious: who leads the mss mission?", "I'm curious: who leads the MSS mission?"),
        ("I need the mss commander", "I need the MSS commander"),
        # A word the collection writes in lower case as often as not stays so ("mission",
        # "multinational": 2 of 8).
        ("How large is the multinational force?", "How large is the multinational force?"),
    ],
)
def test_a_question_without_capitals_gets_the_collections(casing: Casing, typed: str,
                                                          restored: str) -> None:
    assert casing.restore(typed) == restored


def test_a_common_word_capitalised_only_inside_a_name_keeps_its_lower_case() -> None:
    texts = ["Officers flew from Jomo Kenyatta International Airport in Nairobi. The airport "
             "was busy. A Special Weapons and Tactics Team came too. Kenya leads the MSS "
             "mission; the MSS mission grew. The MSS Mission began. General Otunga said so."]
    common = {"airport", "international", "weapons", "special", "team", "tactics", "mission"}
    casing = Casing(texts, common_words=common)
    # Alone, "airport" and "weapons" are the common words; "Otunga", a rare one, is a name.
    assert casing.restore("which airport did they fly from") == "Which airport did they fly from"
    assert casing.restore("what weapons do they carry") == "What weapons do they carry"
    assert casing.restore("who is otunga") == "Who is Otunga"
    # Typed whole, the name gets its capitals.
    assert casing.restore("when did they reach jomo kenyatta international airport") == (
        "When did they reach Jomo Kenyatta International Airport")
    assert casing.restore("what did the special weapons team do") == (
        "What did the Special Weapons team do")
    # "MSS Mission" is written so once, "MSS mission" twice: no name.
    assert casing.restore("who leads the mss mission") == "Who leads the MSS mission"
    # Without a list of common words, every word the collection capitalises is restored.
    assert Casing(texts).restore("what weapons") == "What Weapons"


def test_a_question_with_its_own_capitals_is_left_as_typed(casing: Casing) -> None:
    for typed in ("Who is the head of the Kenyan contingent?", "who is Kenya's minister",
                  "Is the MSS mission in haiti?"):
        assert not lacks_case(typed)
        assert casing.restore(typed) == typed
    assert lacks_case("Who leads the mission?") and lacks_case("WHO LEADS?")
    assert not lacks_case("2024?")  # no letters: nothing to restore


def test_sentence_openings_do_not_make_a_word_a_name() -> None:
    casing = Casing(["Police arrived. The police left. Police said so in Haiti.\n"
                     "# Police report\n“Police,” he said. The police and the police."])
    assert casing.restore("where are the police in haiti") == "Where are the police in Haiti"


def test_the_pipeline_reads_a_lowercase_question_with_the_collections_capitals(
        small_pipeline: Pipeline) -> None:
    # Typed in lower case, "kenya" was no country to the checks, and Haiti's population
    # ("a population of over 11 million") was given as Kenya's.
    answer = small_pipeline.ask("what is the population of kenya")
    assert answer.question == "What is the population of Kenya"
    assert answer.status == "insufficient", answer.answer
