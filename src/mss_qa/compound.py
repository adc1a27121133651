"""Messages of more than one sentence: what they ask.

A sentence about the asker before the question ("I'm writing a report on Haiti. Who is
Kenya's Interior Minister?") is no part of it: its words only pull retrieval away, and it
is dropped.

Questions that ask two or three things at once are split and answered part by part.

"Who is Kenya's Interior Minister and when did he visit Haiti?" retrieved as one question
finds passages for either half, and the generator answers one of them, or neither, with
whatever name the passages hold. Each part is asked on its own instead, a later part read as
a follow-up to the one before (so "he" is the minister the first part found), and the
answers are put together under one set of citation numbers.

A part starts with a question word and says something of its own: "when did he arrive",
"how many officers", "which countries sent", "what tariff did"; "and what Rubio said" is
not one ("What is the difference between what Ruto said and what Rubio said?" stays whole),
nor is a bare "and when?". Parts joined by "and" must ask with different question words: in
"How many were killed and how many were kidnapped between April and June?" the dates belong
to both, and the first part asked alone would lose them; a later part that refers back
("Who leads the mission and who funds it?") and a whole question after a "?" ask alone.
Questions inside a yes-no frame ("Can you tell me who leads the mission and where ...?")
and a relative clause continued after "and" ("the officers who arrived ... and who
trained ...") are not split.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from mss_qa.answer import NOT_IN_SOURCES
from mss_qa.types import Answer, Citation, Conflict, ConflictClaim, Evidence, Part

MAX_PARTS = 3
_MIN_WORDS = 3

_AUX = (r"(?:is|are|was|were|does|do|did|has|have|had|will|would|can|could|should|may|"
        r"might|must)")
_PRONOUN = r"(?:he|she|they|it|we|you|i)"
# The opening of a part that stands as a question: a question word and an auxiliary ("when
# did", "what is"), "how" and what it measures, or "who"/"which" and a lower-case word
# ("who commands", "which countries") that is not a pronoun.
_PART_OPENING = (rf"(?:(?:who|whom|whose|what|which|when|where|why|how)\s+{_AUX}\b"
                 r"|(?:who|what|where|when|how)['’]s\b"
                 r"|how\s+(?:many|much|long|old|often|far)\b"
                 rf"|(?:who|which|when|where)\s+(?!{_PRONOUN}\b)[a-z]+\b"
                 rf"|(?:what|which)\s+[a-z]+\s+{_AUX}\b)")
# Where one part ends and the next begins: ", and" / "and" / ";" / "? " before a part's
# opening.
_JOIN = re.compile(rf"(?:\s*,?\s+(?:and|&)\s+(?:also\s+)?|\s*;\s*|(?P<end>\?)\s+)"
                   rf"(?={_PART_OPENING})", re.IGNORECASE)
_STARTS_AS_QUESTION = re.compile(
    rf"^\s*(?:who|whom|whose|what|which|when|where|why|how|{_AUX})\b", re.IGNORECASE)
_MARKER = re.compile(r"\[(\d+)\]")


# A sentence about the asker, or a greeting: first person, "please", "hi", "thanks".
_ABOUT_ASKER = re.compile(
    r"^(?:i|i['’]m|i['’]ve|i['’]d|i['’]ll|we|we['’]re|we['’]ve|my|our|me|us|please|hi|"
    r"hello|hey|thanks|thank you|good (?:morning|afternoon|evening))\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!])\s+(?=\S)")
# A comma or colon after which the question begins.
_ASKED_AFTER_PAUSE = re.compile(r"[,:;]\s*(?=(?:who|whom|whose|what|which|when|where|why|how)\b)",
                                re.IGNORECASE)


def without_preamble(question: str) -> str:
    """The question less the sentences before it that are about the asker or greet ("Hi!
    I'm writing a report. Who leads the mission?" -> "Who leads the mission?"), or such
    words before a comma or colon ("Hi, I'm a student, who leads ...?"); a message whose
    earlier sentences say anything else is kept whole (they may say what "it" is)."""
    sentences = _SENTENCE_END.split(question.strip())
    last = sentences[-1]
    if _ABOUT_ASKER.match(last) and not _STARTS_AS_QUESTION.match(last):
        # "Hi, I'm a student, who leads ...?", "I need to know: who leads ...?"
        asked = _ASKED_AFTER_PAUSE.search(last)
        if asked is not None:
            sentences[-1] = last[asked.end():]
            sentences[-1] = sentences[-1][:1].upper() + sentences[-1][1:]
    if not _STARTS_AS_QUESTION.match(sentences[-1]):
        return question
    if all(_ABOUT_ASKER.match(s) for s in sentences[:-1]):
        return sentences[-1]
    return question


def split_compound(question: str) -> list[str]:
    """The parts of a question that asks several things, each ending with "?"; a question
    that asks one thing (or more than `MAX_PARTS`) comes back alone."""
    if not _STARTS_AS_QUESTION.match(question):
        return [question]
    parts: list[str] = []
    whole_questions: list[bool] = []  # each part after the first: did a "?" end the one before
    at = 0
    for join in _JOIN.finditer(question):
        before = question[at:join.start()]
        opening = _QUESTION_WORD.match(question[join.end():])
        embedded = not parts and _EMBEDDED.match(before) is not None
        relative = opening is not None and re.search(
            rf"\s{opening.group(1)}\b", before, re.IGNORECASE) is not None
        if join.group("end") is None and (embedded or relative):
            # "Can you tell me who leads ... and where the officers are?" asks one thing;
            # "the officers who arrived ... and who trained ..." is one relative clause.
            continue
        parts.append(before)
        whole_questions.append(join.group("end") is not None)
        at = join.end()
    parts.append(question[at:])
    parts = [p.strip(" ,;?") for p in parts]
    asked = [_asks(p) for p in parts]
    # Alike parts joined by "and" share what follows ("... between April and June"), unless
    # the later one refers back ("Who leads the mission and who funds it?") or ends with
    # nothing they could share ("Who is the Haitian PM and who is Kenya's interior
    # minister?").
    same_word = any(asked[i] == asked[i + 1] and not whole_questions[i]
                    and not _REFERS_BACK.search(parts[i + 1])
                    and _SHARED_TAIL.search(parts[i + 1]) is not None
                    for i in range(len(parts) - 1))
    if (len(parts) == 1 or len(parts) > MAX_PARTS
            or any(len(p.split()) < _MIN_WORDS for p in parts) or same_word):
        return [question]
    return [p[:1].upper() + p[1:] + "?" for p in parts]


# A yes-no frame with a question inside it: "Can you tell me who ...", "Do the articles say
# where ...".
_EMBEDDED = re.compile(rf"^\s*{_AUX}\b.*\b(?:who|whom|whose|what|which|when|where|why|how)\b",
                       re.IGNORECASE)
# A phrase at the end of a part that the part before it may share: "between April and
# June", "in 2023", "according to the UN".
_SHARED_TAIL = re.compile(r"\b(?:in|on|at|between|during|since|from|before|after|by|until|over"
                          r"|under|to|for|of|according|last|this|next|so far|now|yet)\b"
                          r"(?:\s+\S+){0,6}$", re.IGNORECASE)
_REFERS_BACK = re.compile(r"\b(?:it|its|they|them|their|he|him|his|she|her)\b", re.IGNORECASE)
_QUESTION_WORD = re.compile(r"^\s*(who|whom|whose|what|which|when|where|why|how)\b",
                            re.IGNORECASE)


def _asks(part: str) -> str:
    """The question word a part opens with ("how" for "How many ...")."""
    match = _QUESTION_WORD.match(part)
    return match.group(1).lower() if match else part


def combine(question: str, parts: list[Answer]) -> Answer:
    """One answer from the answers to each part: each part's question and answer on a line
    of its own, citations numbered across all parts (a quote cited twice keeps one number).
    Answered when any part is, an unanswered part saying that the sources don't say;
    otherwise refused as a whole, each part's reason given."""
    citations: list[Citation] = []
    conflicts: list[Conflict] = []
    shown: list[Part] = []
    for part in parts:
        numbers = {c.n: _cite(citations, c) for c in part.citations}
        text = _renumbered(part.answer, numbers)
        shown.append(Part(part.question, part.status, text, part.reason))
        conflicts += [Conflict(c.topic, tuple(ConflictClaim(claim.text, numbers[claim.citation])
                                              for claim in c.claims))
                      for c in part.conflicts]
    timings: dict[str, float] = {}
    for part in parts:
        for key, seconds in part.timings.items():
            timings[key] = timings.get(key, 0.0) + seconds
    probabilities = [p.none_probability for p in parts if p.none_probability is not None]
    answered = any(p.status == "answered" for p in parts)
    reasons = [f"Part {i} ({p.question}): {p.reason}" for i, p in enumerate(parts, start=1)
               if p.reason]
    return Answer(
        question=question,
        status="answered" if answered else "insufficient",
        answer="\n".join(f"{p.question} {p.answer}" for p in shown) if answered
        else NOT_IN_SOURCES,
        citations=citations,
        conflicts=conflicts,
        reason=" ".join(reasons),
        timings=timings,
        retrieved=_distinct(e for p in parts for e in p.retrieved),
        shown=_distinct(e for p in parts for e in p.shown),
        none_probability=max(probabilities) if probabilities else None,
        parts=shown,
    )


def _renumbered(text: str, numbers: dict[int, int]) -> str:
    return _MARKER.sub(lambda m: f"[{numbers.get(int(m.group(1)), m.group(1))}]", text)


def _cite(citations: list[Citation], citation: Citation) -> int:
    for existing in citations:
        if (existing.source, existing.start, existing.end) == (
                citation.source, citation.start, citation.end):
            return existing.n
    n = len(citations) + 1
    citations.append(Citation(n, citation.source, citation.start, citation.end,
                              citation.quote, citation.support))
    return n


def _distinct(evidence: Iterable[Evidence]) -> list[Evidence]:
    seen: set[str] = set()
    kept = []
    for item in evidence:
        if item.chunk.id not in seen:
            seen.add(item.chunk.id)
            kept.append(item)
    return kept
