"""Chunking keeps exact offsets and never makes scraping debris citable."""

from __future__ import annotations

from pathlib import Path

import pytest

from mss_qa.chunk import chunk_document, split_sentences
from mss_qa.types import Document
from tests.conftest import SEEDS

SEED_FILES = sorted(SEEDS.glob("*.txt"))


def _doc(path: Path) -> Document:
    return Document(path.name, path.read_bytes().decode("utf-8"))


@pytest.mark.parametrize("path", SEED_FILES, ids=lambda p: p.name[:3])
def test_offsets_round_trip(path: Path) -> None:
    document = _doc(path)
    for chunk in chunk_document(document, max_words=70):
        assert document.text[chunk.start : chunk.end] == chunk.text
        for sentence in chunk.sentences:
            assert document.text[sentence.start : sentence.end] == sentence.text
            assert chunk.start <= sentence.start < sentence.end <= chunk.end


@pytest.mark.parametrize("max_words", [20, 40, 70])
def test_chunks_respect_the_word_budget(max_words: int) -> None:
    for path in SEED_FILES:
        for chunk in chunk_document(_doc(path), max_words=max_words):
            words = sum(len(s.text.split()) for s in chunk.sentences)
            assert words <= max_words or len(chunk.sentences) == 1


def test_debris_is_never_citable_on_its_own() -> None:
    texts = [s.text for p in SEED_FILES for s in split_sentences(_doc(p))]
    for debris in (
        "Reuters+1",
        "Reuters",
        "previous post",
        "2",
        "Africa News",
        "Expanded Coverage:",
        "Kipchumba Murkomen",
    ):
        assert debris not in texts
    assert not any(t.startswith(("Reuters", "TimesLIVE", "Anadolu", "Africa News")) for t in texts)
    assert not any("+1" in t or "+2" in t for t in texts)


def test_sentences_split_at_ends_not_at_abbreviations() -> None:
    document = Document(
        "x.txt",
        "The U.N. Security Council met on Monday. Sen. Marco Rubio spoke "
        "at 2 a.m. Kenya time. Then it ended.",
    )
    assert [s.text for s in split_sentences(document)] == [
        "The U.N. Security Council met on Monday.",
        "Sen. Marco Rubio spoke at 2 a.m. Kenya time.",
        "Then it ended.",
    ]


def test_a_sentence_broken_across_lines_stays_one_sentence() -> None:
    document = Document(
        "x.txt",
        "Heading Line\nMSS is supporting the HNP in securing the Police"
        "\nSchool with a four-month course.\n2\nprevious post",
    )
    sentences = split_sentences(document)
    assert len(sentences) == 1
    assert sentences[0].text.startswith("MSS is supporting")
    assert sentences[0].text.endswith("four-month course.")


def test_wire_attributions_are_trimmed_from_sentences() -> None:
    text = (
        "Kenya sent 217 officers. Reuters+2Anadolu Ajansı+2 According to reports, they will "
        "train police. Reuters But some officers complained about pay."
    )
    sentences = [s.text for s in split_sentences(Document("x.txt", text))]
    assert sentences == [
        "Kenya sent 217 officers.",
        "According to reports, they will train police.",
        "But some officers complained about pay.",
    ]


NOTES = (
    "This file holds the release notes (i.e. Tcl/Tk builds too).\n"
    "\n"
    "What's New in Tool 0.8?\n"
    "=======================\n"
    "\n"
    "*Release date: 22-Jul-2001*\n"
    "\n"
    "- New tarball released.\n"
    "\n"
    "## Requirements\n"
    "\n"
    "The build needs the following tools:\n"
    "\n"
    "* `cargo` and `rustc`\n"
    "* `git`\n"
    "* a C compiler that supports\n"
    "  C11 atomics\n"
)


def test_a_marked_heading_opens_a_chunk_and_is_read_with_what_follows() -> None:
    document = Document("notes.md", NOTES)
    chunks = chunk_document(document, max_words=70)
    assert [[s.text for s in c.sentences] for c in chunks] == [
        ["This file holds the release notes (i.e. Tcl/Tk builds too)."],
        ["What's New in Tool 0.8?", "*Release date: 22-Jul-2001*", "- New tarball released."],
        ["Requirements", "The build needs the following tools:", "* `cargo` and `rustc`",
         "* `git`", "* a C compiler that supports\n  C11 atomics"],
    ]
    for chunk in chunks:
        assert document.text[chunk.start:chunk.end] == chunk.text
        for sentence in chunk.sentences:
            assert document.text[sentence.start:sentence.end] == sentence.text
    # A heading keeps the sentence after it even past the word budget.
    small = chunk_document(document, max_words=4)
    assert [s.text for s in small[1].sentences][:2] == ["What's New in Tool 0.8?",
                                                        "*Release date: 22-Jul-2001*"]


def test_label_value_lines_are_spans_of_their_own_but_bare_headings_are_not() -> None:
    texts = [s.text for s in split_sentences(Document("x.txt", (
        "Author: Jane Doe\nRelease Notes\nVersion two adds search to the tool.\n"
        "Expanded Coverage:\nprevious post")))]
    assert texts == ["Author: Jane Doe", "Version two adds search to the tool."]


def test_table_rows_are_spans_of_their_own_however_short() -> None:
    text = ("# Project Falcon\n\nProject Falcon is a data tool.\n\n| Metric | Value |\n"
            "|:---|---:|\n| Users | 12,500 |\n| Uptime | 99.9% |\n| x |\n")
    chunks = chunk_document(Document("falcon.md", text), max_words=8)
    assert [[s.text for s in c.sentences] for c in chunks] == [
        ["Project Falcon", "Project Falcon is a data tool."],
        ["| Metric | Value |", "| Users | 12,500 |", "| Uptime | 99.9% |"],
    ]
    assert chunks[1].heading is not None and chunks[1].heading.text == "Project Falcon"


def test_a_heading_after_a_byte_order_mark_is_still_a_heading() -> None:
    text = "\ufeff# Version 4.2\n\n*Release date: 9 May 2022*\n"
    chunks = chunk_document(Document("notes.md", text), max_words=30)
    assert [s.text for s in chunks[0].sentences] == ["Version 4.2", "*Release date: 9 May 2022*"]


def test_a_chunk_that_continues_a_section_carries_its_heading() -> None:
    document = Document("notes.md", NOTES)
    chunks = chunk_document(document, max_words=8)
    headings = {c.sentences[0].text: c.heading.text if c.heading else None for c in chunks}
    # The chunks a heading opens hold it as their first sentence; the ones after it in the
    # same section carry it.
    assert headings["What's New in Tool 0.8?"] is None
    assert headings["- New tarball released."] == "What's New in Tool 0.8?"
    assert headings["* `cargo` and `rustc`"] == "Requirements"
    assert headings["This file holds the release notes (i.e. Tcl/Tk builds too)."] is None
    git = next(c for c in chunks if c.sentences[0].text == "* `cargo` and `rustc`")
    assert git.heading is not None and git.heading.end <= git.start
    assert document.text[git.heading.start:git.heading.end] == git.heading.text


def test_a_rule_under_a_paragraph_is_no_heading() -> None:
    text = ("The survey ran for a year. It counted\nbirds on every bank.\n\n---\n\n"
            "Volunteers walked the river.\n")
    chunks = chunk_document(Document("x.md", text), max_words=30)
    assert [s.text for c in chunks for s in c.sentences] == [
        "The survey ran for a year.", "It counted\nbirds on every bank.",
        "Volunteers walked the river."]
    assert all(c.heading is None for c in chunks)
