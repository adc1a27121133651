"""Capitals for a question typed without them ("who is the president of haiti") or in
capitals only, taken from how the collection writes each word ("Haiti", "MSS").

The checks that keep an answer to the country or person asked about read names by their
capitals, and so does the generator: "what is the population of kenya" was answered with
Haiti's population, which "What is the population of Kenya?" is not. A question that already
has capitals past its first letter is left as typed.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable

# A word: letters, digits and inner apostrophes or hyphens ("Port-au-Prince", "Haiti's").
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
# What ends a sentence or opens a line or quote: a word after it is capitalised anyway.
_OPENING = frozenset(".!?:;\"“‘(#-*|>\n")


class Casing:
    """The usual written form of each word of a collection that is written with capitals."""

    def __init__(self, texts: Iterable[str]) -> None:
        forms: defaultdict[str, Counter[str]] = defaultdict(Counter)
        for text in texts:
            for match in _WORD.finditer(text):
                word = match.group()
                if word.islower() or not _opens_sentence(text, match.start()):
                    forms[word.lower()][word] += 1
        # Kept where a capitalised form is what the collection writes: at least four times
        # as often as the lower-case one ("President" yes, "Multinational" 6 to 2 no).
        self._cased = {lower: form for lower, counts in forms.items()
                       for form, n in [counts.most_common(1)[0]]
                       if form != lower and n >= 4 * counts[lower]}

    def restore(self, question: str) -> str:
        """`question` with the collection's capitals when it `lacks_case`; otherwise as it
        is."""
        if not lacks_case(question):
            return question
        letters = [ch for ch in question if ch.isalpha()]
        text = question.lower() if all(ch.isupper() for ch in letters) else question
        restored = _WORD.sub(lambda m: self._cased.get(m.group().lower(), m.group()), text)
        return restored[:1].upper() + restored[1:]


def lacks_case(question: str) -> bool:
    """The question's capitals say nothing: it has none past its first letter, or it is
    all capitals."""
    letters = [ch for ch in question if ch.isalpha()]
    return bool(letters) and (all(ch.isupper() for ch in letters)
                              or not any(ch.isupper() for ch in letters[1:]))


def _opens_sentence(text: str, at: int) -> bool:
    """True when the word at `at` starts the text, a sentence, a line or a quote."""
    before = text[:at].rstrip(" \t")
    return not before or before[-1] in _OPENING
