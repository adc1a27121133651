"""Verification: quotes must be exact spans; claims must carry their facts."""

from __future__ import annotations

from mss_qa.types import Citation, Span
from mss_qa.verify import (
    best_supporting_span,
    literal_support,
    names_in,
    numbers_in,
    verify_citation,
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
