"""Split documents into sentences and chunks that keep exact character offsets.

The original text is never modified: every span is a (start, end) pair into it.
Scraping debris (lone numbers, "previous post", wire attributions such as "Reuters+1",
headline links) is excluded from citable spans.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator

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


def _blocks(text: str) -> Iterator[tuple[int, int]]:
    """Yield (start, end) of prose blocks: lines joined where a sentence runs across a break.

    A line without terminal punctuation is a heading or debris when it looks like a title, is
    very short, or is the last line; otherwise it continues into the next line.
    """
    lines = [(s, e) for s, e in _line_spans(text)]
    block_start: int | None = None
    block_end = 0
    for i, (s, e) in enumerate(lines):
        # Trim surrounding whitespace within the line.
        body = text[s:e]
        lead = len(body) - len(body.lstrip())
        s, e = s + lead, s + len(body.rstrip())
        if s >= e:
            if block_start is not None:
                yield block_start, block_end
                block_start = None
            continue
        line = text[s:e]
        ends_sentence = bool(_ENDS_SENTENCE.search(line))
        is_last = all(text[a:b].strip() == "" for a, b in lines[i + 1 :])
        if not ends_sentence and (_is_title_like(line) or is_last):
            if block_start is not None:
                yield block_start, block_end
                block_start = None
            continue
        if block_start is None:
            block_start = s
        block_end = e
        if ends_sentence:
            yield block_start, block_end
            block_start = None
    if block_start is not None:
        yield block_start, block_end


def _is_abbreviation(text: str, dot: int) -> bool:
    word_start = dot
    while word_start > 0 and not text[word_start - 1].isspace():
        word_start -= 1
    token = text[word_start : dot + 1]
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


def _is_citable(sentence: str) -> bool:
    words = _WORD.findall(sentence)
    if len(words) < 3:
        return False
    return any(ch.islower() for ch in sentence)


def split_sentences(document: Document) -> list[Span]:
    """All citable sentences of a document, in order, as exact spans."""
    text = document.text
    spans: list[Span] = []
    for block_start, block_end in _blocks(text):
        start = block_start
        for match in _SENTENCE_END.finditer(text, block_start, block_end):
            if text[match.start()] == "." and _is_abbreviation(text, match.start()):
                continue
            spans.extend(_make_span(document, start, match.end()))
            start = match.end()
        spans.extend(_make_span(document, start, block_end))
    return spans


def _make_span(document: Document, start: int, end: int) -> list[Span]:
    start, end = _trim(document.text, start, end)
    sentence = document.text[start:end]
    if start >= end or not _is_citable(sentence):
        return []
    return [Span(document.source, start, end, sentence)]


def chunk_document(document: Document, max_words: int) -> list[Chunk]:
    """Group consecutive sentences into chunks of at most `max_words` words.

    A chunk never spans a paragraph gap of more than one blank line's worth of debris: it
    only joins sentences whose text between them is whitespace.
    """
    chunks: list[Chunk] = []
    group: list[Span] = []
    words = 0

    def flush() -> None:
        nonlocal group, words
        if group:
            chunks.append(_make_chunk(document, group))
        group, words = [], 0

    for sentence in split_sentences(document):
        n = len(_WORD.findall(sentence.text))
        contiguous = bool(group) and document.text[group[-1].end : sentence.start].strip() == ""
        if group and (words + n > max_words or not contiguous):
            flush()
        group.append(sentence)
        words += n
    flush()
    return chunks


def _make_chunk(document: Document, sentences: list[Span]) -> Chunk:
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
    )
