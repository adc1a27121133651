"""Make a follow-up question stand on its own, by rule rather than by the LLM.

Retrieval and the generator see one question at a time, so "When did he arrive?" after
"Who leads the mission?" must become "When did <the answer> arrive?" first. An LLM rewrite
would cost a second generation (seconds on a CPU); these rules cover the usual shapes:

- a pronoun ("he", "it", "their") is replaced by what it most likely refers to: the previous
  answer when that is a short name and the pronoun is "he" or "she" (or "him", "his", "her",
  "hers"), or any pronoun after a which- or what-question that the answer names; else the
  subject of the previous question, without its verb ("the MSS mission" of "When was the MSS
  mission launched?"). A pronoun after a noun of the question's own ("What did the officers
  say when they arrived?") and a dummy "it" ("Is it true that ...") are left alone;
- an elliptical question ("And Haiti's?", "What about in 2023?") borrows the previous
  question: a name replaces the previous question's name (a country its nationality, a
  person a title), a year, month or place replaces one of its kind, another prepositional
  phrase is added, anything else is asked together with it; a bare "Why?" after a yes-no
  question asks why of it, and "How many have arrived?" counts what was counted before.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from mss_qa.lexicon import COUNTRY_OF, MONTHS, WEEKDAYS, YEAR
from mss_qa.retrieve import STOPWORDS, tokenize

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
# A name: capitalised words ("O'Neill's" among them), and a number after the first ("Resolution
# 2699").
_NAME = re.compile(r"^(?:[A-Z][\w-]*(?:['’][A-Z][\w-]*)?(?:['’]s)?)"
                   r"(?:\s+(?:[A-Z][\w-]*(?:['’][A-Z][\w-]*)?(?:['’]s)?|\d[\d,.]*))*$")
_NAME_RUN = re.compile(r"(?<!^)(?<![.?!]\s)\b[A-Z][\w-]*(?:\s+[A-Z][\w-]*)*(?:['’]s)?")
_PREPOSITION = re.compile(
    r"^(?:in|at|on|for|from|by|during|before|after|since|until|to|of|with|without|"
    r"according\s+to|among|between|under|over|outside|inside)\b",
    re.IGNORECASE,
)
# Longer follow-ups rarely lean on the previous turn; they are left alone, but for a pronoun
# that is what they ask about ("What did he say about ...").
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
    long = len(text.split()) > _MAX_FOLLOW_UP_WORDS
    if long and unresolved_reference(text) is None and not _about_someone_else(text):
        return text
    again = None if long else _asked_again(text, previous_question)
    if again is not None:
        return again
    # A long question about "he" ("What did he say about the conditions his officers are
    # facing in Port-au-Prince?") has its pronoun resolved; it is no ellipsis.
    connective = _CONNECTIVE.match(text) or _SAME_FOR.match(text)
    if connective and not long:
        rest = text[connective.end() :].strip()
        if rest and not _QUESTION_START.match(rest):
            return _fill_ellipsis(rest.rstrip(" ?"), previous_question)
        text = rest[:1].upper() + rest[1:] if rest else text
    elif (not long and _FRAGMENT.match(text) and not _QUESTION_START.match(text)
          and _says_what_changes(text)):
        # "in 2024?", "Jamaica?", "Haiti's?": a fragment with nothing before it.
        return _fill_ellipsis(text.rstrip(" ?"), previous_question)
    other = _ELSE.match(text)
    asked = _FRAME.match(previous_question.strip())
    if (other and asked and asked.group("wh").lower() in {"which", "what"}
            and asked.group("aux") is None and other.group(1).lower() in {"who", "what"}):
        # "Who else?" after "Which countries have sent police?" -> "Which other countries
        # have sent police?"
        previous = previous_question.strip()
        wh = asked.group("wh")
        return f"{wh.capitalize()} other {previous[len(wh):].lstrip()}"
    if other and asked and asked.group("wh").lower() == other.group(1).lower():
        # "Who else?" after "Who visited Haiti in May?" -> "Who else visited Haiti in May?"
        rest = previous_question.strip()[len(other.group(1)):]
        return f"{other.group(1).capitalize()} else{rest}"
    uncounted = _UNCOUNTED.match(text)
    if uncounted and _COUNTING.match(previous_question):
        # "How many have arrived?" after "How many officers did Kenya pledge?".
        counted = _subject(previous_question).removeprefix("the ")
        if counted:
            return f"{text[: uncounted.end(1)]} {counted}{text[uncounted.end(1) :]}"
    pronoun = _referring_pronoun(text)
    if pronoun is None:
        return text
    word = pronoun.group(1).lower()
    if word not in _SINGLE_OBJECT and _names_someone(text[: pronoun.start()], word):
        # A name in the question itself comes first and is what it refers to ("Did Ruto
        # meet his officers?"); "it" or "him" after one is someone or something else
        # ("What did Rubio say about it?").
        return text
    name = _short_name(previous_answer)
    if word in _ONE_PERSON and _PLACE_OR_TIME_QUESTION.match(previous_question):
        name = ""  # "Port-au-Prince", the answer to "Where did he go?", is not "he"
    # "he" is the person the previous answer named; "they" is what the previous question was
    # about ("the Kenyan contingent" after "Who commands the Kenyan contingent?"), not its
    # commander.
    # "it" after "Which country leads the mission?" answered "Kenya" is Kenya: a which- or
    # what-question asks for a thing, and its answer is what "it" or "they" now means.
    answer_is_referent = bool(name) and (word in _ONE_PERSON or _asks_for_thing(previous_question))
    referent = name if answer_is_referent else _subject(previous_question)
    several = _several(previous_answer)
    if word in _PLURAL and several:
        # "How many officers did they send?" after "Which countries sent personnel?"
        # answered "Jamaica, Belize and Guatemala", or "When will they arrive?" after "What
        # did Ruto promise?" answered "1,000 officers": what the answer names.
        referent, answer_is_referent = several, True
    elif word in _PLURAL and not _is_plural(referent):
        # "How did they react?" after "What did Ruto tell the Kenyan officers?": the
        # officers, not Ruto; "When did they land?" after "What airline flew the officers?"
        # answered "Kenya Airways": the officers, not the airline.
        referent = _plural_phrase(previous_question) or referent
    if not referent or (not name and word in _ONE_PERSON
                        and not _about_someone(previous_question, referent)):
        # "he" is no "population of Kenya": left as it is, the question is refused as not
        # saying who it means.
        return text
    following = text[pronoun.end() :]
    # "her role" is possessive, "her to resign" and "her for it" are not.
    after_her = re.match(r"\s+([a-z]+)", following) if word == "her" else None
    possessive = word in _POSSESSIVE or (
        after_her is not None and after_her.group(1) not in STOPWORDS | {"to"})
    # "the gangs' demands", "Kenya's officers".
    replacement = referent + (("'" if _is_plural(referent) else "'s") if possessive else "")
    if (re.search(r"\bof\s+$", text[: pronoun.start()], re.IGNORECASE)
            and referent.split()[0].lower() not in _DETERMINER and not _is_names(referent)):
        replacement = f"the {replacement}"  # "how many of them": "of the officers"
    return text[: pronoun.start()] + replacement + following


_SAME_FOR = re.compile(
    r"^\s*(?:and\s+)?(?:the\s+)?same\s+(?:question\s+|thing\s+)?(?:for|about)\b\s*",
    re.IGNORECASE)
# A follow-up of a few words that is no question of its own: "in 2024?", "Jamaica?".
_FRAGMENT = re.compile(
    r"^\s*(?:(?:in|at|on|for|from|during|since|before|after|under)\s+)?"
    r"(?:the\s+)?[\w’'-]+(?:\s+[\w’'-]+)?\s*\??\s*$", re.IGNORECASE)
_ELSE = re.compile(r"^\s*(who|what|where)\s+else\s*\??\s*$", re.IGNORECASE)
# A question word with nothing of its own to ask about: "Why?", "How come?", "When was
# that?", "On which airline?".
_BARE_WH = re.compile(
    r"^\s*(?:and\s+|so\s+)?(?P<wh>why|when|where|how(?!\s+come)"
    r"|(?:(?:in|at|on|for|from|by|with|under|to|into|through)\s+)?(?:which|what)\s+"
    r"(?!ones?\b|else\b|about\b|now\b|then\b)[a-z]+)"
    r"(?P<that>\s+(?:was|did)\s+(?:that|this|it)(?:\s+happen)?)?\s*\??\s*$"
    r"|^\s*(?:and\s+|so\s+)?(?P<come>how\s+come)\s*\??\s*$", re.IGNORECASE)


def _asked_again(text: str, previous_question: str) -> str | None:
    """The previous question asked again with a question word: "Why?" (or "How come?")
    after "Did Kenya delay the deployment?" is "Why did Kenya delay ...?", "On which
    airline?" after "Did the officers fly from Nairobi?" is "On which airline did the
    officers fly from Nairobi?"; "When was that?" after "When did Ruto visit Haiti?" is that
    question again. None for anything else."""
    bare = _BARE_WH.match(text)
    previous = previous_question.strip()
    if bare is None or not previous:
        return None
    wh = "why" if bare.group("come") else " ".join(bare.group("wh").split())
    if _AUX_WORD.match(previous.split()[0]):
        return f"{wh[:1].upper()}{wh[1:]} {previous[:1].lower()}{previous[1:]}"
    asked = _FRAME.match(previous)
    if bare.group("that") and asked and asked.group("wh").lower() == wh.lower():
        return previous
    return None


_COUNTING = re.compile(r"^\s*how\s+(?:many|much)\b", re.IGNORECASE)
_UNCOUNTED = re.compile(rf"^\s*(how\s+(?:many|much))\s+{_AUX}\b", re.IGNORECASE)


_PLURAL = frozenset({"they", "them", "their", "theirs"})
_SINGLE_OBJECT = frozenset({"it", "him"})


def _is_plural(phrase: str) -> bool:
    last = phrase.split()[-1].lower() if phrase.split() else ""
    return last.endswith("s") and not last.endswith(("ss", "'s", "’s"))


def _plural_phrase(question: str) -> str:
    """The first "the ..." phrase of `question` that names several ("the Kenyan officers";
    "more officers" as "the officers")."""
    words = question.strip().rstrip(" ?").split()
    for i, w in enumerate(words):
        if w.lower() in {"the", "these", "those", "more", "additional"}:
            phrase = _first_noun_phrase(["the", *words[i + 1:]])
            if _is_plural(phrase):
                return phrase
    return ""


_COUNTED = re.compile(r"^\d[\d,.]*(?:\s+[a-z][\w-]*){1,3}$")


def _several(answer: str) -> str:
    """The previous answer when it names several: a list of names ("Jamaica, Belize and
    Guatemala"), or a number of things ("1,000 officers", as "the 1,000 officers"); else ''."""
    text = _MARKER.sub("", answer).strip().rstrip(".")
    if len(_LIST_SEPARATOR.split(text)) > 1 and _is_names(text):
        return text
    if _COUNTED.match(text) and _is_plural(text):
        return f"the {text}"
    return ""


def _about_someone(question: str, subject: str) -> bool:
    """The previous question asked about a person ("Who is the mission's spokesperson?") or
    its subject is a name or title ("Kenya's Interior Minister"), so "he" or "she" can be it.
    After "Who leads the MSS mission?" left unanswered, "he" is the unnamed leader, not the
    mission."""
    return bool(_WHO_IS.match(question)) or subject[:1].isupper()


_WHO_IS = re.compile(r"^\s*(?:whose\b|who(?:m)?\s+(?:is|was|are|were)\b|who['’]s\b)",
                     re.IGNORECASE)
_PLACE_OR_TIME_QUESTION = re.compile(r"^\s*(?:where|when|how|why)\b", re.IGNORECASE)
# "it" that stands for nothing: "Is it true that ...", "How hard is it to ...", "Was it the
# first time ...", "How long did it take ...".
_DUMMY_IT = re.compile(
    r"\s+(?:(?![a-z]+ed\b)[a-z]+\s+)?(?:to|that)\b|\s+(?:true|safe|possible|likely|necessary|important|"
    r"the\s+(?:first|last|only)|takes?|took)\b", re.IGNORECASE)
_SUBJECT_PRONOUN = frozenset({"he", "she", "they", "it"})
_DETERMINED_NOUN = re.compile(r"\b(?:the|these|those)\s+\w", re.IGNORECASE)


def _referring_pronoun(text: str) -> re.Match[str] | None:
    """The first pronoun that refers to something outside the question, if any. A subject
    pronoun after a noun of the question's own ("What did the officers say when they
    arrived?", "the equipment they needed") refers to that noun: the question is left as it
    is (None); a dummy "it" ("Is it true that ...") is skipped."""
    for match in _PRONOUN.finditer(text):
        word = match.group(1).lower()
        if word == "it" and _DUMMY_IT.match(text[match.end():]):
            continue
        following = re.match(r"\s+([\w'’]+)", text[match.end():])
        subject = following is not None and (_AUX_WORD.match(following.group(1)) is not None
                                             or following.group(1).lower() not in STOPWORDS)
        if (word in _SUBJECT_PRONOUN and subject
                and _DETERMINED_NOUN.search(text[: match.start()])):
            return None
        return match
    return None


def _names_someone(text: str, pronoun: str) -> bool:
    """`text` (a question up to `pronoun`) names what the pronoun may refer to: a name, and
    for "he" or "she" a name that is no country ("In Haiti, what did he do?")."""
    return any(pronoun not in _ONE_PERSON or not _names_place(name.group(0))
               for name in _NAME_RUN.finditer(text))


def _about_someone_else(text: str) -> bool:
    """A long question whose first pronoun is "he" or "she" (or "his", "her") with no name
    before it: "Can you tell me what exactly he said to the officers before they left?"."""
    pronoun = _referring_pronoun(text)
    return (pronoun is not None and pronoun.group(1).lower() in _ONE_PERSON
            and not _names_someone(text[: pronoun.start()], pronoun.group(1).lower()))


def _fill_ellipsis(fragment: str, previous_question: str) -> str:
    """'Haiti's' / 'in 2023' / 'the police', completed from the previous question."""
    base = previous_question.strip().rstrip(" ?")
    if fragment.lower().removesuffix("'s").removesuffix("’s") in _DEMONYM_OF:
        fragment = " ".join(w.capitalize() for w in fragment.split())  # "jamaica's"
    nationality = _swap_nationality(base, fragment)
    if nationality is not None:
        return nationality
    if _is_names(fragment):
        previous_name = _NAME_RUN.search(base)
        if previous_name:
            return _swap_name(base, previous_name, fragment)
    shift = _YEAR_SHIFT.match(fragment)
    year = re.search(rf"\b{YEAR}\b", base)
    if shift and year:
        # "And the year before?" after "... killed in 2023?" -> "... killed in 2022?"
        direction = (shift.group(1) or shift.group(2)).lower()
        step = -1 if direction in {"before", "previous", "prior", "earlier"} else 1
        return f"{base[:year.start()]}{int(year.group(0)) + step}{base[year.end():]}?"
    same_kind = _same_kind_phrase(fragment, base)
    if same_kind is not None:
        # "And in 2024?" after "... killed in 2023?": the year is replaced, not added.
        start, end, replacement = same_kind
        return f"{base[:start]}{replacement}{base[end:]}?"
    if _PREPOSITION.match(fragment):
        return f"{base} {fragment}?"
    subject = _subject(previous_question)
    if subject and ((fragment.lower().startswith(("the ", "these ", "those "))
                    and subject.lower().startswith(("the ", "these ", "those ")))
                    or (_POSSESSIVE_PHRASE.match(fragment) and _POSSESSIVE_PHRASE.match(subject))):
        # "And the second contingent?" after "Where did the 217 officers land?", "And
        # Haiti's police chief?" after "Who is Kenya's Interior Minister?".
        at = base.find(subject)
        if at >= 0:
            return f"{base[:at]}{fragment}{base[at + len(subject):]}?"
    at = base.find(subject) if subject else -1
    determined = re.match(r"(?:the|these|those)\s+(.+)$", fragment, re.IGNORECASE)
    if at >= 0 and determined:
        owner = _OWNER.match(subject)
        role = determined.group(1)
        if owner and not _names_place(role) and not _is_plural(role):
            # "And the president?" after "Who is Kenya's Interior Minister?" -> "Who is
            # Kenya's president?": the owner stays, the title changes.
            return f"{base[:at]}{owner.group(0)}{role}{base[at + len(subject):]}?"
        if owner is None and _is_names(subject):
            # "And the Haitian PM?" after "What did Ruto say about the gangs?" -> "What did
            # the Haitian PM say about the gangs?"
            return f"{base[:at]}{fragment}{base[at + len(subject):]}?"
    return f"{base}? What about {fragment}?"


_OWNER = re.compile(r"^[A-Z][\w-]*(?:\s+[A-Z][\w-]*)*['’]s\s+")
_LIST_SEPARATOR = re.compile(r",\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+")


def _names_place(text: str) -> bool:
    """The text holds a country or a nationality ("the Bahamas", "the Haitian PM")."""
    return _nationality_in(text) is not None or _COUNTRY.search(text.lower()) is not None


def _is_names(text: str) -> bool:
    """A name ("Kipchumba Murkomen", "O'Neill's") or a list of them ("El Salvador and the
    Bahamas")."""
    parts = _LIST_SEPARATOR.split(text.strip())
    return all(
        part and _NAME.match(re.sub(r"^the\s+", "", part)) and len(part.split()) <= _MAX_NAME_WORDS
        for part in parts) and _NAME.match(parts[0]) is not None


_YEAR_SHIFT = re.compile(
    r"^(?:the\s+year\s+(before|after|earlier|later)|the\s+(previous|prior|following|next)"
    r"\s+year)$", re.IGNORECASE)
_POSSESSIVE_PHRASE = re.compile(r"^[A-Z][\w-]*['’]s\s+\w")


def _nationality_in(text: str) -> re.Match[str] | None:
    """The first nationality ("Kenyan", "Jamaicans") or country in `text`."""
    for match in re.finditer(r"\b[\w-]+\b", text):
        word = match.group(0).lower()
        if word in COUNTRY_OF or (word.endswith("s") and word[:-1] in COUNTRY_OF):
            return match
    return None


def _swap_nationality(base: str, fragment: str) -> str | None:
    """"And the Jamaicans?" after "When did the first Kenyan officers arrive?" -> "When did
    the first Jamaican officers arrive?"; "And the Kenyan one?" after "Who is the Haitian
    Prime Minister?" -> "Who is the Kenyan Prime Minister?"; "How about Jamaican soldiers?"
    after "How many Kenyan police are in Haiti?" -> "How many Jamaican soldiers are in
    Haiti?". None when either names no nationality."""
    new = _nationality_in(fragment)
    old = _nationality_in(base)
    if new is None or old is None or old.group(0).lower() not in COUNTRY_OF:
        return None
    demonym = new.group(0).lower()
    demonym = (demonym if demonym in COUNTRY_OF else demonym[:-1]).capitalize()
    rest = fragment[new.end():].strip()
    end = old.end()
    if rest and rest.lower() not in {"one", "ones"}:
        # A noun of its own ("soldiers") replaces the one after the old nationality.
        following = re.match(r"\s+[a-z][\w-]*", base[end:])
        end += following.end() if following else 0
        demonym = f"{demonym} {rest}"
    return f"{base[:old.start()]}{demonym}{base[end:]}?"


def _says_what_changes(fragment: str) -> bool:
    """A fragment that can only be a follow-up: a preposition first ("in 2024?"), a
    possessive ("Haiti's?"), a year, month, weekday, country or nationality ("Jamaica?"),
    not a word like "Really?"."""
    words = [w.lower() for w in re.findall(r"[\w’'-]+", fragment)]
    return bool(words) and (
        _PREPOSITION.match(fragment) is not None
        or words[-1].endswith(("'s", "’s"))
        or any(w in _DEMONYM_OF or w in COUNTRY_OF or w in MONTHS or w in WEEKDAYS
               or re.fullmatch(YEAR, w) for w in words))


_DEMONYM_OF = {country: demonym for demonym, country in reversed(COUNTRY_OF.items())}
# A country's name, in lower case ("el salvador").
_COUNTRY = re.compile(r"\b(?:" + "|".join(re.escape(c) for c in sorted(_DEMONYM_OF, key=len,
                                                                      reverse=True)) + r")\b")
_TITLE_AFTER = re.compile(r"(?:\s+[A-Z][\w-]*)+")


def _swap_name(base: str, previous: re.Match[str], fragment: str) -> str:
    """`base` with `fragment` in place of the name `previous` found in it: "Kenya's" for
    "the Haitian" ("Who is the Haitian Prime Minister?" + "And Kenya's?"), "Jamaican" for
    "Kenyan" in "the first Kenyan officers", "Ruto" for "Kenya's Interior Minister"."""
    start, end = previous.span()
    old = previous.group(0)
    owner = old.endswith(("'s", "’s"))
    new_owner = fragment.endswith(("'s", "’s"))
    country = fragment.removesuffix("'s").removesuffix("’s")
    demonym = old.split()[0].lower() in COUNTRY_OF
    if new_owner and demonym:
        # "the Haitian Prime Minister" -> "Kenya's Prime Minister".
        end = start + len(old.split()[0])
        if base[:start].endswith(("the ", "The ")):
            start -= 4
        return f"{base[:start]}{fragment}{base[end:]}?"
    if demonym and country.lower() in _DEMONYM_OF:
        end = start + len(old.split()[0])
        return f"{base[:start]}{_DEMONYM_OF[country.lower()].capitalize()}{base[end:]}?"
    if owner and not new_owner and country.lower() not in _DEMONYM_OF:
        # A person for "Kenya's Interior Minister": the whole title is replaced.
        title = _TITLE_AFTER.match(base, end)
        if title:
            end = title.end()
        return f"{base[:start]}{fragment}{base[end:]}?"
    name = fragment + ("'s" if owner and not new_owner else "")
    if base[:start].endswith(("the ", "The ")) and old.lower() in _DEMONYM_OF:
        start -= 4  # "the Bahamas" -> "Belize"
    return f"{base[:start]}{name}{base[end:]}?"


_MONTH = "|".join(MONTHS)
_WEEKDAY = "|".join(WEEKDAYS)
_PHRASE_KINDS = (
    re.compile(rf"^(?:(?:in|during|since|by|until|before|after)\s+(?:[\w\s]+\s)?)?{YEAR}$",
               re.IGNORECASE),
    re.compile(rf"^(?:(?:in|during|since|by|until|before|after)\s+)?(?:{_MONTH})$",
               re.IGNORECASE),
    re.compile(r"^(?:in|at|from|to)\s+[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*$"),
    re.compile(rf"^(?:on\s+)?(?:{_WEEKDAY})$", re.IGNORECASE),
)
_KIND_IN_BASE = (
    re.compile(rf"\b(?:(?:in|during|since|by|until|before|after)\s+)?{YEAR}\b", re.IGNORECASE),
    re.compile(rf"\b(?:(?:in|during|since|by|until|before|after)\s+)?(?:{_MONTH})\b",
               re.IGNORECASE),
    None,  # a place: after the fragment's own preposition ("in Port-au-Prince")
    re.compile(rf"\b(?:on\s+)?(?:{_WEEKDAY})\b", re.IGNORECASE),
)


def _same_kind_phrase(fragment: str, base: str) -> tuple[int, int, str] | None:
    """Where `base` has a year, month or place of the kind `fragment` gives, the span to
    replace and what replaces it (the fragment, given its preposition if it had none)."""
    for kind, in_base in zip(_PHRASE_KINDS, _KIND_IN_BASE, strict=True):
        if not kind.match(fragment):
            continue
        if in_base is None:
            preposition = re.escape(fragment.split()[0])
            in_base = re.compile(rf"\b{preposition}\s+[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*")
        found = list(in_base.finditer(base))
        if not found:
            return None
        last = found[-1]
        old_words, new_words = last.group(0).split(), fragment.split()
        if len(new_words) == 1 and len(old_words) > 1:
            fragment = f"{old_words[0]} {fragment}"  # "What about 2024?": "in 2024"
        return last.start(), last.end(), fragment
    return None


# A capitalised word that names a time, not someone: "Saturday [1]" is no referent for "them"
# ("Theresa May" still is).
_TIME_WORDS = frozenset({*WEEKDAYS, *MONTHS, "today", "yesterday", "tomorrow"})


# Capitalised first words of answers that are no names: "Yes [1].", "In May [1].",
# "Last Saturday [1]".
_NOT_A_NAME_START = frozenset({
    "yes", "no", "in", "on", "at", "by", "from", "since", "during", "last", "next", "this",
    "early", "late", "mid", "around", "about", "over", "under", "nearly", "until", "before",
    "after"})


def _short_name(answer: str) -> str:
    """The previous answer when it is a bare name ("Kipchumba Murkomen [1]."), else ''."""
    text = _MARKER.sub("", answer).strip().rstrip(".")
    if (_NAME.match(text) and len(text.split()) <= _MAX_NAME_WORDS
            and text.split()[0].lower() not in _TIME_WORDS
            and text.split()[0].lower() not in _NOT_A_NAME_START):
        return text
    return ""


_ADVERBS = frozenset({"now", "still", "currently", "already", "ever", "really", "there", "here"})
_PARTICIPLE = re.compile(
    r"^(?:[a-z]+ed|built|held|made|known|seen|done|run|led|set|born|sent|taken|given|"
    r"brought|chosen|hit|kept|left|paid|won|lost)$")
# Verbs after a counted thing: "How many people live in Haiti".
_COUNT_VERB = frozenset({"live", "work", "serve", "remain", "stay", "die", "come", "go", "leave",
                         "arrive", "went", "came", "left", "are", "were"})


def _subject(question: str) -> str:
    """What the previous question asked about: its words after the question frame."""
    text = question.strip().rstrip(" ?")
    frame = _FRAME.match(text)
    if frame is None:
        # "Did Kenya send more officers" -> "Kenya".
        first, _, rest = text.partition(" ")
        return _first_noun_phrase(rest.split()) if _AUX_WORD.match(first) else ""
    words = text[frame.end() :].split()
    aux = (frame.group("aux") or "").lower()
    if aux in _BE:
        # "Who is Kenya's Interior Minister" -> "Kenya's Interior Minister"; "When was the
        # mission launched" -> "the mission"; "What is the name of the gang alliance" -> "the
        # gang alliance".
        if [w.lower() for w in words[:3]] == ["the", "name", "of"]:
            words = words[3:]
        if words and words[0].endswith("ing") and words[0].islower():
            words = words[1:]  # "Who is funding the MSS mission" -> "the MSS mission"
        cut = next((i for i, w in enumerate(words)
                    if i and (_PARTICIPLE.match(w) or w.lower() in _ADVERBS
                              or (w.endswith("ing") and words[i - 1].lower() not in _DETERMINER))),
                   len(words))
        return " ".join(words[:cut])
    if aux:
        # "When did the MSS mission start" -> "the MSS mission": the verb comes after it.
        return _first_noun_phrase(words)
    wh = frame.group("wh").lower()
    if wh.startswith("how "):
        # "How many police has Kenya sent" -> "police": the counted thing, up to its verb
        # ("How many officers arrived in ..." -> "officers").
        counted: list[str] = []
        for w in words:
            if _AUX_WORD.match(w) or (counted and (_PARTICIPLE.match(w) or w in _COUNT_VERB)):
                break
            counted.append(w)
        # "How many police has Kenya sent" -> "the police", as "they" now means them.
        if counted and counted[0][:1].islower() and counted[0].lower() not in _DETERMINER:
            counted.insert(0, "the")
        return " ".join(counted)
    late_aux = next((i for i in range(1, min(len(words), 4)) if _AUX_WORD.match(words[i])), None)
    if wh in {"which", "what"} and late_aux is not None:
        # "Which airport did the Kenyan officers fly from" -> "the Kenyan officers".
        return _first_noun_phrase(words[late_aux + 1 :])
    # "Who leads the MSS mission" -> "the MSS mission", "Which country leads the MSS mission"
    # -> the same: the wh-phrase is the subject, what it asks about follows the verb, from
    # its first determiner or name.
    for i in range(1, len(words)):
        if words[i].lower() in _DETERMINER or words[i][:1].isupper():
            return " ".join(words[i:])
    # "Who funds police operations" -> "police operations"; after "Which country funds
    # police operations" the verb cannot be told from the noun: no subject.
    return " ".join(words[1:]) if wh in {"who", "whom"} else ""


_NAMING = re.compile(r"^\s*what\s+(?:is|was|are|were)\s+(?:the\s+name\s+of\b|.*\b(?:called|named)"
                     r"\s*\??\s*$)", re.IGNORECASE)


def _asks_for_thing(question: str) -> bool:
    """A which- or what-question whose answer is its subject ("Which country leads the
    mission?", not "Which airport did they fly from?") or a name ("What is the gang alliance
    called?"): what "it" or "they" next refers to."""
    if _NAMING.match(question):
        return True
    frame = _FRAME.match(question.strip())
    if frame is None or frame.group("aux") is not None:
        return False
    words = question.strip()[frame.end():].split()
    return frame.group("wh").lower() in {"which", "what"} and not any(
        _AUX_WORD.match(w) for w in words[1:4])


_ADJECTIVES = frozenset({
    "first", "second", "third", "fourth", "fifth", "new", "last", "latest", "next", "other",
    "initial", "final", "current", "former", "local", "foreign", "international", "national",
    "armed", "senior", "main", "whole", "entire", "same"})


def _first_noun_phrase(words: list[str]) -> str:
    """A leading name ("Kenya", "Garry Conille") or determiner, names and one noun."""
    if not words:
        return ""
    if words[0].lower() in _DETERMINER:
        # "the 217 Kenyan officers", "the second contingent": names, figures and a few
        # adjectives up to the first common word.
        phrase = [words[0]]
        for i, w in enumerate(words[1:], start=1):
            phrase.append(w)
            lower = w.lower()
            if lower in _DEMONYM_OF or (lower.endswith("s") and lower[:-1] in COUNTRY_OF):
                break  # "the Kenyans", "the Bahamas": the noun itself
            if (w[:1].islower() and len(phrase) > 3 and phrase[-2][:1].isupper()
                    and phrase[-3][:1].isupper()):
                phrase.pop()  # "the UN Security Council" is whole before "decide"
                break
            if not (w[:1].isupper() or w[:1].isdigit() or lower in _ADJECTIVES):
                following = words[i + 1] if i + 1 < len(words) else ""
                if (following.islower() and _is_plural(following) and len(following) > 3
                        and following not in STOPWORDS):
                    phrase.append(following)  # "the police cadets": a noun of two words
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
    if match is None or (match.group("pronoun").lower() == "it"
                         and _DUMMY_IT.match(question[match.end():])):
        return None  # "How long did it take Kenya to deploy ...?" asks about Kenya
    return match.group("pronoun")


# Words that judge or compare answers, and name nothing in the sources to ask about.
_ABOUT_ANSWERS = frozenset(tokenize(
    "correct right true wrong sure certain really accurate actually difference differ "
    "disagree discrepancy number numbers figure figures source sources answer one trust "
    "believe"))


def judges_answers(question: str) -> bool:
    """The question only judges or compares answers ("Which is correct?", "Really?", "Why
    do the numbers differ?"): the sources are not asked which of them is right."""
    terms = tokenize(question)
    return bool(terms) and all(term in _ABOUT_ANSWERS for term in terms)


def asks_nothing(question: str) -> bool:
    """The question names nothing to ask about ("Why?", "How so?", "Why is that?"), or only
    judges answers (`judges_answers`)."""
    return not tokenize(question) or judges_answers(question)
