"""The answering stage: evidence -> proposed claims -> verified Answer.

The generator proposes short claims, each tied to numbered passages, in a fixed short form
(`answer [n]`, several separated by `;`, or `NONE`). Nothing it says reaches the user
unverified: each claim must be carried by sentences of the retrieved passages that contain
all its numbers and names (a written-out calculation may derive a number from stated ones),
must say more than the question itself, and the generator, in a separate context, must judge
that those sentences state it as the answer ("yes" probability above a threshold). Claims
that fail are dropped; with none left the answer is "insufficient".
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from mss_qa import prompts
from mss_qa.backends.llm import LLM, Message
from mss_qa.chunk import is_field_line, is_table_row
from mss_qa.retrieve import STOPWORDS, idiom_terms, needs_named_person, tokenize
from mss_qa.types import (
    Answer,
    Chunk,
    Citation,
    Claim,
    Conflict,
    ConflictClaim,
    Evidence,
    Span,
)
from mss_qa.verify import (
    SHARE_OF,
    about_addition,
    about_other_nationality,
    asks_increment,
    best_supporting_span,
    calculation_readings,
    clause_around,
    content_overlap,
    countries_named,
    derived_numbers,
    describes_another_country,
    expected_answer_type,
    figure_kind,
    fits_word_count,
    fold,
    fuller_dates,
    is_figure,
    literal_support,
    matches_answer_type,
    names_other_kind,
    names_other_ordinal,
    names_other_year,
    names_past_holder,
    names_timed_thing,
    nationalities,
    number_phrases,
    numbers_in,
    past_for_future,
    relative_years,
    restates_question,
    same_measure,
    settle_calculation,
    share_phrases,
    source_names_asked_country,
    states_increment,
    states_ranking,
    strict_bound,
    worded_fractions,
)

NOT_IN_SOURCES = "The sources don't say."
_MARKER = re.compile(r"\[(\d+)\]")


@dataclass(frozen=True)
class CheckedClaim:
    claim: Claim
    spans: tuple[Span, ...]
    support: float


def _unshown(evidence: list[Evidence]) -> list[list[Span]]:
    """Each item's sentences that no higher-ranked item holds: a chunk retrieved with the
    sentence before it (see the retriever's `_in_context`) repeats that sentence when its
    own chunk ranks higher."""
    shown: set[Span] = set()
    unshown = []
    for item in evidence:
        unshown.append([s for s in item.chunk.sentences if s not in shown])
        shown.update(item.chunk.sentences)
    return unshown


def passages_block(evidence: list[Evidence]) -> str:
    """The evidence as numbered lines, debris between sentences left out, each sentence
    shown once."""
    lines = []
    for i, sentences in enumerate(_unshown(evidence), start=1):
        text = " ".join(s.text for s in sentences)
        lines.append(f"[{i}] {' '.join(text.split())}")
    return "\n".join(lines)


def distinct_passages(evidence: list[Evidence]) -> list[Evidence]:
    """The evidence less the chunks whose every sentence a higher-ranked chunk holds."""
    return [item for item, new in zip(evidence, _unshown(evidence), strict=True) if new]


def closest_passages(evidence: list[Evidence], min_relative_score: float) -> list[Evidence]:
    """The leading passages of `evidence` (in rank order) scoring at least
    `min_relative_score` times the first one's score, and at least two: a prefix, so that
    its prompt is the start of the prompt of them all. (Shown a single passage, the
    generator tends to cite it as [2], as if there were others.)"""
    if not evidence:
        return []
    floor = min_relative_score * evidence[0].score
    close = len(list(itertools.takewhile(lambda e: e.score >= floor, evidence)))
    return evidence[:max(close, 2)]


def answer_messages(question: str, evidence: list[Evidence]) -> list[Message]:
    return prompts.answer_prompt(passages_block(evidence), question)


def parse_claims(output: str, n_passages: int) -> list[Claim]:
    """Claims from `text [n]; text [n][m]`. A claim without markers cites no passage (the
    verifier then looks for it in all of them); NONE or an empty output gives no claims."""
    lines = output.strip().splitlines()
    text = lines[0].strip() if lines else ""
    if not text or text.upper().startswith("NONE"):
        return []
    claims = []
    for part in text.split(";"):
        passages = tuple(dict.fromkeys(int(n) for n in _MARKER.findall(part)))
        readings = [r.strip(" .,:") for r in calculation_readings(_MARKER.sub("", part))]
        readings += [worded for worded in map(worded_fractions, readings)
                     if worded not in readings]
        if not readings[0] or any(not 1 <= n <= n_passages for n in passages):
            continue
        claims.append(Claim(readings[0], passages, tuple(readings[1:])))
    return claims


def locate_support(claim: Claim, question: str, evidence: list[Evidence],
                   documents: Callable[[str], str]) -> tuple[Span, ...] | None:
    """The sentence(s) that carry every number and name of the claim: first in the passages
    it cites, then in any retrieved passage (the generator sometimes cites the wrong number),
    then in two passages together (for answers that combine two statements). A cited
    passage that holds fewer than half of the claim's words gives way to the passage that
    holds the most of them ("helicopters, night vision goggles, and drones [3]" where [4]
    names them); for a question about a year, a passage that names another year gives way
    to one that does not."""
    cited = [n - 1 for n in claim.passages]
    order = cited + [i for i in range(len(evidence)) if i not in cited]
    best = {i: best_supporting_span(claim.text, question, evidence[i].chunk.sentences,
                                    documents(evidence[i].chunk.source)) for i in order}
    carrying = [i for i in order if not literal_support(claim.text, best[i].text)]
    # For a question about a year, a passage of that year before one of another.
    of_year = [i for i in carrying if not names_other_year(
        question, [(best[i].text, partial(documents, evidence[i].chunk.source))])]
    carrying = of_year or carrying
    if carrying:
        words = {i: content_overlap(claim.text, best[i].text) for i in carrying}
        chosen = carrying[0]
        if words[chosen] < 0.5:
            chosen = max(carrying, key=lambda i: words[i])  # the first of equals
        return _with_context(best[chosen], evidence[chosen].chunk)
    for i, j in itertools.combinations(order, 2):
        pair = sorted((best[i], best[j]), key=lambda s: (s.source, s.start))
        if pair[0] != pair[1] and not literal_support(claim.text,
                                                      pair[0].text + " " + pair[1].text):
            return tuple(pair)
    return None


def _with_context(span: Span, chunk: Chunk) -> tuple[Span, ...]:
    """A chunk that retrieval gave an earlier sentence naming the person its opening refers
    to ("…,” he said", "He called for ...") is cited with both sentences when either of them
    carries the claim: the name alone does not say what was said, and "He called for
    helicopters" does not say who did. A "label: value" line ("Release date: 22-Jul-2001")
    is cited with the chunk's opening (the heading of its section), which says what it is
    the value for. A table row is cited with the header row of its table ("| District |
    Households | Pipe (km) |"), which says what each of its cells is."""
    sentences = chunk.sentences
    if is_table_row(span.text) and span in sentences:
        # A table row is cited with its table's header row, which says what each cell is.
        at = sentences.index(span)
        first = at
        while first > 0 and is_table_row(sentences[first - 1].text):
            first -= 1
        return (sentences[first], span) if first < at else (span,)
    if is_field_line(span.text) and span != sentences[0] and sentences[0].end <= span.start:
        return (sentences[0], span)
    if (len(sentences) > 1 and sentences[0].end <= chunk.start
            and (span == sentences[0]
                 or (span == sentences[1] and needs_named_person(span.text)))):
        return (sentences[0], sentences[1])
    return (span,)


def support_probability(claim: Claim, spans: tuple[Span, ...], question: str, llm: LLM
                        ) -> float:
    """The generator's judgement, in its checking context, that the spans state the claim."""
    passage = " ".join(" ".join(span.text.split()) for span in spans)
    return llm.yes_probability(prompts.check_prompt(passage, question, claim.text))


def check_claims(question: str, claims: list[Claim], evidence: list[Evidence], llm: LLM,
                 threshold: float, documents: Callable[[str], str],
                 mentions: Callable[[str], str] | None = None) -> list[CheckedClaim]:
    """Keep the claims whose cited text contains their facts and states them. `mentions`
    gives what the collection says elsewhere of a name (see `describes_another_country`)."""
    kept = []
    expected = expected_answer_type(question)
    context = " ".join(e.chunk.text for e in evidence)
    names_asked_country: dict[str, bool] = {}  # per source: each file is read and scanned once

    def source_names_country(source: str) -> bool:
        if source not in names_asked_country:
            names_asked_country[source] = source_names_asked_country(question,
                                                                     documents(source))
        return names_asked_country[source]

    def check(claim: Claim) -> CheckedClaim | None:
        if restates_question(claim.text, question):
            return None
        spans = locate_support(claim, question, evidence, documents)
        cited = " ".join(span.text for span in spans) if spans else ""
        if (spans is None or not matches_answer_type(claim.text, cited, expected)
                or not fits_word_count(question, claim.text)
                or names_other_kind(question, claim.text)
                or names_past_holder(question, claim.text, cited)
                or not names_timed_thing(question, cited)
                or past_for_future(question, cited)
                or names_other_year(question, [(span.text, partial(documents, span.source))
                                               for span in spans])
                or not states_ranking(question, cited)
                or names_other_ordinal(question, cited)
                or about_addition(question, cited)
                or about_other_nationality(question, cited, context)
                or describes_another_country(
                    question, claim.text, cited,
                    " ".join([context, mentions(claim.text) if mentions else ""]))
                or not any(source_names_country(span.source) for span in spans)):
            return None
        support = support_probability(claim, spans, question, llm)
        claim, support = _best_figure(claim, spans, question, llm, support, threshold)
        claim, spans, support = closer_figure(claim, spans, question, evidence, llm, support,
                                              threshold)
        return _with_day(CheckedClaim(claim, spans, support), question, llm, threshold)

    for claim in claims:
        best: CheckedClaim | None = None
        for text in (claim.text, *claim.alternatives):
            reading = check(Claim(text, claim.passages))
            if reading is not None and (best is None or _replaces(
                    question, reading, best, threshold, margin=0.1)):
                best = reading
        for text in operand_swaps(question, best) if best is not None else []:
            swapped = check(Claim(text, claim.passages))
            if swapped is not None and best is not None and _replaces(
                    question, swapped, best, threshold, margin=0.1):
                best = swapped
        if best is not None and best.support >= threshold:
            kept.append(best)
    return kept


def _with_day(item: CheckedClaim, question: str, llm: LLM, threshold: float) -> CheckedClaim:
    """A month and year ("October 2024") made the full date the cited text gives for what
    is asked ("the subsequent reopening of courts on the 7th October 2024" for "When did the
    courts reopen?"), if the checker accepts it."""
    cited = " ".join(span.text for span in item.spans)
    dates = fuller_dates(item.claim.text, cited)
    if not dates:
        return item
    ranked = sorted(((content_overlap(question, lead), date) for date, lead in dates),
                    reverse=True)
    if len(ranked) > 1 and ranked[0][0] == ranked[1][0]:
        return item
    fuller = Claim(ranked[0][1], item.claim.passages)
    support = support_probability(fuller, item.spans, question, llm)
    return CheckedClaim(fuller, item.spans, support) if support >= threshold else item


def _replaces(question: str, candidate: CheckedClaim, current: CheckedClaim,
              threshold: float, margin: float) -> bool:
    """A figure replaces another when its clause describes what the question counts better
    and the checker accepts it, or describes it as well and the checker clearly prefers
    it."""
    described = names_counted(question, candidate), names_counted(question, current)
    if described[0] != described[1]:
        return described[0] > described[1] and candidate.support >= threshold
    return candidate.support > current.support + margin


def _figures(text: str) -> list[tuple[str, frozenset[float]]]:
    """The figures a text states, and those it implies by a share ("half of whom")."""
    return number_phrases(text) + share_phrases(text)


def _best_figure(claim: Claim, spans: tuple[Span, ...], question: str, llm: LLM,
                 support: float, threshold: float, margin: float = 0.1
                 ) -> tuple[Claim, float]:
    """When the cited text states several figures of the same kind, keep the one the checker
    finds the best answer (the generator sometimes picks the neighbouring figure).

    The alternatives differ from the first check only after "Proposed answer:", so llama.cpp
    re-reads a handful of tokens for each."""
    values = frozenset(numbers_in(claim.text))
    # A written-out calculation ("617 (400 + 217)") is judged as a whole, not re-picked.
    if not values or derived_numbers(claim.text):
        return claim, support
    text = " ".join(span.text for span in spans)
    best = CheckedClaim(claim, spans, support)
    kind = figure_kind(claim.text)
    for phrase, other in _figures(text):
        if (other & values or not same_measure(other, values) or figure_kind(phrase) != kind
                or describes_another_country(question, phrase, text)):
            continue
        candidate = Claim(phrase, claim.passages)
        checked = CheckedClaim(candidate, spans,
                               support_probability(candidate, spans, question, llm))
        if _replaces(question, checked, best, threshold, margin):
            best = checked
    return best.claim, best.support


def closer_figure(claim: Claim, spans: tuple[Span, ...], question: str,
                   evidence: list[Evidence], llm: LLM, support: float, threshold: float,
                   margin: float = 0.1) -> tuple[Claim, tuple[Span, ...], float]:
    """A figure of the same kind in the retrieved sentence that shares more of the question's
    words than the cited text does, kept when it describes what the question counts better
    or the checker clearly prefers it (the generator sometimes takes the figure of a
    neighbouring fact: the officers already there rather than the total after the new group
    joined)."""
    values = frozenset(numbers_in(claim.text))
    if not values or derived_numbers(claim.text):
        return claim, spans, support
    asked = frozenset(numbers_in(question))
    kind = figure_kind(claim.text)

    def rivals(phrase: str, other: frozenset[float], sentence: str) -> bool:
        return (not (other & values or other <= asked) and same_measure(other, values)
                and figure_kind(phrase) == kind
                and not describes_another_country(question, phrase, sentence))

    here = content_overlap(question, " ".join(span.text for span in spans))
    best: tuple[float, int, Span] | None = None
    for i, item in enumerate(evidence):
        for sentence in item.chunk.sentences:
            overlap = content_overlap(question, sentence.text)
            if overlap > here and (best is None or overlap > best[0]) and any(
                    rivals(phrase, other, sentence.text)
                    for phrase, other in _figures(sentence.text)):
                best = (overlap, i, sentence)
    if best is None:
        return claim, spans, support
    _, i, sentence = best
    result = CheckedClaim(claim, spans, support)
    for phrase, other in _figures(sentence.text):
        if not rivals(phrase, other, sentence.text):
            continue
        candidate = Claim(phrase, (i + 1,))
        checked = CheckedClaim(candidate, (sentence,),
                               support_probability(candidate, (sentence,), question, llm))
        if _replaces(question, checked, result, threshold, margin):
            result = checked
    return result.claim, result.spans, result.support


def _window(text: str, phrase: str, width: int = 4) -> set[str]:
    """Content words within `width` words of `phrase` in `text`."""
    at = text.find(phrase)
    if at < 0:
        return set()
    before = tokenize(text[:at])[-width:]
    after = tokenize(text[at + len(phrase):])[:width]
    return {t for t in before + after if not t[0].isdigit()}


def counted_words(text: str, phrase: str) -> str:
    """What a figure counts: the words after `phrase` in `text` up to a stop word or
    punctuation, at most three ("about 5,000 Haitian police officers available to protect"
    -> "Haitian police officers"); for "N more", what the figure before it counts ("600
    Kenya police officers ... and 200 more")."""
    at = text.find(phrase)
    if at < 0:
        return ""
    following = text[at + len(phrase):].split()[:3]
    if following and following[0].strip(",;:.").lower() in ("more", "others"):
        earlier = number_phrases(text[:at])
        return counted_words(text[:at], earlier[-1][0]) if earlier else ""
    words: list[str] = []
    for word in following:
        bare = word.strip(",;:.”’\"'()")
        if not bare or bare.lower() in STOPWORDS or not re.fullmatch(r"[^\W\d_][\w’'-]*", bare):
            break
        words.append(bare)
        if bare != word:
            break
    return " ".join(words)


def counts_something_else(candidate: str, reference: str) -> bool:
    """A disagreeing figure counts something other than the claim (or the question) does:
    both name what they count and share no word of it ("5,000 Haitian police officers"
    against "747 cadets"; a nationality, "Haitians", counts people), or they name different
    countries ("600 Kenya police officers" against "5,000 Haitian police officers")."""
    counted, wanted = _counted_stems(candidate), _counted_stems(reference)
    if not counted or not wanted:
        return False
    if not counted & wanted:
        return True
    countries, asked = countries_named(candidate), countries_named(reference)
    return bool(countries and asked and not countries & asked)


def _counted_stems(words: str) -> set[str]:
    stems = set(tokenize(words))
    return stems | {_PEOPLE} if nationalities(words) else stems


_PEOPLE = tokenize("people")[0]


def find_disagreements(question: str, kept: list[CheckedClaim], evidence: list[Evidence],
                       llm: LLM, threshold: float, documents: Callable[[str], str]
                       ) -> list[CheckedClaim]:
    """A figure from another source that answers the same question differently: another
    value, or the same value bounded differently ("over 10" against "10").

    The generator tends to give one figure even when the articles disagree, so for each
    verified numeric claim the retrieved sentences of *other* sources are searched for a
    figure of the same kind (a year for a year, a quantity for a quantity) that differs and
    that is described by the same words (near the figure) as the claim, or by the words of
    the question. A year may also be given relative to the article's date ("last year").
    The best such candidate must pass the support check before it is reported.
    """
    question_terms = set(tokenize(question))
    asks_more = asks_increment(question)
    how_many = asked_count(question)
    asked_things = [how_many.thing_words] if how_many else []
    found: list[CheckedClaim] = []
    checked: set[tuple[str, Span]] = set()
    for item in kept:
        claim_values = frozenset(numbers_in(item.claim.text))
        if not claim_values:
            continue
        claim_bound = stated_bound(item)
        claim_kind = figure_kind(item.claim.text)
        claim_sources = {span.source for span in item.spans}
        claim_added = _added(item)
        # Where the claim's figure stands in its quote: the words around it, what it counts
        # (with what the question asks to count).
        stated = [(span.text, phrase) for span in item.spans
                  for phrase, values in number_phrases(span.text) if values & claim_values]
        claim_window = set().union(*(_window(text, phrase) for text, phrase in stated))
        claim_counts = " ".join([*(counted_words(text, phrase) for text, phrase in stated),
                                 *asked_things])
        candidates = []
        for sentence in (s for e in evidence for s in e.chunk.sentences
                         if s.source not in claim_sources):
            figures = [(phrase, phrase, values) for phrase, values
                       in number_phrases(sentence.text)]
            figures += relative_years(sentence.text, partial(documents, sentence.source))
            for phrase, written, values in figures:
                bounded_otherwise = (values == claim_values
                                     and strict_bound(phrase) != claim_bound)
                if (not same_measure(values, claim_values) or figure_kind(phrase) != claim_kind
                        or (values & claim_values and not bounded_otherwise)):
                    continue
                window = _window(sentence.text, written)
                shared = len(window & claim_window)
                asked = len(window & question_terms)
                # Described by the same words as the claim's figure or the question, not
                # merely on topic.
                if shared >= 2 or asked >= 2:
                    candidates.append((shared + asked, phrase, written, sentence, values))
        if not candidates:
            continue
        _, phrase, written, sentence, values = max(candidates, key=lambda c: c[0])
        if (phrase, sentence) in checked:  # the best candidate for an earlier claim too
            continue
        checked.add((phrase, sentence))
        # The best-described figure counting something else means no figure disagrees: the
        # next best is described worse still (skipping to it found false disagreements).
        # Nor does one from a sentence that states the claim's figure too (it counts two
        # things), or an addition ("600 more officers") against a figure that is not one.
        if (counts_something_else(counted_words(sentence.text, written), claim_counts)
                or describes_another_country(question, written, sentence.text)
                or (values != claim_values and states_figure(sentence.text, claim_values))
                or (states_increment(sentence.text, values)
                    and not claim_added and not asks_more)):
            continue
        # Checked as the sentence words it ("last year"), reported with the year it means.
        support = support_probability(Claim(written, ()), (sentence,), question, llm)
        if support >= threshold:
            found.append(CheckedClaim(Claim(phrase, ()), (sentence,), support))
    return found


_ASKED = re.compile(r"\bhow (?:many|much)\s+([^?,;]*)")
_AUXILIARY = frozenset("were was are is be been did does do has have had will would could can "
                       "should must".split())
_ASKED_END = frozenset("in on at by for from of to over under between during since after "
                       "before when once if according among into across than".split())


@dataclass(frozen=True)
class AskedCount:
    """What a "how many" question counts ("people") and what it says of them ("kidnapped"),
    as stemmed content words."""

    thing: frozenset[str]
    predicate: frozenset[str]
    thing_words: str = ""  # the thing as the question words it ("haitian police officers")
    # The word an answer to this way of asking is written with ("how many people live in":
    # population), which says what is counted as well (see `retrieve.idiom_terms`).
    idiom: frozenset[str] = frozenset()

    def said_by(self, words: set[str]) -> bool:
        """The words (a figure's clause) say most of what is said of the counted thing, or,
        when nothing is, most of the words naming it, or they use the word its way of
        asking is answered with. "Most", because synonyms ("cops" for "officers") make a
        finer comparison unreliable."""
        wanted = self.predicate or self.thing
        return len(words & wanted) >= len(wanted) / 2 or bool(words & self.idiom)


def asked_count(question: str) -> AskedCount | None:
    """"How many people were kidnapped in Haiti?" -> people / kidnapped; None for a question
    that is not a "how many/much" question."""
    match = _ASKED.search(fold(question))
    if match is None:
        return None
    parts: list[list[str]] = [[]]
    for word in match.group(1).split():
        if word in _ASKED_END:
            break
        if word in _AUXILIARY:
            if len(parts) == 1:
                parts.append([])
            continue
        parts[-1].append(word)
    thing = frozenset(tokenize(" ".join(parts[0])))
    predicate = frozenset(tokenize(" ".join(parts[1]))) if len(parts) > 1 else frozenset()
    if not thing and not predicate:
        return None
    return AskedCount(thing, predicate, " ".join(parts[0]), frozenset(idiom_terms(question)))


def figure_clauses(item: CheckedClaim) -> list[set[str]]:
    """Content words of each clause of the cited text that holds one of the claim's figures;
    for a share ("350,000 (half of 700,000)"), of the clause that takes the share ("half of
    whom are children")."""
    values = numbers_in(item.claim.text)
    claimed = fold(item.claim.text)
    clauses: list[set[str]] = []
    shares: list[set[str]] = []
    for span in item.spans:
        text = span.text
        for match in _FIGURE.finditer(text):
            if numbers_in(text[match.start():match.end()] + _scale_after(text, match.end())
                          ) & values:
                clauses.append(set(tokenize(clause_around(text, match.start(), match.end()))))
        for match in SHARE_OF.finditer(text):
            if f"{fold(match.group(1))} of" in claimed:
                shares.append(set(tokenize(clause_around(text, match.start(), match.end()))))
    return shares or clauses


def names_counted(question: str, item: CheckedClaim) -> bool:
    """The clause of the claim's figure says what the question counts: most of the words of
    what is said of it ("were kidnapped": "428 were kidnapped", not "1,379 people were
    killed or injured"), or when nothing is said of it, most of the words naming it
    ("foreign security personnel": "the number of foreign security personnel to just under
    800", not "the number of Kenyan police officers ... to 400"; in "over 700,000 people
    displaced, half of whom are children" the children are half); see AskedCount.said_by.
    Every operand of a sum or difference must say it; of a figure stated twice, one place is
    enough."""
    asked = asked_count(question)
    if asked is None or not numbers_in(item.claim.text):
        return False
    named = [asked.said_by(words) for words in figure_clauses(item)]
    if _OPERATION.search(item.claim.text):
        return bool(named) and all(named)
    return any(named)


_OPERATION = re.compile(r"\(\s*\d[\d,.]*\s*[-+−]\s*\d[\d,.]*\s*\)")


def operand_swaps(question: str, item: CheckedClaim) -> list[str]:
    """The claim's sum or difference with an operand whose clause does not say what the
    question counts replaced by a figure of the same sentence whose clause does ("438 +
    1,379" kidnappings, where 1,379 were killed or injured and 428 kidnapped: "866 (438 +
    428)"), recalculated."""
    operation = _OPERATION.search(item.claim.text)
    asked = asked_count(question)
    if operation is None or asked is None:
        return []

    def says(text: str, figure: re.Match[str]) -> bool:
        return asked.said_by(set(tokenize(clause_around(text, figure.start(), figure.end()))))

    expression = operation.group()
    operands = numbers_in(expression)
    swaps = []
    for operand in _FIGURE.findall(expression):
        value = frozenset(numbers_in(operand))
        for span in item.spans:
            figures = list(_FIGURE.finditer(span.text))
            if not any(numbers_in(f.group()) == value and not says(span.text, f)
                       for f in figures):
                continue
            for other in figures:
                other_value = frozenset(numbers_in(other.group()))
                if (not other_value & operands and same_measure(other_value, value)
                        and says(span.text, other)):
                    swapped = expression.replace(operand, other.group(), 1)
                    swaps.append(settle_calculation(
                        item.claim.text.replace(expression, swapped, 1)))
    return swaps
_FIGURE = re.compile(r"\d[\d,.]*\d|\d")
_SCALE_WORD = re.compile(r"\s+(?:million|thousand|billion)\b", re.IGNORECASE)


def _scale_after(text: str, end: int) -> str:
    """" million" when the figure ending at `end` is "1 million" (its value is 1,000,000)."""
    match = _SCALE_WORD.match(text, end)
    return match.group() if match else ""


def keep_clear_figures(question: str, checked: list[CheckedClaim], conflict_threshold: float
                       ) -> list[CheckedClaim]:
    """Of several differing figures of one kind, keep the one whose cited text describes
    what the question asks about, then the best supported; keep another only if it
    describes the asked thing as well, is supported as clearly as a reported conflict must
    be, and its cited text does not state the kept figure too (a text that states both
    counts two things, as "Kenya has sent over 600 officers, with plans to eventually deploy
    a total of 1,000" does: it does not disagree with itself). An addition ("600 more
    police officers") is no rival to a figure that is not one, unless more is asked for."""
    figures = [c for c in checked if numbers_in(c.claim.text)]
    if len(figures) < 2:
        return checked
    described = {id(c): names_counted(question, c) for c in figures}
    best = max(figures, key=lambda c: (described[id(c)], c.support))
    best_values = frozenset(numbers_in(best.claim.text))
    best_kind = figure_kind(best.claim.text)
    additions_rival = _added(best) or asks_increment(question)
    return [c for c in checked if c is best
            or (c.support >= conflict_threshold and described[id(c)] >= described[id(best)]
                and not any(states_figure(span.text, best_values) for span in c.spans)
                and (additions_rival or not _added(c)))
            or not same_measure(frozenset(numbers_in(c.claim.text)), best_values)
            or figure_kind(c.claim.text) != best_kind
            or frozenset(numbers_in(c.claim.text)) == best_values]


def _added(item: CheckedClaim) -> bool:
    """The claim's figure is stated as an addition in its cited text; see states_increment."""
    values = frozenset(numbers_in(item.claim.text))
    return any(states_increment(span.text, values) for span in item.spans)


def states_figure(text: str, values: frozenset[float]) -> bool:
    """The text states a figure of exactly these values ("around 1,000 officers": 1000)."""
    return any(stated == values for _, stated in number_phrases(text))


def stated_bound(item: CheckedClaim) -> str:
    """How the claim's figure is bounded, in its own words or else in the cited text's
    ("10" citing "over 10 countries" is ">"); see strict_bound."""
    if bound := strict_bound(item.claim.text):
        return bound
    values = frozenset(numbers_in(item.claim.text))
    for span in item.spans:
        for phrase, stated in number_phrases(span.text):
            if stated == values:
                return strict_bound(phrase)
    return ""


def with_counted_thing(question: str, item: CheckedClaim) -> CheckedClaim:
    """A bare figure answering "how many X" followed by the words that name X after it in
    the cited text: "10" citing "pledged by 10 countries" reads "10 countries". At most
    three words, all from the quote; left as it is when the quote does not name X there."""
    asked = asked_count(question)
    figure = item.claim.text
    if asked is None or not asked.thing or not is_figure(figure):
        return item
    at = re.compile(rf"(?<![\w,.]){re.escape(figure)}((?:[ \t]+\S+){{1,3}})")
    for span in item.spans:
        for match in at.finditer(span.text):
            words: list[str] = []
            naming = 0  # the words up to the last that names the thing: "Kenyan police officers"
            for word in match.group(1).split():
                bare = word.rstrip(",;:”’\"'")
                bare = bare[:-1] if bare.endswith(".") and bare.count(".") == 1 else bare
                # A stop word, or an abbreviation ("U.S.") ends the phrase.
                if bare.lower() in STOPWORDS or not re.fullmatch(r"[\w’'-]+", bare):
                    break
                words.append(bare)
                if set(tokenize(bare)) & asked.thing:
                    naming = len(words)
                if bare != word:  # so does punctuation
                    break
            if naming:
                named = Claim(f"{figure} {' '.join(words[:naming])}", item.claim.passages)
                return CheckedClaim(named, item.spans, item.support)
    return item


def _same_fact(a: CheckedClaim, b: CheckedClaim) -> bool:
    """One claim repeats the other ("Murkomen" in "Kipchumba Murkomen"), and a figure in
    both is bounded alike as its quote states it ("10 countries" is not "over 10
    countries"; "3,100" citing "more than 3,100 troops" is "more than 3,100")."""
    fa, fb = fold(a.claim.text), fold(b.claim.text)
    return (fa in fb or fb in fa) and stated_bound(a) == stated_bound(b)


def compose(question: str, checked: list[CheckedClaim]) -> Answer:
    """Number the citations, merge repeated claims, and state conflicts explicitly."""
    citations: list[Citation] = []

    def cite(span: Span, support: float) -> int:
        for c in citations:
            if (c.source, c.start, c.end) == (span.source, span.start, span.end):
                return c.n
        citations.append(Citation(len(citations) + 1, span.source, span.start, span.end,
                                  span.text, support=round(support, 3)))
        return len(citations)

    groups: list[tuple[str, list[int], list[CheckedClaim]]] = []
    for item in checked:
        refs = [cite(span, item.support) for span in item.spans]
        for _, group_refs, members in groups:
            if _same_fact(members[0], item):
                group_refs.extend(n for n in refs if n not in group_refs)
                members.append(item)
                break
        else:
            groups.append((item.claim.text, refs, [item]))

    conflicts: list[Conflict] = []
    numeric = [g for g in groups if numbers_in(g[0])]
    sources = {span.source for g in numeric for m in g[2] for span in m.spans}
    if (len(numeric) >= 2 and len(sources) >= 2
            and len({(frozenset(numbers_in(g[0])), stated_bound(g[2][0])) for g in numeric}) >= 2):
        conflicts.append(Conflict(topic=question, claims=tuple(
            ConflictClaim(g[0], g[1][0]) for g in numeric)))

    body = "; ".join(f"{text} {''.join(f'[{n}]' for n in refs)}" for text, refs, _ in groups)
    if conflicts:
        body = f"The sources disagree: {body}."
    return Answer(question=question, status="answered", answer=body, citations=citations,
                  conflicts=conflicts)


def warm_up(llm: LLM) -> None:
    """Evaluate the fixed answering and checking prefixes once, so that the first question
    costs no more than the next."""
    llm.token_probability(prompts.answer_prompt("", ""), "NONE")
    llm.yes_probability(prompts.check_prompt("", "", ""))


def insufficient(question: str, evidence: list[Evidence], why: str) -> Answer:
    """A refusal that says what the closest sources do talk about."""
    reason = why
    if evidence:
        top = evidence[0].chunk
        first = " ".join(top.sentences[0].text.split())
        reason += f" The closest passage ({top.source}) says: “{first[:200]}”"
    return Answer(question=question, status="insufficient", answer=NOT_IN_SOURCES,
                  reason=reason)


def _shown_passages(question: str, passages: list[Evidence], llm: LLM,
                    min_relative_score: float, widen_at_none: float
                    ) -> tuple[list[Evidence], list[Message], float]:
    """The passages to show the generator, their prompt, and the generator's probability of
    answering NONE from them (a claim then needs stronger support). Evaluating the prompt
    for that probability leaves it in the KV cache for the generation that follows."""
    shown = closest_passages(passages, min_relative_score)
    messages = answer_messages(question, shown)
    none_probability = llm.token_probability(messages, "NONE")
    if len(shown) < len(passages) and none_probability >= widen_at_none:
        # The closest passages may not hold the answer: show them all. The prompt read so
        # far is the start of the wider one, so only the added passages and the question
        # are read again.
        shown = passages
        messages = answer_messages(question, shown)
        none_probability = llm.token_probability(messages, "NONE")
    return shown, messages, none_probability


def answer(question: str, evidence: list[Evidence], llm: LLM, threshold: float,
           max_tokens: int, documents: Callable[[str], str],
           on_token: Callable[[str], None] | None = None,
           extra_evidence: list[Evidence] | None = None,
           conflict_threshold: float = 0.8, none_weight: float = 1.0,
           min_relative_score: float = 0.0, widen_at_none: float = 0.1,
           mentions: Callable[[str], str] | None = None) -> Answer:
    """Generate, verify and compose the answer to `question` from `evidence`.

    The generator first sees the passages scoring at least `min_relative_score` times the
    best one's score (at least two), and all of `evidence` when its probability of answering
    NONE from those reaches `widen_at_none`. `extra_evidence` (lower-ranked passages the
    generator does not see) is searched only for figures that disagree with a verified
    answer, and so are passages of `evidence` left unshown. `mentions` gives the collection's
    other passages naming a person (the titles they give a proposed name)."""
    if not evidence:
        return insufficient(question, evidence, "Nothing in the collection matches the question.")
    timings: dict[str, float] = {}
    started = time.perf_counter()
    passages = distinct_passages(evidence)
    evidence, messages, none_probability = _shown_passages(question, passages, llm,
                                                           min_relative_score, widen_at_none)
    unshown = passages[len(evidence):]
    pieces = []
    for piece in llm.stream(messages, max_tokens):
        pieces.append(piece)
        if on_token is not None:
            on_token(piece)
    output = "".join(pieces)
    timings["generate_s"] = time.perf_counter() - started
    claims = parse_claims(output, len(evidence))
    started = time.perf_counter()
    required = min(0.95, threshold + none_weight * none_probability)
    checked = keep_clear_figures(
        question, check_claims(question, claims, evidence, llm, required, documents,
                               mentions),
        conflict_threshold)
    if checked:
        checked += find_disagreements(question, checked,
                                      evidence + unshown + (extra_evidence or []),
                                      llm, conflict_threshold, documents)
    timings["verify_s"] = time.perf_counter() - started
    if checked:
        result = compose(question, [with_counted_thing(question, c) for c in checked])
    else:
        result = insufficient(question, evidence, "No passage states the answer." if not claims
                              else "The proposed answer is not stated by the sources.")
    result.timings.update(timings)
    result.none_probability = none_probability
    result.shown = evidence
    return result
