"""Capitals for a question typed without them ("who is the president of haiti") or in
capitals only, taken from how the collection writes each word ("Haiti", "MSS").

The checks that keep an answer to the country or person asked about read names by their
capitals, and so does the generator: "what is the population of kenya" was answered with
Haiti's population, which "What is the population of Kenya?" is not. A question that already
has capitals past its first letter is left as typed.

A common word that the collection capitalises only inside a name ("Airport" in "Jomo Kenyatta
International Airport", "Weapons" in "Special Weapons and Tactics Team") keeps its lower case
unless the question holds the name whole: "which airport did they fly from" is about an
airport, not a name.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable

# A word: letters, digits and inner apostrophes or hyphens ("Port-au-Prince", "Haiti's").
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
# What ends a sentence or opens a line or quote: a word after it is capitalised anyway.
_OPENING = frozenset(".!?:;\"“‘(#-*|>\n")


_MAX_NAME_WORDS = 5


class Casing:
    """The usual written form of each word of a collection that is written with capitals,
    and of each name of several words. `common_words` (lower case) are words of the language
    that are names only in company ("airport"): restored alone only where the collection
    also writes them capitalised on their own."""

    def __init__(self, texts: Iterable[str], common_words: Collection[str] = ()) -> None:
        forms: defaultdict[str, Counter[str]] = defaultdict(Counter)
        alone: Counter[str] = Counter()
        names: dict[tuple[str, ...], tuple[str, ...]] = {}
        # Read twice, word by word (keeping every text's words would cost about 750 MB at
        # 100,000 chunks).
        texts = list(texts)
        for text in texts:
            words, keys, opens, joined = _words(text)
            run: list[int] = []  # indices of a run of capitalised words one space apart
            for i, word in enumerate(words):
                capital = not word.islower()
                if not capital or not opens[i]:
                    forms[keys[i]][word] += 1
                if not capital:
                    _add_names(names, words, keys, run)
                    run = []
                    continue
                beside = (joined[i] and not words[i - 1].islower()) or (
                    i + 1 < len(words) and joined[i + 1] and not words[i + 1].islower())
                if not opens[i] and not beside:
                    alone[keys[i]] += 1
                if joined[i] and run:
                    run.append(i)
                    continue
                _add_names(names, words, keys, run)
                # A plain capital that opens a sentence starts no name ("The Haitian ...").
                run = [] if opens[i] and word[1:].islower() else [i]
            _add_names(names, words, keys, run)
        common = frozenset(common_words)
        # Kept where a capitalised form is what the collection writes: at least four times
        # as often as the lower-case one ("President" yes, "Multinational" 6 to 2 no), and,
        # for a common word, written so on its own at least once.
        self._cased = {key: form for key, counts in forms.items()
                       for form, n in [counts.most_common(1)[0]]
                       if not form.islower()
                       and n >= 4 * sum(c for f, c in counts.items() if f.islower())
                       and (alone[key] > 0 or key not in common)}
        # A name is kept where the collection writes those words so more often than not
        # ("MSS mission" twice, "MSS Mission" once: no name).
        firsts = {key[0] for key in names}
        written: defaultdict[tuple[str, ...], Counter[tuple[str, ...]]] = defaultdict(Counter)
        for text in texts:
            words, keys, _, joined = _words(text)
            for i, first in enumerate(keys):
                if first not in firsts:
                    continue
                for end in range(i + 2, min(len(words), i + _MAX_NAME_WORDS) + 1):
                    if not joined[end - 1]:
                        break
                    key = tuple(keys[i:end])
                    if key in names:
                        written[key][tuple(words[i:end])] += 1
        self._names = {key: form for key, form in names.items()
                       if written[key][form] * 2 > sum(written[key].values())}

    def restore(self, question: str) -> str:
        """`question` with the collection's capitals when it `lacks_case`; otherwise as it
        is."""
        if not lacks_case(question):
            return question
        letters = [ch for ch in _without_i(question) if ch.isalpha()]
        text = question.lower() if all(ch.isupper() for ch in letters) else question
        words = list(_WORD.finditer(text))
        keys = [_key(m.group()) for m in words]
        written = [self._as_written(m.group()) for m in words]
        i = 0
        while i < len(words):
            # A name of several words the question holds whole ("kenya's interior minister").
            for n in range(min(_MAX_NAME_WORDS, len(words) - i), 1, -1):
                form = self._names.get(tuple(keys[i:i + n]))
                if form is not None:
                    for j, name_word in enumerate(form):
                        written[i + j] = _with_capitals(words[i + j].group(), name_word)
                    i += n - 1
                    break
            i += 1
        pieces, at = [], 0
        for match, word in zip(words, written, strict=True):
            pieces += [text[at:match.start()], word]
            at = match.end()
        restored = "".join([*pieces, text[at:]])
        return restored[:1].upper() + restored[1:]

    def _as_written(self, word: str) -> str:
        """`word` with the capitals of the collection's form, its own apostrophes kept
        ("kenya's" -> "Kenya's" from "Kenya’s"); "i" as "I"."""
        if word.lower() == "i" or word.lower().startswith(("i'", "i’")):
            return "I" + word[1:]
        form = self._cased.get(_key(word))
        return word if form is None else _with_capitals(word, form)


def _with_capitals(word: str, form: str) -> str:
    """`word` with the capitals of `form` (the same word as the collection writes it)."""
    if len(word) != len(form):
        return word
    return "".join(c.upper() if f.isupper() else c for c, f in zip(word, form, strict=True))


def _add_names(names: dict[tuple[str, ...], tuple[str, ...]], words: list[str],
               keys: list[str], run: list[int]) -> None:
    """Each stretch of two or more words of a run of capitalised words, as a name (none for
    a run of fewer than two)."""
    if len(run) < 2:
        return
    first, last = run[0], run[-1] + 1
    for start in range(first, last - 1):
        for end in range(start + 2, min(last, start + _MAX_NAME_WORDS) + 1):
            names.setdefault(tuple(keys[start:end]), tuple(words[start:end]))


def _words(text: str) -> tuple[list[str], list[str], list[bool], list[bool]]:
    """The words of `text`, their keys, whether each capitalised one opens a sentence (or the
    text, a line or a quote), and whether one space joins each to the word before."""
    words, keys, opens, joined = [], [], [], []
    previous_end = -1
    for match in _WORD.finditer(text):
        start, word = match.start(), match.group()
        words.append(word)
        keys.append(_key(word))
        opens.append(not word.islower() and _opens_sentence(text, start))
        joined.append(previous_end >= 0 and text[previous_end:start] == " ")
        previous_end = match.end()
    return words, keys, opens, joined


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
    before = text[max(0, at - 40):at].rstrip(" \t")
    return (not before and at <= 40) or (bool(before) and before[-1] in _OPENING)
