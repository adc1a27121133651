"""How the chat UI renders answers and articles (pure functions; the browser test drives it)."""

from __future__ import annotations

from typing import Any

from mss_qa.apps.ui import HIGHLIGHT_ID, citation_choices, render_answer, render_source


def contract(**fields: Any) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "question": "q?",
        "status": "answered",
        "answer": "",
        "citations": [],
        "conflicts": [],
        "reason": "",
    }
    answer.update(fields)
    return answer


CITATIONS = [
    {"n": 1, "source": "a.txt", "start": 0, "end": 9, "quote": "700,000 *displaced*"},
    {"n": 2, "source": "b.txt", "start": 5, "end": 20, "quote": "more than one million"},
]


def test_a_refusal_is_a_distinct_notice_with_its_reason() -> None:
    html = render_answer(
        contract(status="insufficient", answer="The sources don't say.", reason="Closest: x.")
    )
    assert html.startswith('<div class="mss-notice mss-insufficient">The sources don&#x27;t say.')
    assert "Closest: x." in html


def test_a_conflict_is_a_distinct_notice_and_both_sides_are_quoted() -> None:
    html = render_answer(
        contract(
            answer="The sources disagree: 700,000 [1]; more than one million [2].",
            citations=CITATIONS,
            conflicts=[{"topic": "q?", "claims": [{"text": "700,000", "citation": 1}]}],
        )
    )
    assert html.startswith('<div class="mss-notice mss-conflict">The sources disagree</div>')
    assert "**[1]** “700,000 \\*displaced\\*” — *a.txt*" in html  # Markdown in quotes escaped
    assert "**[2]** “more than one million” — *b.txt*" in html


def test_a_plain_answer_has_no_notice_and_escapes_html() -> None:
    html = render_answer(contract(answer="<b>Murkomen</b> [1]", citations=CITATIONS[:1]))
    assert "mss-notice" not in html and "&lt;b&gt;Murkomen&lt;/b&gt; \\[1\\]" in html


def test_each_part_of_a_question_that_asked_several_things_gets_its_own_line() -> None:
    html = render_answer(contract(
        answer="Who? Otunga [1]\nWhen? The sources don't say.", citations=CITATIONS[:1],
        parts=[{"question": "Who?", "status": "answered", "answer": "Otunga [1]"},
               {"question": "When?", "status": "insufficient",
                "answer": "The sources don't say."}]))
    assert html.startswith("*Who?* Otunga \\[1\\]\n\n*When?* The sources don't say.")
    assert "**[1]** “700,000 \\*displaced\\*” — *a.txt*" in html


def test_the_article_marks_exactly_the_quoted_span() -> None:
    html = render_source("a.txt", "Before <the> quote & after", 7, 12)
    assert f'<mark id="{HIGHLIGHT_ID}">&lt;the&gt;</mark>' in html
    assert "Before " in html and " quote &amp; after" in html


def test_citation_choices_name_the_source_and_shorten_the_quote() -> None:
    long_quote = {**CITATIONS[1], "quote": "word " * 40}
    choices = citation_choices(contract(citations=[CITATIONS[0], long_quote]))
    assert choices[0] == ("[1] a.txt: “700,000 *displaced*”", 0)
    assert choices[1][0].endswith("…”") and len(choices[1][0]) < 110
    assert citation_choices(None) == []
