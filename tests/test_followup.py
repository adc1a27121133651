"""Follow-up questions become standalone questions, by rule (no model involved)."""

from __future__ import annotations

import pytest

from mss_qa.followup import standalone_question

MINISTER = [
    {"role": "user", "content": "Who is Kenya's Interior Minister?"},
    {"role": "assistant", "content": "Kipchumba Murkomen [1]."},
]
MISSION = [
    {"role": "user", "content": "Who leads the MSS mission?"},
    {"role": "assistant", "content": "The sources don't say."},
]
POLICE = [
    {"role": "user", "content": "How many police has Kenya sent to Haiti?"},
    {"role": "assistant", "content": "400 [1]"},
]


@pytest.mark.parametrize(
    ("history", "question", "expected"),
    [
        # A personal pronoun refers to a name the previous answer gave.
        (MINISTER, "When did he visit Haiti?", "When did Kipchumba Murkomen visit Haiti?"),
        (MINISTER, "What is his role?", "What is Kipchumba Murkomen's role?"),
        # No name in the answer: the pronoun refers to what the previous question asked about.
        (MISSION, "When did it start?", "When did the MSS mission start?"),
        (POLICE, "When did they arrive?", "When did the police arrive?"),
        # "they" is what the question was about, not the one person the answer named.
        ([{"role": "user", "content": "Who commands the Kenyan contingent?"},
          {"role": "assistant", "content": "General Godfrey Otunga [1]"}],
         "When did they arrive?", "When did the Kenyan contingent arrive?"),
        # After a which- or what-question, "it" is the thing the answer named ...
        ([{"role": "user", "content": "Which country leads the MSS mission?"},
          {"role": "assistant", "content": "Kenya [1]"}],
         "How many officers has it promised?", "How many officers has Kenya promised?"),
        # ... and with no name in the answer, what follows the question's verb.
        ([{"role": "user", "content": "Which country leads the MSS mission?"},
          {"role": "assistant", "content": "The sources don't say."}],
         "When did it start?", "When did the MSS mission start?"),
        # Elliptical follow-ups borrow the previous question.
        (MINISTER, "And Haiti's?", "Who is Haiti's Interior Minister?"),
        (POLICE, "What about Jamaica?", "How many police has Jamaica sent to Haiti?"),
        (POLICE, "And in 2024?", "How many police has Kenya sent to Haiti in 2024?"),
        (
            MINISTER,
            "What about the soldiers?",
            "Who is Kenya's Interior Minister? What about the soldiers?",
        ),
        # A connective before a whole question is dropped, then the pronoun resolved.
        (MISSION, "And who funds it?", "Who funds the MSS mission?"),
    ],
)
def test_follow_ups_are_rewritten(
    history: list[dict[str, str]], question: str, expected: str
) -> None:
    assert standalone_question(question, history) == expected


@pytest.mark.parametrize(
    ("history", "question"),
    [
        ([], "When did he visit Haiti?"),  # nothing to refer back to
        (MINISTER, "How many people have been displaced?"),  # no pronoun, no connective
        # The verb of "Which country funds police operations" cannot be told from its noun.
        ([{"role": "user", "content": "Which country funds police operations?"},
          {"role": "assistant", "content": "The sources don't say."}], "When did it start?"),
        (MINISTER, "When did Kenya send police and who leads them?"),  # refers to its own name
        (
            MINISTER,
            "Tell me, in as much detail as the articles allow, what he said to the officers?",
        ),  # long questions stand alone
    ],
)
def test_standalone_questions_are_left_alone(history: list[dict[str, str]], question: str) -> None:
    assert standalone_question(question, history) == question


def test_a_chain_of_follow_ups_keeps_its_referent() -> None:
    history = [*MISSION, {"role": "user", "content": "When did it start?"}]
    assert standalone_question("Who funds it?", history) == "Who funds the MSS mission?"


def test_a_refusal_is_not_taken_for_a_name() -> None:
    history = [
        {"role": "user", "content": "Who is the mission's spokesperson?"},
        {"role": "assistant", "content": "The sources don't say."},
    ]
    assert standalone_question("What did she say?", history) == (
        "What did the mission's spokesperson say?"
    )


def test_roles_other_than_user_and_assistant_are_ignored() -> None:
    history = [{"role": "system", "content": "Be brief."}, *MINISTER]
    assert standalone_question("Where was he?", history) == "Where was Kipchumba Murkomen?"


def test_a_day_or_month_is_not_taken_for_a_name() -> None:
    history = [
        {"role": "user", "content": "When did the 217 Kenyan officers arrive?"},
        {"role": "assistant", "content": "Saturday [1]"},
    ]
    assert standalone_question("Who welcomed them?", history) == (
        "Who welcomed the 217 Kenyan officers?"
    )
    named = [{"role": "user", "content": "Who was Britain's prime minister then?"},
             {"role": "assistant", "content": "Theresa May [1]"}]
    assert standalone_question("When did she resign?", named) == "When did Theresa May resign?"


def test_a_pronoun_subject_with_nothing_to_refer_to_is_found() -> None:
    from mss_qa.followup import unresolved_reference

    assert unresolved_reference("When did he visit Haiti?") == "he"
    assert unresolved_reference("What is his role?") == "his"
    assert unresolved_reference("How many officers did they send?") == "they"
    for named in ("When did Ruto visit Haiti?", "What did the officers say when they arrived?",
                  "How many officers did Kenya send?",
                  "How long did it take Kenya to deploy the first officers?"):
        assert unresolved_reference(named) is None


def test_he_or_she_is_not_taken_for_a_thing_the_previous_question_asked_about() -> None:
    history = [*MINISTER, {"role": "user", "content": "What is the population of Kenya?"},
               {"role": "assistant", "content": "The sources don't say."}]
    # Not "When did the population of Kenya visit Haiti?": left to be refused as unnamed.
    assert standalone_question("When did he visit Haiti?", history) == "When did he visit Haiti?"
    # "it" may still be the thing.
    assert standalone_question("When was it counted?", history) == (
        "When was the population of Kenya counted?")


def test_a_question_that_names_nothing_is_found() -> None:
    from mss_qa.followup import asks_nothing

    for empty in ("Why?", "How so?", "Why is that?", "What about it?",
                  # Judging or comparing answers asks the sources nothing.
                  "Which is correct?", "Really?", "Are you sure?", "Why the difference?",
                  "Why do the numbers differ?", "Which one should I believe?"):
        assert asks_nothing(empty), empty
    for named in ("Why did Kenya send police?", "Who is Murkomen?",
                  "Which figure is correct, 700,000 or one million?",
                  "Which sources mention Viv Ansanm?"):
        assert not asks_nothing(named), named


def _turns(*texts: str) -> list[dict[str, str]]:
    return [{"role": "user" if i % 2 == 0 else "assistant", "content": text}
            for i, text in enumerate(texts)]


@pytest.mark.parametrize(
    ("history", "question", "expected"),
    [
        # A pronoun after a noun of the question's own refers to that noun; a dummy "it"
        # refers to nothing.
        (MINISTER, "What did the officers say when they arrived?", None),
        (POLICE, "Why did the cadets leave before they graduated?", None),
        (MINISTER, "Is it true that Kenya sent 400 officers?", None),
        (MINISTER, "How hard is it to fight the gangs?", None),
        (POLICE, "How long did it take to deploy them?",
         "How long did it take to deploy the police?"),
        # The previous question's subject without its verb or participle, and whole.
        (_turns("How many Kenyan police officers arrived in Port-au-Prince on Saturday?",
                "217 [1]"), "Who welcomed them?", "Who welcomed Kenyan police officers?"),
        (_turns("When was the MSS mission launched?", "June 2024 [1]"), "Who funds it?",
         "Who funds the MSS mission?"),
        (_turns("When did the second contingent arrive?", "In January [1]"),
         "How many officers were in it?", "How many officers were in the second contingent?"),
        (_turns("What is the gang alliance called?", "Viv Ansanm [1]"), "Who leads it?",
         "Who leads Viv Ansanm?"),
        (_turns("Which airport did the Kenyan officers fly from?",
                "Jomo Kenyatta International Airport [1]"), "When did they land?",
         "When did the Kenyan officers land?"),
        # "Yes", "In May" or a place is no "he".
        (_turns("Did Kipchumba Murkomen visit Haiti?", "Yes [1]."), "When did he go?",
         "When did Kipchumba Murkomen go?"),
        ([*MINISTER, *_turns("Where did he go?", "Port-au-Prince [1]")], "Who did he meet?",
         "Who did Kipchumba Murkomen meet?"),
        # "he" after "Who leads ...?" left unanswered is the unnamed leader.
        (MISSION, "When did he arrive?", None),
        (_turns("Who is the mission's spokesperson?", "Jane Wanjiru [1]"),
         "Who asked her to resign?", "Who asked Jane Wanjiru to resign?"),
        # A year, month or place replaces the one asked about before.
        (_turns("How many people were killed by gang violence in 2023?", "Over 5,600 [1]"),
         "And in 2024?", "How many people were killed by gang violence in 2024?"),
        (_turns("How many people were killed by gang violence in 2023?", "Over 5,600 [1]"),
         "What about 2024?", "How many people were killed by gang violence in 2024?"),
        (_turns("How many people were killed in Port-au-Prince?", "Over 2,500 [1]"),
         "And in Cité Soleil?", "How many people were killed in Cité Soleil?"),
        (_turns("How many people were killed by gang violence in 2023?", "Over 5,600 [1]"),
         "And the year before?", "How many people were killed by gang violence in 2022?"),
        # A country for a nationality, a person for a title.
        (_turns("Who is the Haitian Prime Minister?", "Alix Didier Fils-Aime [1]"),
         "And Kenya's?", "Who is Kenya's Prime Minister?"),
        (_turns("When did the first Kenyan officers arrive in Haiti?", "June 2024 [1]"),
         "What about Jamaica?", "When did the first Jamaican officers arrive in Haiti?"),
        (_turns("What did Kenya's Interior Minister say about the gangs?", "NONE"),
         "What about Ruto?", "What did Ruto say about the gangs?"),
        # A nationality for a nationality, a "the ..." phrase for the subject, a weekday
        # for a weekday; a fragment with no "and" before it.
        (_turns("When did the first Kenyan officers arrive in Haiti?", "June 2024 [1]"),
         "and the Jamaicans?", "When did the first Jamaican officers arrive in Haiti?"),
        (_turns("Who is the Haitian Prime Minister?", "Alix Didier Fils-Aime [1]"),
         "And the Kenyan one?", "Who is the Kenyan Prime Minister?"),
        (_turns("How many Kenyan police are in Haiti?", "400 [1]"),
         "How about Jamaican soldiers?", "How many Jamaican soldiers are in Haiti?"),
        (_turns("Where did the 217 officers land?", "Port-au-Prince [1]"),
         "And the second contingent?", "Where did the second contingent land?"),
        (_turns("How many Kenyan officers arrived on Saturday?", "217 [1]"),
         "And on Tuesday?", "How many Kenyan officers arrived on Tuesday?"),
        (_turns("How many people were killed by gang violence in 2023?", "Over 5,600 [1]"),
         "in 2024?", "How many people were killed by gang violence in 2024?"),
        (_turns("Who is Kenya's Interior Minister?", "Kipchumba Murkomen [1]"),
         "Haiti's?", "Who is Haiti's Interior Minister?"),
        (MINISTER, "Really?", None),
        # "it" after a name in the question is not that name; "more officers" are "they".
        (_turns("Who is funding the MSS mission?", "NONE"), "What did Rubio say about it?",
         "What did Rubio say about the MSS mission?"),
        (_turns("Did Kenya send more officers?", "Yes [1]"), "When did they arrive?",
         "When did the officers arrive?"),
        # A long question about "he" still has "he" resolved.
        (_turns("Who commands the Kenyan contingent?", "General Godfrey Otunga [1]"),
         "What did he say about the conditions his officers are facing in Port-au-Prince?",
         "What did General Godfrey Otunga say about the conditions his officers are facing in "
         "Port-au-Prince?"),
        # "they" is a plural noun of the previous question rather than its one name, and a
        # plural takes a bare apostrophe; a capitalised name is whole before its verb.
        (_turns("What did Ruto tell the Kenyan officers?", "NONE"), "How did they react?",
         "How did the Kenyan officers react?"),
        (_turns("Who leads the gangs?", "NONE"), "What are their demands?",
         "What are the gangs' demands?"),
        (_turns("When did the Jamaicans arrive?", "NONE"), "Who welcomed them?",
         "Who welcomed the Jamaicans?"),
        (_turns("What did the UN Security Council decide about Haiti?", "NONE"),
         "And the US?", "What did the US decide about Haiti?"),
        # "Who else?" asks the previous who-question again for others.
        (_turns("Who visited Haiti in May?", "William Ruto [1]"), "Who else?",
         "Who else visited Haiti in May?"),
        (_turns("Which countries have sent police?", "Kenya and Jamaica [1]"), "Who else?",
         "Which other countries have sent police?"),
        (_turns("What weapons do the gangs use?", "Rifles [1]"), "What else?",
         "What other weapons do the gangs use?"),
        # A bare question word after a yes-no question; a count with no noun.
        (_turns("Did Kenya delay the deployment?", "Yes [1]."), "Why?",
         "Why did Kenya delay the deployment?"),
        (_turns("How many officers did Kenya pledge?", "1,000 [1]"), "How many have arrived?",
         "How many officers have arrived?"),
        # "How come?", "When was that?", a question word with what it asks for, after a
        # yes-no question; "When was that?" after a when-question asks it again.
        (_turns("Is the mission short of money?", "Yes [1]."), "how come?",
         "Why is the mission short of money?"),
        (_turns("Did Ruto visit Haiti?", "Yes [1]."), "when was that?",
         "When did Ruto visit Haiti?"),
        (_turns("Did the Kenyan officers fly from Nairobi?", "Yes [1]."), "on which airline?",
         "On which airline did the Kenyan officers fly from Nairobi?"),
        (_turns("Was the mission approved by the Security Council?", "Yes [1]."),
         "Under which resolution?",
         "Under which resolution was the mission approved by the Security Council?"),
        (_turns("When did Ruto visit Haiti?", "In May [1]."), "When was that?",
         "When did Ruto visit Haiti?"),
        # "that" as a thing, or "which ones", is not the previous question's event.
        (_turns("Did the officers land at Toussaint Louverture International Airport?",
                "Yes [1]."), "Where is that?", None),
        (_turns("Did other countries send troops?", "Yes [1]."), "Which ones?", None),
        # A change of title keeps its owner; a person asked about gives way to "the ...".
        (MINISTER, "and the president?", "Who is Kenya's president?"),
        (MINISTER, "And the Prime Minister?", "Who is Kenya's Prime Minister?"),
        (_turns("What did Ruto say about the gangs?", "That they must go [1]"),
         "and the Haitian PM?", "What did the Haitian PM say about the gangs?"),
        # A list of names for a name; a name with an apostrophe is one.
        (_turns("Did Belize send troops?", "Yes [1]."), "what about El Salvador and the Bahamas?",
         "Did El Salvador and the Bahamas send troops?"),
        (_turns("Which UN expert asked for more equipment?", "William O'Neill [1]"),
         "What exactly did he ask for?", "What exactly did William O'Neill ask for?"),
        # "they" for an answer that names several.
        (_turns("Which countries besides Kenya sent personnel?",
                "Jamaica, Belize, Guatemala, El Salvador and The Bahamas [1]"),
         "How many officers did they send?",
         "How many officers did Jamaica, Belize, Guatemala, El Salvador and The Bahamas send?"),
        (_turns("What did Ruto promise Haiti?", "1,000 officers [1]"), "When will they arrive?",
         "When will the 1,000 officers arrive?"),
        (_turns("How many Kenyan police officers arrived on Saturday?", "217 [1]"),
         "how many of them are still there?",
         "how many of the Kenyan police officers are still there?"),
        (_turns("Which country leads the mission?", "Kenya [1]"),
         "How many officers have they sent?", "How many officers have Kenya sent?"),
        # A noun of two words is whole.
        (_turns("When did the Haitian police cadets graduate?", "The sources don't say."),
         "how many of them graduated?", "how many of the Haitian police cadets graduated?"),
        # "there" is no part of who "he" is.
        (_turns("What did William Ruto say in Haiti?", "That Kenya would stay the course [1]",
                "When was he there?", "The sources don't say."), "who did he meet?",
         "who did William Ruto meet?"),
        # A name with a number is one; a month with a year is none.
        (_turns("Which resolution authorised the mission?", "Resolution 2699 [1]"),
         "when was it adopted?", "when was Resolution 2699 adopted?"),
        (_turns("Which month did the mission start?", "June 2024 [1]"), "Who funds it?",
         "Who funds the mission?"),
        # A place before "he" is no one he could be; a long question's "he" with no name
        # before it is someone from the conversation.
        (MINISTER, "In Haiti, what did he do?", "In Haiti, what did Kipchumba Murkomen do?"),
        (MINISTER, "Can you tell me what exactly he said to the officers before they left "
                   "Nairobi for Haiti?", "Can you tell me what exactly Kipchumba Murkomen said "
                   "to the officers before they left Nairobi for Haiti?"),
        (MINISTER, "Can you tell me what exactly Ruto said to the officers before he left "
                   "Nairobi for Haiti?", None),
    ],
)
def test_follow_ups_as_people_type_them(
    history: list[dict[str, str]], question: str, expected: str | None
) -> None:
    assert standalone_question(question, history) == (expected or question)
