"""Make a follow-up question stand on its own, by rule rather than by the LLM.

Retrieval and the generator see one question at a time, so "When did he arrive?" after
"Who leads the mission?" must become "When did <the answer> arrive?" first. An LLM rewrite
would cost a second generation (seconds on a CPU); these rules cover the usual shapes:

- a pronoun ("he", "it", "their") is replaced by what it most likely refers to: the previous
  answer when that is a short name and the pronoun is "he" or "she" (or "him", "his", "her",
  "hers"), else the subject of the previous question;
- an elliptical question ("And Haiti's?", "What about in 2023?") borrows the previous
  question: a name replaces the previous question's name, a prepositional phrase is added to
  it, anything else is asked together with it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from mss_qa.lexicon import MONTHS, WEEKDAYS
from mss_qa.retrieve import tokenize

_WH = r"(?:who|whom|whose|what|which|when|where|why|how(?:\s+(?:many|much|long|old|often))?)"
_AUX = (
    r"(?:is|are|was|were|does|do|did|has|have|had|will|would|can|could|should|may|might|"
    r"'s|’s)"
)
_QUESTION_START = re.compile(rf"^(?:{_WH}|{_AUX})\b", re.IGNORECASE)
_FRAME = re.compile(rf"^\s*(?P<wh>{_WH})\b(?:\s+(?P<aux>{_AUX})\b)?\s*", re.IGNORECASE)
_AUX_WORD = re.compile(rf"^{_AUX}$", re.IGNORECASE)
_CONNECTIVE = re.compile(
    r"^\s*(?:and\s+)?(?:what|how)\s+about\b\s*|^\s*(?:and|also|but|or)\b[\s,]*", re.IGNORECASE
)
_PRONOUN = re.compile(r"\b(he|she|him|his|her|hers|they|them|their|theirs|it|its)\b", re.IGNORECASE)
_POSSESSIVE = {"his", "hers", "their", "theirs", "its"}
_ONE_PERSON = {"he", "she", "him", "his", "her", "hers"}
_BE = {"is", "are", "was", "were", "'s", "’s"}
_DETERMINER = {"the", "a", "an", "this", "that", "these", "those"}
_MARKER = re.compile(r"\s*\[\d+\]")
_NAME = re.compile(r"^(?:[A-Z][\w-]*(?:['’]s)?)(?:\s+[A-Z][\w-]*(?:['’]s)?)*$")
_NAME_RUN = re.compile(r"(?<!^)(?<![.?!]\s)\b[A-Z][\w-]*(?:\s+[A-Z][\w-]*)*(?:['’]s)?")
_PREPOSITION = re.compile(
    r"^(?:in|at|on|for|from|by|during|before|after|since|until|to|of|with|without|"
    r"according\s+to|among|between|under|over|outside|inside)\b",
    re.IGNORECASE,
)
# Longer follow-ups rarely lean on the previous turn; they are left alone.
_MAX_FOLLOW_UP_WORDS = 12
_MAX_NAME_WORDS = 5


def standalone_question(question: str, history: Sequence[Mapping[str, str]]) -> str:
    """`question` rewritten so it can be understood without `history`.

    `history` holds the earlier turns, oldest first, as `{"role": "user" | "assistant",
    "content": ...}` (other roles are ignored). Earlier follow-ups are resolved in turn, so a
    chain of them keeps its referent. A question that already stands alone is returned as is.
    """
    previous_question: str | None = None
    previous_answer = ""
    for turn in history:
        role, content = turn.get("role"), turn.get("content", "")
        if role == "user" and content.strip():
            previous_question = (
                _rewrite(content, previous_question, previous_answer)
                if previous_question
                else content.strip()
            )
            previous_answer = ""
        elif role == "assistant":
            previous_answer = content
    if previous_question is None:
        return question
    return _rewrite(question, previous_question, previous_answer)


def _rewrite(question: str, previous_question: str, previous_answer: str) -> str:
    text = " ".join(question.split())
    if len(text.split()) > _MAX_FOLLOW_UP_WORDS:
        return text
    connective = _CONNECTIVE.match(text)
    if connective:
        rest = text[connective.end() :].strip()
        if rest and not _QUESTION_START.match(rest):
            return _fill_ellipsis(rest.rstrip(" ?"), previous_question)
        text = rest[:1].upper() + rest[1:] if rest else text
    pronoun = _PRONOUN.search(text)
    if pronoun is None or _NAME_RUN.search(text[: pronoun.start()]):
        # No pronoun, or a name in the question itself comes first and is what it refers to.
        return text
    word = pronoun.group(1).lower()
    name = _short_name(previous_answer)
    # "he" is the person the previous answer named; "they" is what the previous question was
    # about ("the Kenyan contingent" after "Who commands the Kenyan contingent?"), not its
    # commander.
    # "it" after "Which country leads the mission?" answered "Kenya" is Kenya: a which- or
    # what-question asks for a thing, and its answer is what "it" or "they" now means.
    answer_is_referent = bool(name) and (word in _ONE_PERSON or _asks_for_thing(previous_question))
    referent = name if answer_is_referent else _subject(previous_question)
    if not referent or (not name and word in _ONE_PERSON
                        and not _about_someone(previous_question, referent)):
        # "he" is no "population of Kenya": left as it is, the question is refused as not
        # saying who it means.
        return text
    following = text[pronoun.end() :]
    possessive = word in _POSSESSIVE or (word == "her" and bool(re.match(r"\s+[a-z]", following)))
    replacement = referent + ("'s" if possessive else "")
    return text[: pronoun.start()] + replacement + following


def _about_someone(question: str, subject: str) -> bool:
    """The previous question asked about a person ("Who is the mission's spokesperson?") or
    its subject is a name or title ("Kenya's Interior Minister"), so "he" or "she" can be it."""
    return question.lstrip().lower().startswith(("who ", "whom ", "whose ")) or (
        subject[:1].isupper())


def _fill_ellipsis(fragment: str, previous_question: str) -> str:
    """'Haiti's' / 'in 2023' / 'the police', completed from the previous question."""
    base = previous_question.strip().rstrip(" ?")
    if _NAME.match(fragment) and len(fragment.split()) <= _MAX_NAME_WORDS:
        previous_name = _NAME_RUN.search(base)
        if previous_name:
            name = fragment
            if previous_name.group(0).endswith(("'s", "’s")) and not name.endswith(("'s", "’s")):
                name += "'s"
            return f"{base[: previous_name.start()]}{name}{base[previous_name.end() :]}?"
    if _PREPOSITION.match(fragment):
        return f"{base} {fragment}?"
    return f"{base}? What about {fragment}?"


# A capitalised word that names a time, not someone: "Saturday [1]" is no referent for "them"
# ("Theresa May" still is).
_TIME_WORDS = frozenset({*WEEKDAYS, *MONTHS, "today", "yesterday", "tomorrow"})


def _short_name(answer: str) -> str:
    """The previous answer when it is a bare name ("Kipchumba Murkomen [1]."), else ''."""
    text = _MARKER.sub("", answer).strip().rstrip(".")
    if (_NAME.match(text) and len(text.split()) <= _MAX_NAME_WORDS
            and text.lower() not in _TIME_WORDS):
        return text
    return ""


def _subject(question: str) -> str:
    """What the previous question asked about: its words after the question frame."""
    text = question.strip().rstrip(" ?")
    frame = _FRAME.match(text)
    if frame is None:
        return ""
    words = text[frame.end() :].split()
    aux = (frame.group("aux") or "").lower()
    if aux in _BE:
        # "Who is Kenya's Interior Minister" -> "Kenya's Interior Minister".
        return " ".join(words)
    if aux:
        # "When did the MSS mission start" -> "the MSS mission": the verb comes after it.
        return _first_noun_phrase(words)
    wh = frame.group("wh").lower()
    if wh.startswith("how "):
        # "How many police has Kenya sent" -> "police": the counted thing.
        counted = []
        for w in words:
            if _AUX_WORD.match(w):
                break
            counted.append(w)
        return " ".join(counted)
    # "Who leads the MSS mission" -> "the MSS mission", "Which country leads the MSS mission"
    # -> the same: the wh-phrase is the subject, what it asks about follows the verb, from
    # its first determiner or name.
    for i in range(1, len(words)):
        if words[i].lower() in _DETERMINER or words[i][:1].isupper():
            return " ".join(words[i:])
    # "Who funds police operations" -> "police operations"; after "Which country funds
    # police operations" the verb cannot be told from the noun: no subject.
    return " ".join(words[1:]) if wh in {"who", "whom"} else ""


def _asks_for_thing(question: str) -> bool:
    """A which- or what-question with no auxiliary ("Which country leads the mission?"),
    whose answer names the thing asked for."""
    frame = _FRAME.match(question.strip())
    return (frame is not None and frame.group("aux") is None
            and frame.group("wh").lower() in {"which", "what"})


def _first_noun_phrase(words: list[str]) -> str:
    """A leading name ("Kenya", "Garry Conille") or determiner, names and one noun."""
    if not words:
        return ""
    if words[0].lower() in _DETERMINER:
        # "the 217 Kenyan officers": names and figures up to the first common word.
        phrase = [words[0]]
        for w in words[1:]:
            phrase.append(w)
            if not (w[:1].isupper() or w[:1].isdigit()):
                break
        return " ".join(phrase)
    name = []
    for w in words:
        if not w[:1].isupper():
            break
        name.append(w)
    return " ".join(name)


# A question whose subject is a pronoun: "When did he visit Haiti?", "What is his role?".
_PRONOUN_SUBJECT = re.compile(
    rf"^\s*{_WH}\s+(?:\w+\s+)?{_AUX}\s+(?P<pronoun>he|she|they|him|them|his|her|their|it|its)\b",
    re.IGNORECASE,
)


def unresolved_reference(question: str) -> str | None:
    """The pronoun a question is about when nothing in it says who or what that is ("he" in
    "When did he visit Haiti?"), else None. Left so, the answer would be about whoever the
    passages happen to name."""
    match = _PRONOUN_SUBJECT.match(question)
    return match.group("pronoun") if match else None


def asks_nothing(question: str) -> bool:
    """The question names nothing to ask about: "Why?", "How so?", "Why is that?"."""
    return not tokenize(question)
