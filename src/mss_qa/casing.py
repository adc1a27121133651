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
                    forms[_key(word)][word] += 1
        # Kept where a capitalised form is what the collection writes: at least four times
        # as often as the lower-case one ("President" yes, "Multinational" 6 to 2 no).
        self._cased = {key: form for key, counts in forms.items()
                       for form, n in [counts.most_common(1)[0]]
                       if not form.islower()
                       and n >= 4 * sum(c for f, c in counts.items() if f.islower())}

    def restore(self, question: str) -> str:
        """`question` with the collection's capitals when it `lacks_case`; otherwise as it
        is."""
        if not lacks_case(question):
            return question
        letters = [ch for ch in _without_i(question) if ch.isalpha()]
        text = question.lower() if all(ch.isupper() for ch in letters) else question
        restored = _WORD.sub(lambda m: self._as_written(m.group()), text)
        return restored[:1].upper() + restored[1:]

    def _as_written(self, word: str) -> str:
        """`word` with the capitals of the collection's form, its own apostrophes kept
        ("kenya's" -> "Kenya's" from "Kenya’s"); "i" as "I"."""
        if word.lower() == "i" or word.lower().startswith(("i'", "i’")):
            return "I" + word[1:]
        form = self._cased.get(_key(word))
        if form is None:
            return word
        return "".join(c.upper() if f.isupper() else c for c, f in zip(word, form, strict=True))


def _key(word: str) -> str:
    return word.lower().replace("’", "'")


def _without_i(text: str) -> str:
    """`text` less the pronoun "I" ("I'm", "I'd"), capitalised in any case."""
    return re.sub(r"\bI(?=\b|['’])", "", text)


def lacks_case(question: str) -> bool:
    """The question's capitals say nothing: it has none past its first letter, or it is
    all capitals (the pronoun "I" aside)."""
    letters = [ch for ch in _without_i(question) if ch.isalpha()]
    return bool(letters) and (all(ch.isupper() for ch in letters)
                              or not any(ch.isupper() for ch in letters[1:]))


def _opens_sentence(text: str, at: int) -> bool:
    """True when the word at `at` starts the text, a sentence, a line or a quote."""
    before = text[:at].rstrip(" \t")
    return not before or before[-1] in _OPENING
