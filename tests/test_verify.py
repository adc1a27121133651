"""Verification: quotes must be exact spans; claims must carry their facts."""

from __future__ import annotations

import pytest

from mss_qa.types import Citation, Span
from mss_qa.verify import (
    about_addition,
    about_other_nationality,
    asked_countries,
    best_supporting_span,
    calculation_readings,
    countries_named,
    derived_numbers,
    describes_another_country,
    expected_answer_type,
    figure_kind,
    fits_word_count,
    fuller_dates,
    is_figure,
    latest_dated_year,
    literal_support,
    matches_answer_type,
    names_in,
    names_other_kind,
    names_other_ordinal,
    names_other_year,
    names_past_holder,
    names_timed_thing,
    number_phrases,
    numbers_in,
    past_for_future,
    relative_years,
    restates_question,
    same_measure,
    settle_calculation,
    source_names_asked_country,
    states_increment,
    states_ranking,
    strict_bound,
    verify_citation,
    worded_fractions,
)

TEXT = (
    "Kenya’s Interior Minister Kipchumba Murkomen addressed the officers. "
    "Since June 2023, Kenya has sent over 600 officers. It plans 1,000 in all."
)


def test_exact_quote_verifies_and_an_altered_one_is_rejected() -> None:
    start = TEXT.index("Kipchumba")
    good = Citation(1, "a.txt", start, start + len("Kipchumba Murkomen"), "Kipchumba Murkomen")
    assert verify_citation(good, TEXT)
    altered = Citation(1, "a.txt", good.start, good.end, "Kipchumba Murkomem")
    assert not verify_citation(altered, TEXT)
    shifted = Citation(1, "a.txt", good.start + 1, good.end + 1, good.quote)
    assert not verify_citation(shifted, TEXT)
    out_of_range = Citation(1, "a.txt", len(TEXT) - 2, len(TEXT) + 10, TEXT[-2:])
    assert not verify_citation(out_of_range, TEXT)


def test_numbers_are_read_in_digits_and_words() -> None:
    assert numbers_in("1,000 officers") == {1000.0}
    assert numbers_in("more than one million people") == {1_000_000.0}
    assert numbers_in("over 1 million Haitians") == {1_000_000.0}
    assert 5600.0 in numbers_in("more than 5,600 people")
    # A scale word that ends the sentence still scales.
    assert numbers_in("a population of over 11 million.") == {11_000_000.0}
    assert literal_support("11 million", "to protect a population of over 11 million.") == []


def test_names_skip_function_words() -> None:
    assert names_in("The Interior Minister Kipchumba Murkomen") == {
        "interior",
        "minister",
        "kipchumba",
        "murkomen",
    }
    assert "january" in names_in("on 18 january")


def test_literal_support_reports_what_the_text_lacks() -> None:
    assert literal_support("Kipchumba Murkomen", TEXT) == []
    assert literal_support("1000", TEXT) == []
    assert literal_support("700", TEXT) == ["700"]
    assert literal_support("William Ruto", TEXT) == ["ruto", "william"]
    # An abbreviation the text writes with stops is there without them too.
    assert literal_support("UN human rights expert", "U.N. human rights expert O’Neill") == []
    assert literal_support("US officials", "U.S. officials said so.") == []
    assert literal_support("USA", "the U.S. army") == ["usa"]


def test_a_name_may_open_a_longer_word_but_not_hide_inside_one() -> None:
    assert literal_support("Kenya", "Kenyan police arrived on Friday.") == []
    assert literal_support("Haiti", "Haiti’s police welcomed them.") == []
    cited = "A merge of IDLE 0.5 and the VPython idle fork, coded by Peter Schneider-Kamp."
    assert literal_support("a Python IDE", cited) == ["ide", "python"]


def test_best_span_is_the_sentence_with_the_fact() -> None:
    sentences = []
    pos = 0
    for part in (
        "Kenya’s Interior Minister Kipchumba Murkomen addressed the officers.",
        "Since June 2023, Kenya has sent over 600 officers.",
        "It plans 1,000 in all.",
    ):
        start = TEXT.index(part, pos)
        sentences.append(Span("a.txt", start, start + len(part), part))
        pos = start + len(part)
    span = best_supporting_span("600", "How many officers has Kenya sent?", tuple(sentences), TEXT)
    assert span.text == "Since June 2023, Kenya has sent over 600 officers."
    pair = best_supporting_span("600 now, 1,000 planned", "How many?", tuple(sentences), TEXT)
    assert pair.text == TEXT[sentences[1].start : sentences[2].end]


def test_a_written_out_calculation_supports_its_result() -> None:
    cited = "The 217 Kenyan cops will join 400 of their compatriots already there."
    assert literal_support("617 (400 + 217)", cited) == []
    assert literal_support("618 (400 + 218)", cited) == ["218"]  # an operand is missing
    assert literal_support("617", cited) == ["617"]  # a bare result is not evidence


def test_calculations_are_settled_kept_or_dropped() -> None:
    # Right: kept. A slip in the sum: the result is recalculated from the operands.
    assert settle_calculation("617 (400 + 217)") == "617 (400 + 217)"
    assert settle_calculation("856 (438 + 428)") == "866 (438 + 428)"
    assert settle_calculation("12,000 (8,500 + 4,500)") == "13,000 (8,500 + 4,500)"
    # Month and year counts between two dates.
    assert (settle_calculation("12 months (October 2023 to June 2024)")
            == "8 months (October 2023 to June 2024)")
    assert settle_calculation("3 years (2016 to 2021)") == "5 years (2016 to 2021)"
    assert settle_calculation("(2021 to 2016) 3 years") == "(2021 to 2016) 5 years"
    # A parenthesis of words is kept.
    assert settle_calculation("5,600 (United Nations)") == "5,600 (United Nations)"
    assert settle_calculation("June 2024 (2023 to 2024)") == "June 2024 (2023 to 2024)"


def test_a_result_repeating_an_operand_has_two_readings() -> None:
    # Either the figure was stated and the "calculation" is noise, or the sum was meant.
    assert calculation_readings("600 (600 + 200)") == ("600", "800 (600 + 200)")
    assert calculation_readings("2,500 (2,500 + 10)") == ("2,500", "2,510 (2,500 + 10)")
    assert settle_calculation("2,500 (2,500 + 10)") == "2,500"
    # Unambiguous ones have one reading.
    assert calculation_readings("617 (400 + 217)") == ("617 (400 + 217)",)
    assert calculation_readings("Kipchumba Murkomen") == ("Kipchumba Murkomen",)


def test_simple_fractions_are_read_as_words() -> None:
    assert worded_fractions("1/2") == "half"
    assert worded_fractions("about 3/4 of them") == "about three quarters of them"
    assert worded_fractions("11/2") == "11/2"
    assert worded_fractions("1/25") == "1/25"
    assert worded_fractions("2024/1/2") == "2024/1/2"


def test_a_settled_date_difference_is_supported_by_its_dates() -> None:
    cited = "The council authorised it in October 2023; deployment began in June 2024."
    assert derived_numbers("8 months (October 2023 to June 2024)") == {8.0}
    assert literal_support("8 months (October 2023 to June 2024)", cited) == []
    assert literal_support("8 months", cited) == ["8"]


def test_a_stated_share_of_a_number_is_a_calculation() -> None:
    cited = "over 700,000 people displaced, half of whom are children"
    assert derived_numbers("350,000 (half of 700,000)") == {350_000.0}
    assert literal_support("350,000 (half of 700,000)", cited) == []
    assert settle_calculation("300,000 (half of 700,000)") == "350,000 (half of 700,000)"
    # The share itself must be stated: "many of whom" is no half.
    assert literal_support("350,000 (half of 700,000)",
                           "over 700,000 people displaced, many of whom are children") == ["0.5"]


def test_restating_the_question_is_not_an_answer() -> None:
    assert restates_question("Viv Ansanm", "Who leads the Viv Ansanm alliance?")
    assert not restates_question("2699", "Which UN resolution supports the MSS mission?")
    # One new plain word among four repeated ones adds nothing the question did not say.
    question = "What did Ruto post on social media about Haiti?"
    assert restates_question("post on his social media accounts", question)
    # A name or a figure is information, and so is a new word among fewer repeated ones.
    assert not restates_question("post on social media by Kipchumba Murkomen", question)
    assert not restates_question("post on social media 600 times", question)
    assert not restates_question("social media accounts", question)
    assert restates_question("O’Neill", "What did O'Neill say about arms smuggling?")


@pytest.mark.parametrize(
    ("question", "claim", "other_kind"),
    [
        # A team is no weapon, though its name has the word in it.
        ("What weapons do the Kenyan police carry in Haiti?",
         "Special Weapons and Tactics Team (SWAT)", True),
        ("What tactics do the gangs use?", "Special Weapons and Tactics Team", True),
        # The name ends with the asked-for noun, or does not hold it at all.
        ("Which airport did the Kenyan officers fly out from?",
         "Jomo Kenyatta International Airport", False),
        ("Which all-female Kenyan unit is among those Kenya plans to send?",
         "Special Weapons and Tactics Team (SWAT)", False),
        ("What airline flew the Kenyan police to Haiti?", "Kenya Airways", False),
        # An airport is no airline, nor a person; it is a place, and answers for one.
        ("What airline flew the Kenyan police to Haiti?",
         "Toussaint Louverture International Airport", True),
        ("Which official met the officers?", "Toussaint Louverture International Airport",
         True),
        ("What place did the officers land at?", "Toussaint Louverture International Airport",
         False),
        ("Which hospital treated the wounded?", "Bernard Mevs Hospital", False),
        # The noun asked for is the first word in lower case, not a name before it.
        ("Which Security Council resolution backs the mission?",
         "Security Council resolution 2699", False),
        # Not a name; not a which- or what-question.
        ("What weapons do the gangs carry?", "weapons smuggled from abroad", False),
        ("Who leads the Special Weapons and Tactics Team?", "Special Weapons Commander", False),
    ],
)
def test_a_name_that_holds_the_asked_noun_only_as_a_modifier_is_of_another_kind(
    question: str, claim: str, other_kind: bool
) -> None:
    assert names_other_kind(question, claim) is other_kind


def test_a_question_for_a_two_word_phrase_wants_two_words() -> None:
    question = ("What two-word phrase did the U.N. rights expert use to characterize Haiti's "
                "humanitarian situation?")
    assert fits_word_count(question, "enduring agony")
    assert not fits_word_count(question, "logistical and technical capacity")
    assert fits_word_count("Describe it in 3 words.", "grim, violent, unstable")
    assert fits_word_count("Which UN resolution supports the MSS mission?", "resolution 2699")


def test_number_phrases_keep_their_qualifiers() -> None:
    text = "More than 5,600 were killed and over 1 million Haitians displaced in June 2024."
    assert [p for p, _ in number_phrases(text)] == ["More than 5,600", "over 1 million",
                                                    "June 2024"]
    assert same_measure(frozenset({2023.0}), frozenset({2024.0}))
    assert not same_measure(frozenset({2023.0}), frozenset({600.0}))


@pytest.mark.parametrize(("figure", "kind"), [
    ("80%", "percent"), ("more than 80 per cent", "percent"),
    ("January 26", "day"), ("January 26, 2025", "day"),
    ("June 2024", "year"), ("2023", "year"), ("last year (2024)", "year"),
    ("5,600 people", "quantity"), ("over 1 million Haitians", "quantity"),
    ("nine months", "quantity"),
    # A calculation is the kind of its result, not of the dates it counts between.
    ("8 months (October 2023 to June 2024)", "quantity"),
])
def test_figure_kind(figure: str, kind: str) -> None:
    assert figure_kind(figure) == kind


@pytest.mark.parametrize(("question", "expected"), [
    ("What is the MSS mission's total budget in U.S. dollars?", "money"),
    ("When did Kenya begin deploying police officers?", "date"),
    ("On what date did the cadets graduate?", "date"),
    ("How many officers arrived?", "count"),
    ("Who is Kenya's Interior Minister?", "person"),
    ("Which alliance have the gangs formed?", None),
])
def test_expected_answer_types(question: str, expected: str | None) -> None:
    assert expected_answer_type(question) == expected


def test_an_answer_of_the_wrong_kind_is_caught() -> None:
    officers = "This latest move brings Kenya’s total commitment to around 1,000 officers."
    assert not matches_answer_type("1,000", officers, "money")
    assert matches_answer_type("$600 million", "a budget of $600 million", "money")
    # Any currency the text names, not only the seeds' ones.
    for paid in ("300 crowns a year", "1,200 francs", "45,000 rupees", "¥3,000"):
        assert matches_answer_type(paid, "", "money")
    assert not matches_answer_type("300", "She won 300 votes and marks the record.", "money")
    assert matches_answer_type("June 2024", "", "date")
    # Dates written in figures, as notes and changelogs write them; a version is no date.
    for written in ("1/8/99", "2001-07-22", "22.07.2001"):
        assert matches_answer_type(written, "", "date")
    for other in ("2.1", "3/4", "version 0.2"):
        assert not matches_answer_type(other, "", "date")
    # Years of any era, as history writes them; a count with a thousands separator is no year.
    for year in ("1887", "in 1642", "44 BC", "2150"):
        assert matches_answer_type(year, "", "date")
    for other in ("1,887", "1887.5", "387"):
        assert not matches_answer_type(other, "", "date")
    # A time relative to now says when; one relative to another event does not (asked when
    # Kenya's police began deploying, "the day before" was an answer).
    for now in ("last year", "two weeks ago", "yesterday", "the day before 12 March"):
        assert matches_answer_type(now, "", "date"), now
    for unanchored in ("the day before", "a week later", "the following day", "the same day"):
        assert not matches_answer_type(unanchored, "", "date"), unanchored
    assert matches_answer_type("nine months", "", "count")
    assert not matches_answer_type("Kenya Airways", "", "count")
    assert matches_answer_type("Kipchumba Murkomen", "", "person")


def test_a_question_for_the_most_needs_text_that_ranks() -> None:
    leading = ("Kenya has been a leading contributor to the United Nations-backed "
               "Multinational Security Support (MSS) mission.")
    question = "Which country has provided the most funding to the MSS mission?"
    assert not states_ranking(question, leading)
    assert states_ranking(question, "The United States is the largest funder of the mission.")
    # Questions that do not ask for a ranking are not affected.
    assert states_ranking("Which country leads the MSS mission?", leading)
    assert states_ranking("Which countries pledged at least 100 officers?", leading)
    assert states_ranking("How many officers at most will Kenya send?", leading)


def test_a_question_about_one_nationality_is_not_answered_from_another() -> None:
    kenyans = "The 217 Kenyan cops will join 400 of their compatriots already in Port-au-Prince."
    assert about_other_nationality(
        "How many Jamaican police and military officers are serving in Haiti?", kenyans)
    # The demonym is what is asked about, not the country where they serve.
    assert about_other_nationality(
        "How many Jamaican police and military officers are serving in Haiti?",
        kenyans.replace("Port-au-Prince", "Port-au-Prince, Haiti"))
    # The nationality asked about, as a demonym or as the country, keeps the text in play.
    assert not about_other_nationality("How many Kenyan officers are in Haiti?", kenyans)
    assert not about_other_nationality("How many Jamaican officers are in Haiti?",
                                       "Jamaica has sent 24 soldiers and police officers.")
    # A country the question names counts when the passages use its demonym.
    haiti = ("Only about 5,000 Haitian police officers are available to protect a population "
             "of over 11 million.")
    assert about_other_nationality("What is the population of Kenya?", haiti,
                                   context="Kenyan police arrived. " + haiti)
    assert not about_other_nationality("What is the population of Haiti?", haiti,
                                       context="Kenyan police arrived. " + haiti)
    # ... or when the passages name it and it ends like a country's name.
    assert about_other_nationality("What is the population of Kenya?", haiti,
                                   context="Kenya’s total commitment is 1,000 officers.")
    # A keyword question's first word is capitalised anyway: a country's name still counts.
    assert about_other_nationality("Kenya population", haiti, context="Kenyan police arrived.")
    assert not about_other_nationality("Haiti population", haiti)
    # Capitalised words shaped like demonyms are none ("Humanitarian", "These").
    assert not about_other_nationality(
        "What fraction of Haiti's uprooted people are minors?",
        "Humanitarian conditions continue to worsen, with over 700,000 people displaced.",
        context="Ruto visited Haiti.")
    assert not about_other_nationality("How many Kenyan officers arrived?",
                                       "These new arrivals will join 200 officers from Kenya.")
    # Text naming no other nationality, and words of that shape that are no nationality.
    assert not about_other_nationality("When did Kenyan police begin deploying?",
                                       "Cops began deploying in June 2024.")
    assert not about_other_nationality(
        "What delayed the Kenyan deployment?",
        "A court battle in Nairobi and congressional Republican opposition delayed it.")


def test_the_country_asked_about_must_be_named_by_the_source() -> None:
    # The country something is sent to is the setting; the other one is asked about.
    assert asked_countries("How many soldiers has Chad sent to Haiti?") == {"chad"}
    assert asked_countries("How many Jamaican officers are serving in Haiti?") == {"jamaica"}
    assert asked_countries("How many people were displaced in Haiti?") == {"haiti"}
    assert asked_countries("How many officers are deployed in El Salvador?") == {"el salvador"}
    assert asked_countries("Who welcomed the officers at the airport?") == set()
    kenyan_story = ("The new team of 217 officers landed in Haiti on January 18. Kenya promised "
                    "1,000 police officers.")
    assert not source_names_asked_country("How many soldiers has Chad sent to Haiti?",
                                          kenyan_story)
    assert source_names_asked_country("How many officers has Kenya sent to Haiti?",
                                      kenyan_story)
    assert source_names_asked_country("How many Kenyan officers landed?", kenyan_story)
    assert source_names_asked_country("When did the officers land?", kenyan_story)
    # A country is named by its capitalised name or its demonym, not by a lower-case word.
    assert countries_named("Chadian troops and officers from Jamaica.") == {"chad", "jamaica"}
    assert countries_named("a turkey and some china") == set()


def test_a_claim_described_as_another_countrys_does_not_answer() -> None:
    ruto = "Kenyan President William Ruto visited Haiti to review the progress."
    assert describes_another_country("Who is the president of Haiti?", "William Ruto", ruto)
    assert not describes_another_country("Who is the president of Kenya?", "William Ruto",
                                         ruto)
    # A figure is described by what follows it; the country things happen in does not count.
    kenyans = "There are now 600 Kenya police officers in Haiti and 200 more will join them."
    assert describes_another_country(
        "How many police officers has Jamaica sent to Haiti?", "600", kenyans)
    assert not describes_another_country("How many Kenyan officers are in Haiti?", "600",
                                         kenyans)
    assert not describes_another_country("How many officers are in Haiti?", "600", kenyans)
    # The figure is found whole: "1" is not the start of "1,379".
    assert not describes_another_country(
        "How many Haitian towns reopened one school?", "1",
        "Over 1,379 Kenyan officers came; 1 school in a Haitian town reopened.")
    # A title without a country, or a claim the text does not hold, says nothing.
    assert not describes_another_country(
        "Which Haitian president was assassinated in 2021?", "Jovenel Moïse",
        "Since the 2021 assassination of President Jovenel Moïse, gangs have spread.")
    assert not describes_another_country("Who is the president of Haiti?", "Someone", ruto)
    # A name the cited text gives no country takes the titles the collection gives it
    # elsewhere, when the question asks who someone is.
    plain = "To president Ruto, it was a plus for the team to fly to Haiti."
    for question in ("Who is the current president of Haiti?", "Haiti president",
                     "Who is the Haitian president?"):
        assert describes_another_country(question, "Ruto", plain, context=ruto), question
        assert not describes_another_country(question, "Ruto", plain), question
    assert not describes_another_country("Who is the president of Kenya?", "Ruto", plain,
                                         context=ruto)
    # Who did something is not who someone is: the president of Kenya did visit Haiti.
    assert not describes_another_country("Who praised the Haitian team?", "Ruto", plain,
                                         context=ruto)
    # A figure that ends its clause is described by the clause before it; "200 more" counts
    # what the figure before it counts.
    total = ("These new arrivals will join the 200 Kenyan police officers already there, "
             "bringing the total number of Kenyan police officers deployed in Haiti to 400.")
    haiti = "How many police officers does Haiti have?"
    assert describes_another_country(haiti, "400", total)
    assert describes_another_country(haiti, "200", kenyans)
    assert not describes_another_country("How many Kenyan police officers are in Haiti?",
                                         "400", total)
    assert not describes_another_country(haiti, "5,000", (
        "The challenges remain immense, with only about 5,000 Haitian police officers "
        "available to protect a population of over 11 million."))


def test_a_month_and_year_can_be_made_the_full_date_of_what_is_asked() -> None:
    text = ("The reopening of schools on the 2nd October 2024 and the subsequent reopening of "
            "courts on the 7th October 2024 is a testament to improved security.")
    dates = fuller_dates("October 2024", text)
    assert [date for date, _ in dates] == ["2nd October 2024", "7th October 2024"]
    assert "courts" in dates[1][1] and "courts" not in dates[0][1]
    assert fuller_dates("January 2025", "They graduated on January 10, 2025.")[0][0] == (
        "January 10, 2025")
    assert fuller_dates("October 2024", "Courts reopened on 7 November 2024.") == []
    assert fuller_dates("7th October 2024", text) == []  # already has its day


def test_a_question_about_a_year_is_not_answered_from_text_about_another() -> None:
    written_2025 = "Officers landed on January 18, 2025."
    question = "How many people were killed by gang violence in 2022?"
    for text in ("Gang violence claimed over 5,600 lives in 2023 alone.",
                 "The UN said more than 5,600 people were killed by gang violence last year."):
        assert names_other_year(question, [(text, lambda: written_2025)]), text
    # The year asked, stated or as "last year" of a 2025 article; or no year at all.
    assert not names_other_year("How many were killed in 2023?",
                                [("Over 5,600 lives in 2023 alone.", lambda: "")])
    assert not names_other_year("How many were killed in 2024?",
                                [("5,600 were killed last year.", lambda: written_2025)])
    assert not names_other_year("How many were killed in 2022?",
                                [("5,600 people were killed.", lambda: written_2025)])
    # A question that asks no year.
    assert not names_other_year("How many were killed?",
                                [("Over 5,600 lives in 2023 alone.", lambda: "")])


def test_relative_years_take_the_year_from_the_documents_latest_dated_day() -> None:
    document = ("Training began on 27th August 2024 and cadets graduated on January 10, 2025. "
                "Cops began deploying in June 2024. The UN said 5,600 died last year.")
    assert latest_dated_year(document) == 2025  # "June 2024" names no day
    assert relative_years("The UN said 5,600 died last year.", lambda: document) == [
        ("last year (2024)", "last year", frozenset({2024.0}))]
    assert relative_years("This year, and next year too.", lambda: document) == [
        ("This year (2025)", "This year", frozenset({2025.0})),
        ("next year (2026)", "next year", frozenset({2026.0}))]
    assert latest_dated_year("Deployed in June 2024, last year.") is None
    undated = "Deployed in June 2024, last year."
    assert relative_years("5,600 died last year.", lambda: undated) == []

    def unread() -> str:
        raise AssertionError("a sentence without a relative year reads no document")

    assert relative_years("5,600 died in 2023.", unread) == []


def test_strict_bounds_and_bare_figures() -> None:
    assert strict_bound("over 10") == strict_bound("more than 3,100 troops") == ">"
    assert strict_bound("just under 800") == "<"
    assert strict_bound("about 10") == strict_bound("10") == strict_bound("Moreover") == ""
    assert is_figure("10") and is_figure("over 1 million") and is_figure("June 2024")
    assert not is_figure("10 countries") and not is_figure("1000 (400 + 600)")


def test_a_sentence_about_another_of_the_series_is_not_the_answer() -> None:
    second = "A second contingent of 200 Kenyan police arrived in Haiti on Tuesday."
    assert names_other_ordinal("When did the first Kenyan police officers arrive?", second)
    assert not names_other_ordinal("When did the second contingent arrive?", second)
    # The initial group is the first; a sentence without an ordinal cannot be told apart.
    assert not names_other_ordinal("When did the first group arrive?",
                                   "The initial group landed on 25 June.")
    assert not names_other_ordinal("When did the first officers arrive?",
                                   "The officers arrived on 25 June.")
    assert not names_other_ordinal("When did the officers arrive?", second)
    # An ordinal about something else is no answer to the question's.
    assert not names_other_ordinal(
        "Who was the head of the Kenyan contingent when the second contingent arrived?",
        "It was his first comment since the new team of 217 officers landed on January 18.")


_ASSASSINATED = ("Haiti has been plagued by gang violence, with an estimated 80% of "
                 "Port-au-Prince under gang control since the 2021 assassination of President "
                 "Jovenel Moïse.")


@pytest.mark.parametrize(
    ("question", "claim", "cited", "past"),
    [
        ("Who is the Haitian president?", "Jovenel Moïse", _ASSASSINATED, True),
        ("Who's the president of Haiti?", "Jovenel Moise", _ASSASSINATED, True),
        ("Who is Haiti's prime minister?", "Ariel Henry",
         "The plan was drawn up under former Prime Minister Ariel Henry.", True),
        ("Who is the head of the mission?", "Smith",
         "The late commander Smith led it; ex-President Jones backed him.", True),
        # Asked in the past tense, the same text answers.
        ("Who was the Haitian president killed in 2021?", "Jovenel Moïse", _ASSASSINATED,
         False),
        # The title is held now; "then" as a word, not "then-", says nothing of it.
        ("Who is Haiti's prime minister?", "Alix Didier Fils-Aime",
         "The officers were welcomed by Haitian Prime Minister Alix Didier Fils-Aime.", False),
        ("Who is Kenya's president?", "Ruto",
         "The officers landed, and then Ruto spoke to them.", False),
        # Named once as former and once as holding it: not only a past holder.
        ("Who is the police chief?", "Normil",
         "Former deputy Normil is now police chief. Normil received them.", False),
    ],
)
def test_who_holds_a_title_now_is_not_someone_reported_dead_or_former(
    question: str, claim: str, cited: str, past: bool
) -> None:
    assert names_past_holder(question, claim, cited) is past


@pytest.mark.parametrize(
    ("question", "cited", "named"),
    [
        # "two weeks" there is how long the officers have been in Haiti, not a flight.
        ("How long did the Kenyan officers' flight to Haiti take?",
         "These new arrivals will join the 200 Kenyan police officers already there for "
         "approximately two weeks, bringing the total to 400.", False),
        ("How long did the flight take?", "The flight from Nairobi took 20 hours.", True),
        ("How long will the mission last?",
         "The mission was authorised for an initial period of twelve months.", True),
        ("How long did the training last?", "The cadets trained for four months.", True),
        ("How long did the journey take?", "The officers stayed two days in Nairobi.", False),
        # What is timed is not named before "take": nothing to require.
        ("How long did it take to deploy the officers?", "It took a year.", True),
        ("How long have the officers been in Haiti?", "They have been there two weeks.", True),
        ("When did the flight land?", "The officers landed on Saturday.", True),
    ],
)
def test_what_a_how_long_question_times_must_be_named_by_the_cited_text(
    question: str, cited: str, named: bool
) -> None:
    assert names_timed_thing(question, cited) is named


@pytest.mark.parametrize(
    ("question", "cited", "past"),
    [
        ("When will 200 more Kenyan officers arrive?",
         "A second contingent of 200 Kenyan police arrived in Haiti on Tuesday.", True),
        ("When will 200 more Kenyan officers arrive?",
         "There are now 600 Kenya police officers in Haiti and 200 more will join them on "
         "January 26, officials said.", False),
        ("When will the courts reopen?", "The courts reopened on 7 October.", True),
        ("When will the officers be deployed?", "The officers were deployed on Tuesday.", True),
        ("When is the vote expected to take place?", "The vote is set for March.", False),
        # Told of as past, but of what is to come.
        ("When will the courts reopen?",
         "The minister announced that the courts are expected to reopen in May.", False),
        # A question about the past.
        ("When did the officers arrive?", "The officers arrived on Tuesday.", False),
    ],
)
def test_a_when_will_question_is_not_answered_with_the_date_of_a_past_event(
    question: str, cited: str, past: bool
) -> None:
    assert past_for_future(question, cited) is past


def test_an_addition_is_told_from_a_total() -> None:
    assert states_increment("Kenya has dispatched an additional 217 police officers.",
                            frozenset({217.0}))
    assert states_increment("Kenya plans to deploy 600 more police officers.",
                            frozenset({600.0}))
    assert states_increment("There are now 600 officers and 200 more will join them.",
                            frozenset({200.0}))
    assert not states_increment("There are now 600 officers and 200 more will join them.",
                                frozenset({600.0}))
    assert not states_increment("Kenya has sent more than 600 officers.", frozenset({600.0}))
    assert not states_increment("Kenya sent 600 more than it promised.", frozenset({600.0}))


@pytest.mark.parametrize(
    ("question", "cited", "addition"),
    [
        ("When did Kenya begin deploying police officers to Haiti?",
         "There are now 600 Kenya police officers in Haiti and 200 more will join them on "
         "January 26, officials said.", True),
        ("When did the deployment start?", "An additional 217 officers landed on Saturday.",
         True),
        # Text that speaks of the beginning, or no addition, or a question about no beginning.
        ("When did Kenya begin deploying police officers to Haiti?",
         "After repeated delays, cops began deploying in June 2024, and 200 more followed.",
         False),
        ("When did Kenya begin deploying police officers to Haiti?",
         "Since June 2023, Kenya has sent over 600 officers.", False),
        ("When will more officers arrive?", "200 more will join them on January 26.", False),
        ("When will the additional officers start patrolling?",
         "The additional 600 officers will patrol from March.", False),
        ("How many people were kidnapped in the first three months?",
         "Another 438 people were kidnapped.", False),
    ],
)
def test_a_question_about_a_beginning_is_not_answered_from_an_addition(
    question: str, cited: str, addition: bool
) -> None:
    assert about_addition(question, cited) is addition
