"""Split documents into sentences and chunks that keep exact character offsets.

The original text is never modified: every span is a (start, end) pair into it.
Scraping debris (lone numbers, "previous post", wire attributions such as "Reuters+1",
headline links) is excluded from citable spans. Marked headings (Markdown's "# Title" or a
line underlined with === or ---) open a chunk, and the later chunks of their section carry
them, so that what follows is read under its title; list items, however short, and "label:
value" lines ("Release date: 22-Jul-2001") and table rows ("| Platforms | 9 |") are kept as
spans of their own.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from typing import Literal

from mss_qa.types import Chunk, Document, Span

_ENDS_SENTENCE = re.compile(r"[.!?][\"”’)]*$")
_ABBREVIATIONS = {
    "mr.",
    "mrs.",
    "ms.",
    "dr.",
    "sen.",
    "rep.",
    "gen.",
    "col.",
    "lt.",
    "sgt.",
    "st.",
    "jr.",
    "sr.",
    "no.",
    "vs.",
    "etc.",
    "e.g.",
    "i.e.",
    "a.m.",
    "p.m.",
    "inc.",
    "ltd.",
    "co.",
    "corp.",
    "gov.",
    "pres.",
    "prof.",
    "jan.",
    "feb.",
    "aug.",
    "sept.",
    "oct.",
    "nov.",
    "dec.",
}
# A sentence ends at . ! or ? (plus closing quotes) followed by space and a capital, digit or quote.
_SENTENCE_END = re.compile(r"[.!?][\"”’)]*(?=\s+[\"“‘(]?[A-Z0-9])")
_INITIALS = re.compile(r"(?:\b[A-Z]\.)+$")
# News-wire attribution debris left by scrapers, e.g. "Reuters+2Anadolu Ajansı+2", "TimesLIVE".
_WIRE_NAMES = r"(?:Reuters|AP|AFP|Anadolu Ajansı|Africa News|TimesLIVE|Bloomberg|Al Jazeera|BBC)"
_LEADING_DEBRIS = re.compile(
    rf"^(?:(?:{_WIRE_NAMES}|[A-Z][\w’'-]*(?:\s[A-Z][\w’'-]*){{0,2}})\+\d+\s*|{_WIRE_NAMES}\s+)+"
)
_TRAILING_DEBRIS = re.compile(rf"(?:\s+{_WIRE_NAMES}(?:\+\d+)*)+$")
_WORD = re.compile(r"[^\W_][\w’'.,-]*", re.UNICODE)
# Markdown's "## Title", and the underline of a setext heading ("Title" over "=====").
_ATX_HEADING = re.compile(r"^#{1,6}[ \t]+(?=\S)")
_UNDERLINE = re.compile(r"^(?:=+|-+)$")
# A "label: value" line of notes, changelogs and front matter ("*Release date: 22-Jul-2001*",
# "Author: Jane Doe"): short and unpunctuated like a heading, but it states a fact. A label of
# at most five words, a colon, then a value.
_FIELD_LINE = re.compile(r"^[*_>\-\s]*[^\W\d_][\w’'()/-]*(?: [\w’'()/-]+){0,4}:\s+\S")

# A list item: "- ...", "* ...", "+ ...", "• ...", "1. ..." or "1) ...".
_LIST_ITEM = re.compile(r"^(?:[-*+•]|\d{1,3}[.)])[ \t]+\S")
# A table row as Markdown writes it, "| Platforms | 9 |", and the rule under its header row.
_TABLE_ROW = re.compile(r"^\|.*\|$")
_TABLE_RULE = re.compile(r"^\|?(?:\s*:?-{3,}:?\s*\|)+\s*(?::?-{3,}:?\s*)?$")

BlockKind = Literal["prose", "heading", "field", "item", "row"]
# A heading or a list item's last (or only) piece is content however short ("## Version
# 2.0", "* `git`"), and so is a table row of two cells or more ("| Platforms | 9 |"); other
# text needs three words.
_MIN_WORDS: dict[BlockKind, int] = {"item": 1, "heading": 1, "row": 2}


def is_table_row(text: str) -> bool:
    """A table row as Markdown writes it ("| Platforms | 9 |"), as chunking keeps it."""
    return bool(_TABLE_ROW.match(text.strip()))


def is_field_line(text: str) -> bool:
    """A "label: value" line that stands alone ("Release date: 22-Jul-2001"), not a sentence
    ("Note: the road is closed.")."""
    line = text.strip()
    return bool(_FIELD_LINE.match(line)) and "\n" not in line and not _ENDS_SENTENCE.search(line)


def _line_spans(text: str) -> Iterator[tuple[int, int]]:
    pos = 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        yield pos, pos + len(body)
        pos += len(line)


def _is_title_like(line: str) -> bool:
    words = _WORD.findall(line)
    if len(words) <= 3:
        return True
    capitalized = sum(1 for w in words if w[0].isupper() or w[0].isdigit())
    return capitalized / len(words) >= 0.6


def _blocks(text: str) -> Iterator[tuple[int, int, BlockKind]]:
    """Yield (start, end, kind) of blocks: prose (lines joined where a sentence runs across a
    break), marked headings, "label: value" lines and list items.

    An unmarked line without terminal punctuation is a heading or debris when it looks like a
    title, is very short, or is the last line (a "label: value" line among them is a block of
    its own); otherwise it continues into the next line. A list item opens a block, however
    short it is ("* `git`"), and runs on into the lines that continue it.
    """
    lines = [(s, e) for s, e in _line_spans(text)]
    # The index of the last non-blank line, found once: long files cost linear time.
    last_line = max((i for i, (a, b) in enumerate(lines) if text[a:b].strip()), default=-1)
    block_start: int | None = None
    block_end = 0
    block_kind: BlockKind = "prose"
    for i, (s, e) in enumerate(lines):
        # Trim surrounding whitespace within the line (and a byte-order mark opening the file).
        body = text[s:e]
        lead = len(body) - len(body.lstrip("\ufeff" if s == 0 else None).lstrip())
        s, e = s + lead, s + len(body.rstrip())
        if s >= e:
            if block_start is not None:
                yield block_start, block_end, block_kind
                block_start = None
            continue
        line = text[s:e]
        atx = _ATX_HEADING.match(line)
        # A setext heading's underline is the very next line: after a blank line, "---" is a
        # horizontal rule under a paragraph.
        underlined = i + 1 < len(lines) and bool(
            _UNDERLINE.match(text[lines[i + 1][0]:lines[i + 1][1]].strip()))
        if atx or (underlined and not _UNDERLINE.match(line)):
            if block_start is not None:
                yield block_start, block_end, block_kind
                block_start = None
            yield s + (atx.end() if atx else 0), e, "heading"
            continue
        if _TABLE_ROW.match(line):  # a row states a fact, however short: its own span
            if block_start is not None:
                yield block_start, block_end, block_kind
                block_start = None
            if not _TABLE_RULE.match(line):
                yield s, e, "row"
            continue
        ends_sentence = bool(_ENDS_SENTENCE.search(line))
        is_last = i == last_line
        item = bool(_LIST_ITEM.match(line))
        if item and block_start is not None:
            yield block_start, block_end, block_kind
            block_start = None
        # An indented line under a list item continues it, however short.
        continues_item = block_start is not None and block_kind == "item" and lead > 0
        if (not item and not continues_item and not ends_sentence
                and (_is_title_like(line) or is_last)):
            if block_start is not None:
                yield block_start, block_end, block_kind
                block_start = None
            if is_field_line(line):
                yield s, e, "field"
            continue
        if block_start is None:
            block_start, block_kind = s, "item" if item else "prose"
        block_end = e
        if ends_sentence:
            yield block_start, block_end, block_kind
            block_start = None
    if block_start is not None:
        yield block_start, block_end, block_kind


def _is_abbreviation(text: str, dot: int) -> bool:
    word_start = dot
    while word_start > 0 and not text[word_start - 1].isspace():
        word_start -= 1
    token = text[word_start : dot + 1].lstrip("([\"“‘")
    return token.lower() in _ABBREVIATIONS or bool(_INITIALS.search(token))


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    piece = text[start:end]
    lead = _LEADING_DEBRIS.match(piece)
    if lead:
        start += lead.end()
    piece = text[start:end]
    trail = _TRAILING_DEBRIS.search(piece)
    if trail:
        end = start + trail.start()
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _is_citable(sentence: str, min_words: int = 3) -> bool:
    words = _WORD.findall(sentence)
    if len(words) < min_words:
        return False
    return min_words < 3 or any(ch.islower() for ch in sentence)


def split_sentences(document: Document) -> list[Span]:
    """All citable sentences of a document, in order, as exact spans."""
    return [span for span, _ in _sentences(document)]


def _sentences(document: Document) -> list[tuple[Span, BlockKind]]:
    """Each citable sentence with the kind of block it comes from (a heading or a "label:
    value" line is one span, never split at its inner stops)."""
    text = document.text
    spans: list[tuple[Span, BlockKind]] = []
    for block_start, block_end, kind in _blocks(text):
        start = block_start
        if kind in ("prose", "item"):
            for match in _SENTENCE_END.finditer(text, block_start, block_end):
                if text[match.start()] == "." and _is_abbreviation(text, match.start()):
                    continue
                spans.extend((span, kind) for span in _make_span(document, start, match.end()))
                start = match.end()
        spans.extend((span, kind) for span in _make_span(
            document, start, block_end, min_words=_MIN_WORDS.get(kind, 3)))
    return spans


def _make_span(document: Document, start: int, end: int, min_words: int = 3) -> list[Span]:
    start, end = _trim(document.text, start, end)
    sentence = document.text[start:end]
    if start >= end or not _is_citable(sentence, min_words):
        return []
    return [Span(document.source, start, end, sentence)]


def chunk_document(document: Document, max_words: int) -> list[Chunk]:
    """Group consecutive sentences into chunks of at most `max_words` words.

    A chunk never spans a paragraph gap of more than one blank line's worth of debris: it
    only joins sentences whose text between them is whitespace (or a heading's underline, or
    the rule under a table's header row). A
    marked heading opens a chunk and keeps at least the sentence after it.
    """
    chunks: list[Chunk] = []
    group: list[Span] = []
    words = 0
    opened_by_heading = False
    section: Span | None = None  # the last marked heading

    def flush() -> None:
        nonlocal group, words
        if group:
            heading = None if opened_by_heading else section
            chunks.append(_make_chunk(document, group, heading))
        group, words = [], 0

    for sentence, kind in _sentences(document):
        n = len(_WORD.findall(sentence.text))
        lone_heading = opened_by_heading and len(group) == 1
        gap = document.text[group[-1].end : sentence.start] if group else ""
        bare = gap.strip(" \t\r\n=-" if lone_heading else None)
        contiguous = bool(group) and (not bare or bool(_TABLE_RULE.match(bare)))
        if group and (kind == "heading" or not contiguous
                      or (words + n > max_words and not lone_heading)):
            flush()
        if not group:
            opened_by_heading = kind == "heading"
        if kind == "heading":
            section = sentence
        group.append(sentence)
        words += n
    flush()
    return chunks


def _make_chunk(document: Document, sentences: list[Span], heading: Span | None = None
                ) -> Chunk:
    start, end = sentences[0].start, sentences[-1].end
    text = document.text[start:end]
    digest = hashlib.sha1(f"{document.source}:{start}:{end}:{text}".encode()).hexdigest()[:16]
    return Chunk(
        id=f"{document.source}:{start}-{end}:{digest}",
        source=document.source,
        start=start,
        end=end,
        text=text,
        sentences=tuple(sentences),
        heading=heading,
    )
