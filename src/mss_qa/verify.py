"""Checks an answer against its sources before anyone sees it.

Pure functions: quotes must be exact spans of the stored text, and the literal facts of a
claim (numbers, names) must appear in the text it cites.
"""

from __future__ import annotations

import ast
import operator
import re
import unicodedata
from collections.abc import Callable

from mss_qa.lexicon import COUNTRY_OF, MONTHS, WEEKDAYS, YEAR
from mss_qa.retrieve import STOPWORDS, tokenize
from mss_qa.types import Citation, Span

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "hundred": 100,
    "thousand": 1000,
    "million": 1_000_000,
    "billion": 1_000_000_000,
    "half": 0.5,
    "dozen": 12,
}
_SCALE = {"thousand": 1000, "million": 1_000_000, "billion": 1_000_000_000}


def fold(text: str) -> str:
    """Lower case, no accents, straight quotes, single spaces: for literal comparison."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = (
        text.replace("’", "'")
        .replace("‘", "'")
        .replace("“", '"')
        .replace("”", '"')
        .replace("‑", "-")
        .replace("–", "-")
        .replace("—", "-")
    )
    return re.sub(r"\s+", " ", text.lower()).strip()


# A word for literal comparison: straight apostrophes and hyphens stay inside it (so the
# text is folded, or its apostrophes straightened, first).
_WORD = re.compile(r"[^\W_][\w'-]*")


def numbers_in(text: str) -> set[float]:
    """Numeric values written in digits ("1,000", "5.6") or simple words ("one million")."""
    values: set[float] = set()
    folded = fold(text)
    for match in _NUMBER.finditer(folded):
        raw = match.group()
        if re.fullmatch(r"\d{1,3}(,\d{3})+", raw):
            raw = raw.replace(",", "")
        try:
            value = float(raw.replace(",", ""))
        except ValueError:
            continue
        following = folded[match.end() : match.end() + 12].strip().split(" ")[0].strip(".,;:!?)")
        values.add(value * _SCALE.get(following, 1))
    words = re.findall(r"[a-z]+", folded)
    for i, word in enumerate(words):
        if word == "a" and i + 1 < len(words) and words[i + 1] in _SCALE:
            values.add(float(_SCALE[words[i + 1]]))
        if word in _NUMBER_WORDS and word not in _SCALE:
            value = float(_NUMBER_WORDS[word])
            nxt = words[i + 1] if i + 1 < len(words) else ""
            values.add(value * _SCALE.get(nxt, 1))
    return values


def names_in(text: str) -> set[str]:
    """Capitalised words and months: the proper nouns a claim asserts."""
    names = set()
    for word in re.findall(r"[^\W\d_][\w'’.-]*", text):
        bare = word.strip(".'’-")
        if not bare:
            continue
        folded = fold(bare)
        if folded in STOPWORDS:
            continue
        if bare[0].isupper() or folded in MONTHS:
            names.add(folded)
    return names


_ARITHMETIC = re.compile(r"\d[\d,.]*(?:\s*[-+−×x*/]\s*\d[\d,.]*)+")


_OPERATORS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
              ast.Div: operator.truediv}


def _evaluate(expression: str) -> float | None:
    """Value of + - * / arithmetic on plain numbers; None for anything else."""
    def walk(node: ast.AST) -> float:
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return float(node.value)
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            return float(_OPERATORS[type(node.op)](walk(node.left), walk(node.right)))
        raise ValueError("not plain arithmetic")

    try:
        return walk(ast.parse(expression.strip(), mode="eval").body)
    except (SyntaxError, ValueError, ZeroDivisionError):
        return None


_PARENTHESIS = re.compile(r"\(([^()]*)\)")
_MONTH_PATTERN = "|".join(MONTHS)
_DATE_RANGE = re.compile(
    rf"(?:from\s+|between\s+)?(?:({_MONTH_PATTERN})\s+)?(\d{{4}})\s*(?:to|until|and|-)\s*"
    rf"(?:({_MONTH_PATTERN})\s+)?(\d{{4}})")


def _date_difference(inner: str, unit_text: str) -> float | None:
    """Months or years between the two dates of "October 2023 to June 2024"."""
    match = _DATE_RANGE.fullmatch(fold(inner).strip(" ."))
    if match is None:
        return None
    month1, year1, month2, year2 = match.groups()
    unit = fold(unit_text)
    if re.search(r"\bmonths?\b", unit):
        if month1 is None or month2 is None:
            return None
        return float(abs((int(year2) * 12 + MONTHS.index(month2))
                         - (int(year1) * 12 + MONTHS.index(month1))))
    if re.search(r"\byears?\b", unit):
        return float(abs(int(year2) - int(year1)))
    return None


_FRACTIONS = {"half": 1 / 2, "one half": 1 / 2, "a third": 1 / 3, "one third": 1 / 3,
              "a quarter": 1 / 4, "one quarter": 1 / 4, "two thirds": 2 / 3,
              "three quarters": 3 / 4}
_FRACTION_OF = re.compile(rf"({'|'.join(_FRACTIONS)}) of (?:about |over |some )?(\d[\d,.]*)")


def _fraction_of(inner: str) -> float | None:
    """350,000 for "half of 700,000"."""
    match = _FRACTION_OF.fullmatch(fold(inner).strip(" ."))
    if match is None:
        return None
    whole = _evaluate(_plain_arithmetic(match.group(2)))
    return None if whole is None else round(_FRACTIONS[match.group(1)] * whole, 6)


def _calculation(inner: str, outside: str) -> tuple[float, set[float]] | None:
    """The value of a written-out calculation ("400 + 217", "half of 700,000", "October 2023
    to June 2024" for a number of months) and its operands; None when `inner` is not one."""
    if _ARITHMETIC.fullmatch(inner.strip()):
        value = _evaluate(_plain_arithmetic(inner))
        return None if value is None else (value, numbers_in(inner))
    value = _fraction_of(inner)
    if value is not None:
        return value, numbers_in(inner)
    value = _date_difference(inner, outside)
    return None if value is None else (value, numbers_in(inner))


def derived_numbers(claim: str) -> set[float]:
    """Results of calculations written out in the claim, e.g. "617 (400 + 217)" -> {617},
    "8 months (October 2023 to June 2024)" -> {8}.

    A result counts as derived only when the claim also states it and the calculation
    really gives it; its operands must still appear in the cited text.
    """
    stated = numbers_in(claim)
    values = [_evaluate(_plain_arithmetic(m.group())) for m in _ARITHMETIC.finditer(claim)]
    for match in _PARENTHESIS.finditer(claim):
        calculation = _calculation(match.group(1), claim.replace(match.group(0), " "))
        if calculation is not None:
            values.append(calculation[0])
    return {v for v in stated for value in values
            if value is not None and abs(v - value) < 1e-6}


def _format_like(value: float, example: str) -> str:
    if not value.is_integer():
        return f"{value:g}"
    return f"{int(value):,}" if "," in example or value >= 10_000 else str(int(value))


def calculation_readings(claim: str) -> tuple[str, ...]:
    """The ways to read a claim's written-out calculation, the likelier first.

    Small models write the "result (a + b)" form with a slip in the sum, or count months
    wrongly: when the claim states one other figure, it becomes the calculated one. A
    "calculation" whose result repeats an operand ("600 (600 + 200)") is ambiguous: either
    the figure was stated and the calculation is noise, or the sum was meant and the figure
    is a slip. Both readings are returned ("600", "800 (600 + 200)"), as are both for a
    figure the calculation does not give ("617 (217 + 400)", "800"), for the checks to
    choose. One whose result cannot be placed is dropped."""
    for match in _PARENTHESIS.finditer(claim):
        outside_text = claim.replace(match.group(0), " ")
        calculation = _calculation(match.group(1), outside_text)
        if calculation is None:
            continue
        value, operands = calculation
        outside = numbers_in(outside_text)
        if value in outside:
            return (claim,)
        figures = list(_NUMBER.finditer(outside_text))
        stated = " ".join(outside_text.split())
        if len(outside) != 1 or len(figures) != 1:
            return (stated,)
        figure = figures[0].group()
        before = claim.find(figure, 0, match.start())
        at = before if before >= 0 else claim.find(figure, match.end())
        calculated = claim[:at] + _format_like(value, figure) + claim[at + len(figure):]
        return (stated, calculated) if outside & operands else (calculated, stated)
    return (claim,)


_SIMPLE_FRACTIONS = {"1/2": "half", "1/3": "a third", "2/3": "two thirds", "1/4": "a quarter",
                     "3/4": "three quarters"}
_SIMPLE_FRACTION = re.compile(r"(?<![\d/.,])([123])/([234])(?![\d/.,])")


def worded_fractions(claim: str) -> str:
    """"1/2" as "half" (articles write shares in words; the literal check reads digits)."""
    return _SIMPLE_FRACTION.sub(
        lambda m: _SIMPLE_FRACTIONS.get(m.group(), m.group()), claim)


def settle_calculation(claim: str) -> str:
    """The likelier reading of a claim's written-out calculation (see calculation_readings)."""
    return calculation_readings(claim)[0]


def _plain_arithmetic(expression: str) -> str:
    for symbol, op in (("−", "-"), ("×", "*"), ("x", "*")):
        expression = expression.replace(symbol, op)
    return re.sub(r"(?<=\d),(?=\d{3})", "", expression)


def literal_support(claim: str, cited_text: str) -> list[str]:
    """What the claim states that the cited text does not contain (empty when supported)."""
    missing: list[str] = []
    cited_numbers = numbers_in(cited_text)
    derived = derived_numbers(claim)
    for value in sorted(numbers_in(claim)):
        if value not in cited_numbers and value not in derived:
            missing.append(f"{value:g}")
    cited_folded = fold(cited_text)
    # An abbreviation written with stops ("U.N.") is also read without them ("UN").
    cited_folded += " " + " ".join(m.group().replace(".", "")
                                   for m in _DOTTED_ABBREVIATION.finditer(cited_folded))
    cited_words = set(_WORD.findall(cited_folded))
    for name in sorted(names_in(claim)):
        parts = _WORD.findall(name)
        # A part may open a longer word ("Kenya" in "Kenyan", "Haiti" in "Haiti's") but not
        # sit inside one ("IDE" in "Schneider", "Python" in "VPython").
        if not all(p in cited_words or re.search(rf"(?<!\w){re.escape(p)}", cited_folded)
                   for p in parts):
            missing.append(name)
    return missing


_DOTTED_ABBREVIATION = re.compile(r"(?<!\w)(?:[a-z]\.){2,}")


def restates_question(claim: str, question: str) -> bool:
    """True when the claim only repeats words of the question (no new information): all its
    content words are the question's, or at least three in four are and the others are
    neither names nor figures ("post on his social media accounts" for "What did Ruto post
    on social media?")."""
    straight = claim.replace("’", "'").replace("‘", "'")  # as `fold` does, case kept
    words = {fold(w): w for w in _WORD.findall(straight)}
    claim_words = {w for w in words if w not in STOPWORDS}
    question_words = set(_WORD.findall(fold(question)))
    new = claim_words - question_words
    if not claim_words or any(not words[w].islower() for w in new):
        return False
    return 4 * len(new) <= len(claim_words)


def content_overlap(claim: str, sentence: str) -> float:
    """Share of the claim's content words found in the sentence (0..1)."""
    claim_words = {w for w in _WORD.findall(fold(claim)) if w not in STOPWORDS}
    if not claim_words:
        return 0.0
    sentence_words = set(_WORD.findall(fold(sentence)))
    return len(claim_words & sentence_words) / len(claim_words)


def best_supporting_span(
    claim: str, question: str, sentences: tuple[Span, ...], document_text: str
) -> Span:
    """The sentence (or two adjacent sentences) of a passage that best carries the claim."""

    def score(span: Span) -> tuple[int, float, float]:
        return (
            -len(literal_support(claim, span.text)),
            content_overlap(claim, span.text),
            content_overlap(question, span.text),
        )

    best = max(sentences, key=score)
    if literal_support(claim, best.text):
        index = sentences.index(best)
        for other in (index - 1, index + 1):
            if 0 <= other < len(sentences):
                first, second = sorted((sentences[index], sentences[other]), key=lambda s: s.start)
                pair = Span(
                    first.source, first.start, second.end, document_text[first.start : second.end]
                )
                if not literal_support(claim, pair.text):
                    return pair
    return best


def verify_citation(citation: Citation, document_text: str) -> bool:
    """A citation is valid only when its quote is exactly that span of the document."""
    return (
        0 <= citation.start < citation.end <= len(document_text)
        and document_text[citation.start : citation.end] == citation.quote
    )


_MONTH_NAMES = "|".join(m.capitalize() for m in MONTHS)
_NUMBER_PHRASE = re.compile(
    r"(?:(?:more than|over|about|around|nearly|almost|approximately|just under|up to|at least"
    r"|some)\s+)?"
    rf"(?:(?:{_MONTH_NAMES})\s+(?:\d{{1,2}}(?:st|nd|rd|th)?,?\s+)?)?"
    r"\b(?:\d[\d,.]*\d|\d|a|one|two|three|four|five|six|seven|eight|nine|ten)\b"
    r"(?:\s+(?:million|thousand|billion))?(?:%| per ?cent)?",
    re.IGNORECASE)


def is_year(value: float) -> bool:
    return value.is_integer() and 1900 <= value <= 2100


def number_phrases(text: str) -> list[tuple[str, frozenset[float]]]:
    """Figures as written ("over 1 million", "June 2024", "80%"), with their values."""
    phrases = []
    for match in _NUMBER_PHRASE.finditer(text):
        phrase = match.group().strip(" ,.")
        values = frozenset(numbers_in(phrase))
        if values and re.search(r"\d|million|thousand|billion", phrase, re.IGNORECASE):
            phrases.append((phrase, values))
    return phrases


_STRICT_BOUND = re.compile(r"\b(?:(more than|over)|(just under))\s+(?=\d)", re.IGNORECASE)


def strict_bound(figure: str) -> str:
    """How a figure is bounded: ">" for "over 10" or "more than 10", "<" for "just under
    800", "" for a figure stated as it is or only approximately ("about 10")."""
    match = _STRICT_BOUND.search(figure)
    if match is None:
        return ""
    return ">" if match.group(1) else "<"


# Words that make a figure an addition: "an additional 217", "another 600", "600 more".
_ADDING = r"additional|another|further|extra"
_ADDED_BEFORE = re.compile(rf"\b(?:{_ADDING})\s+$")
_ADDED_AFTER = re.compile(r"^\s+(?:more|additional|extra)\b(?!\s+than\b)")


def states_increment(text: str, values: frozenset[float]) -> bool:
    """The text states a figure of these values as an addition to others: "an additional
    217 police officers", "600 more police officers", "200 more will join them"."""
    folded = fold(text)
    for match in _NUMBER.finditer(folded):
        if (frozenset(numbers_in(match.group())) == values
                and (_ADDED_BEFORE.search(folded[:match.start()])
                     or _ADDED_AFTER.match(folded[match.end():]))):
            return True
    return False


def asks_increment(question: str) -> bool:
    """The question asks for an addition ("How many more officers ...?")."""
    return bool(re.search(rf"\b(?:more|{_ADDING})\b(?!\s+than\b)", fold(question)))


def is_figure(text: str) -> bool:
    """The text is one figure as written ("10", "over 1 million"), nothing more."""
    return _NUMBER_PHRASE.fullmatch(text.strip()) is not None


_DAY_DATE = re.compile(
    rf"\b(?:the\s+)?(?:\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH_NAMES})"
    rf"|({_MONTH_NAMES})\s+\d{{1,2}}(?:st|nd|rd|th)?,?)\s+(\d{{4}})\b")
_MONTH_YEAR = re.compile(rf"(?:in\s+)?({_MONTH_NAMES})\s+(\d{{4}})", re.IGNORECASE)


def fuller_dates(claim: str, text: str) -> list[tuple[str, str]]:
    """Dates in `text` with a day, in the month and year a claim gives without one ("7th
    October 2024" for "October 2024"), each with the words that lead to it (from the start
    of its clause or the date before it: "and the subsequent reopening of courts on")."""
    month_year = _MONTH_YEAR.fullmatch(claim.strip())
    if month_year is None:
        return []
    month, year = fold(month_year.group(1)), month_year.group(2)
    found = []
    previous_end = 0
    for match in _DAY_DATE.finditer(text):
        clause = clause_around(text, match.start(), match.end())
        lead = text[max(previous_end, text.find(clause)):match.start()]
        previous_end = match.end()
        if fold(match.group(1) or match.group(2)) == month and match.group(3) == year:
            found.append((re.sub(r"^the\s+", "", match.group()), lead))
    return found


_RELATIVE_YEAR = re.compile(r"\b(last|this|next) year\b", re.IGNORECASE)
_YEAR_OFFSET = {"last": -1, "this": 0, "next": 1}


def latest_dated_year(document: str) -> int | None:
    """The year of the latest day-exact date a document gives ("January 10, 2025"), taken
    as the year it was written in: right for news that dates what has happened, misled by a
    day announced for the future."""
    years = [int(match.group(3)) for match in _DAY_DATE.finditer(document)]
    return max(years) if years else None


def relative_years(text: str, document: Callable[[], str]
                   ) -> list[tuple[str, str, frozenset[float]]]:
    """Years a sentence names relative to when its document was written: "last year" in an
    article whose latest dated day is in 2025 gives ("last year (2024)", "last year",
    {2024}). Nothing when the document dates no day. The document is read only for a
    sentence that names such a year."""
    matches = list(_RELATIVE_YEAR.finditer(text))
    written = latest_dated_year(document()) if matches else None
    if written is None:
        return []
    found = []
    for match in matches:
        year = written + _YEAR_OFFSET[match.group(1).lower()]
        found.append((f"{match.group()} ({year})", match.group(), frozenset({float(year)})))
    return found


_ASKED_YEAR = re.compile(rf"\b(?:in|during|for|since|by)\s+({YEAR})\b", re.IGNORECASE)
_STATED_YEAR = re.compile(rf"(?<![\d,.])({YEAR})(?![\d,]|\.\d)")


def names_other_year(question: str, cited: list[tuple[str, Callable[[], str]]]) -> bool:
    """True when the question asks about a year ("killed in 2022") and the cited texts name
    years, none of them that one ("over 5,600 lives in 2023"; "last year" in an article
    written in 2025): the answer is another year's. `cited` pairs each text with a reader
    of its document (for "last year")."""
    asked = {int(year) for year in _ASKED_YEAR.findall(question)}
    if not asked:
        return False
    stated: set[int] = set()
    for text, document in cited:
        stated |= {int(year) for year in _STATED_YEAR.findall(text)}
        stated |= {int(v) for _, _, values in relative_years(text, document) for v in values}
    return bool(stated) and not asked & stated


# A share of a figure stated just before: "…, half of whom are children".
SHARE_OF = re.compile(rf"\b({'|'.join(_FRACTIONS)}) of (?:whom|which|them|those)\b",
                      re.IGNORECASE)


def share_phrases(text: str) -> list[tuple[str, frozenset[float]]]:
    """Figures a sentence implies by a share of a stated one: "over 700,000 people
    displaced, half of whom are children" gives "350,000 (half of 700,000)"."""
    phrases = []
    for share in SHARE_OF.finditer(text):
        before = [m for m in _NUMBER_PHRASE.finditer(text, 0, share.start())
                  if numbers_in(m.group()) and re.search(r"\d", m.group())]
        if not before:
            continue
        whole = before[-1]
        digits = _NUMBER.search(whole.group())
        values = numbers_in(whole.group())
        if digits is None or len(values) != 1:
            continue
        fraction = fold(share.group(1))
        value = _FRACTIONS[fraction] * next(iter(values))
        phrase = f"{_format_like(value, digits.group())} ({fraction} of {digits.group()})"
        phrases.append((phrase, frozenset({value})))
    return phrases


_CLAUSE_END = re.compile(r"[,;:]\s|[.!?](?:\s|$)|\s[—–-]\s")


def clause_around(text: str, start: int, end: int) -> str:
    """The clause of `text` holding text[start:end]: between the nearest comma, semicolon,
    colon, dash or sentence end on either side (commas inside figures do not count)."""
    left = 0
    for match in _CLAUSE_END.finditer(text, 0, start):
        left = match.end()
    right = _CLAUSE_END.search(text, end)
    return text[left:right.start() if right else len(text)]


def same_measure(a: frozenset[float], b: frozenset[float]) -> bool:
    """Both figures are years, or both are quantities: worth comparing."""
    return bool(a) and bool(b) and all(is_year(v) for v in a) == all(is_year(v) for v in b)


_PERCENT = re.compile(r"%|\bper ?cent\b", re.IGNORECASE)
_MONTH_NAME = re.compile(rf"\b(?:{_MONTH_NAMES})\b", re.IGNORECASE)


def figure_kind(text: str) -> str:
    """What the first figure of `text` measures, as far as its own words tell: "percent"
    ("80%"), "day" (a day of a month: "January 26"), "year" ("2024", "June 2024") or
    "quantity" ("5,600", "over 1 million", "8 months (October 2023 to June 2024)"). A
    share of a city and a death toll, or the 26th of January and 600 officers, are not
    two answers to one question."""
    phrases = number_phrases(text)
    figure = phrases[0][0] if phrases else text
    values = numbers_in(figure)
    if _PERCENT.search(figure):
        return "percent"
    if _MONTH_NAME.search(figure) and not all(is_year(v) for v in values):
        return "day"
    if values and all(is_year(v) for v in values):
        return "year"
    return "quantity"


_CURRENCY = re.compile(
    r"[$€£¥₹₽₩₦₺₱]|\b(?:dollars?|euros?|shillings?|pounds?|gourdes?|francs?|crowns?|kron(?:a|e|or|er)"
    r"|rupees?|yen|yuan|renminbi|pesos?|reais|naira|cedis?|dirhams?|dinars?|riyals?"
    r"|rials?|lira|liras|lire|rubles?|roubles?|zloty|forints?|cents?|pence"
    r"|usd|eur|gbp|kes|htg|jpy|cny|inr|chf)\b",
    re.IGNORECASE)
_QUANTITY_WORDS = re.compile(r"\b(?:half|dozens?|hundreds|thousands|millions|several|few|many"
                             r"|all|none|no)\b", re.IGNORECASE)


def expected_answer_type(question: str) -> str | None:
    """What kind of answer the question asks for: money, date, count, person or None."""
    q = fold(question)
    if re.search(r"\b(budget|cost|costs|spend|spent|salary|paid|price|funding amount|how much "
                 r"money)\b|\bin (u\.?s\.? )?dollars\b", q):
        return "money"
    if re.match(r"(when|what date|on what date|in what year|which year|what year|what day)\b",
                q) or re.search(r"\b(on|in) (what|which) (date|day|year|month)\b", q):
        return "date"
    if re.match(r"how (many|much)\b", q) or re.search(r"\bhow many\b", q):
        return "count"
    if re.match(r"who\b", q):
        return "person"
    return None


# A date written in figures: 2001-07-22, 22/7/2001, 1/8/99, 22.07.2001.
_NUMERIC_DATE = re.compile(r"(?<![\d/.-])(?:\d{4}-\d{1,2}-\d{1,2}"
                           r"|\d{1,2}([/.-])\d{1,2}\1(?:\d{4}|\d{2}))(?![\d/-])")


# A year outside `is_year`'s range, as a "when" answer writes it: "1887", "1642", "44 BC" (a
# four-digit figure without a thousands separator, or a figure with an era).
_WRITTEN_YEAR = re.compile(r"(?<![\d,.])[12]\d{3}(?![\d,]|\.\d)|\b\d{1,4} ?(?:BC|BCE|AD|CE)\b")


def matches_answer_type(claim: str, cited_text: str, expected: str | None) -> bool:
    """A cheap guard against an answer of the wrong kind (a head count for a budget)."""
    if expected is None:
        return True
    folded = fold(claim)
    if expected == "money":
        windows = [cited_text[max(0, m.start() - 30):m.end() + 30]
                   for m in _NUMBER.finditer(cited_text)]
        return bool(_CURRENCY.search(claim)) or any(_CURRENCY.search(w) for w in windows)
    if expected == "date":
        if (any(m in folded for m in MONTHS) or any(d in folded for d in WEEKDAYS)
                or bool(_NUMERIC_DATE.search(claim))
                or any(is_year(v) for v in numbers_in(claim)) or bool(_WRITTEN_YEAR.search(claim))):
            return True
        # A time relative to now ("last year", "two weeks ago"), not to another event: "the day
        # before" or "a week later" does not say when.
        return (bool(re.search(r"\b(year|month|week|day|today|yesterday|ago)\b", folded))
                and not _RELATIVE_TO_EVENT.search(folded))
    if expected == "count":
        return bool(numbers_in(claim)) or bool(_QUANTITY_WORDS.search(claim))
    return any(ch.isupper() for ch in claim)  # person: a name


_RELATIVE_TO_EVENT = re.compile(r"\b(before|after|earlier|later|following|previous|prior|same)\b")
_WORD_COUNT = re.compile(r"\b(one|two|three|four|five|six|[1-6])[- ]word\b")
_COUNT_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}


def fits_word_count(question: str, claim: str) -> bool:
    """A question for "a two-word phrase" is answered by two words (the generator sometimes
    gives a longer phrase of the same passage)."""
    asked = _WORD_COUNT.search(fold(question))
    if asked is None:
        return True
    count = _COUNT_WORDS.get(asked.group(1)) or int(asked.group(1))
    return len(_WORD.findall(fold(claim))) == count


_ASKED_AUX = frozenset(
    "is are was were do does did has have had will would can could should may might".split())
_NAME_JOINERS = frozenset({"and", "of", "the", "for", "de", "du", "la", "&"})
_PARENTHETICAL = re.compile(r"\s*\([^()]*\)|\s*\[\d+\]")


def asked_kind(question: str) -> str | None:
    """The noun a which- or what-question asks for: "weapons" in "What weapons do the police
    carry?", "unit" in "Which all-female Kenyan unit is among ...?" (the last word before the
    auxiliary); when no auxiliary follows soon, its first word in lower case ("resolution"
    in "Which Security Council resolution backs the mission?")."""
    words = _WORD.findall(question.replace("’", "'"))
    lowered = [w.lower() for w in words]
    if len(words) < 2 or lowered[0] not in {"what", "which"} or lowered[1] in _ASKED_AUX:
        return None
    aux = next((i for i in range(2, min(len(words), 6)) if lowered[i] in _ASKED_AUX), None)
    first_common = next((w for w in words[1:] if w.islower()), "")
    head = lowered[aux - 1] if aux is not None else first_common
    return head if head.isalpha() and head not in STOPWORDS else None


# The last word of the name of a place or building: "Toussaint Louverture International
# Airport" is an airport, and answers no question for an airline or a person.
_FACILITIES = frozenset(
    "airport airfield airbase port harbour harbor station hospital clinic school university "
    "college academy prison jail palace stadium hotel bridge road street avenue square park "
    "market building centre center base camp church mosque embassy".split())
# Kinds of thing a facility's name can answer besides its own: "What place ...?".
_PLACE_KINDS = frozenset("place location site facility venue destination".split())


def names_other_kind(question: str, claim: str) -> bool:
    """True when the claim is a proper name of another kind than the question asks for:
    one that holds the asked-for noun only as a modifier ("Special Weapons and Tactics Team"
    answers "What weapons ...?" with a team, because its name has the word in it; "Jomo
    Kenyatta International Airport" is an airport), or the name of a place or building
    given for something else ("What airline flew the police?" is not answered "Toussaint
    Louverture International Airport")."""
    kind = asked_kind(question)
    if kind is None:
        return False
    words = _WORD.findall(_PARENTHETICAL.sub("", claim))
    if len(words) < 2 or not all(w[:1].isupper() for w in words
                                 if w.lower() not in _NAME_JOINERS):
        return False
    stems = [tokenize(w)[0] if tokenize(w) else "" for w in words]
    asked = tokenize(kind)[0]
    if stems[-1] == asked:
        return False
    return asked in stems[:-1] or (words[-1].lower() in _FACILITIES
                                   and kind not in _FACILITIES | _PLACE_KINDS)


# What a text says before a name when the person no longer holds the title it gives them:
# "the 2021 assassination of President Jovenel Moïse", "former Prime Minister X", "the late X".
_NO_LONGER = re.compile(
    r"\b(?:former|late|ex(?=-)|then(?=-)|slain|assassinated|murdered|deceased|ousted"
    r"|(?:assassination|killing|murder|death|funeral|ouster|overthrow) of(?: the)?)"
    r"[\s-]+(?:[\w.'-]+\s+){0,3}$")
# "Who is the president of Haiti?", "Who's Haiti's president?": who holds a title now.
_WHO_HOLDS = re.compile(r"^\s*(?:who is|who's|who are|who currently)\b")


def names_past_holder(question: str, claim: str, cited_text: str) -> bool:
    """A question for who holds a title now is not answered by someone the cited text calls
    former or late, or whose assassination, killing or death it reports: "Who is the
    Haitian president?" is not answered "Jovenel Moïse" from "the 2021 assassination of
    President Jovenel Moïse"."""
    if not _WHO_HOLDS.search(fold(question)) or not claim.strip():
        return False
    text, name = fold(cited_text), fold(claim).strip()
    places = [m.start() for m in re.finditer(re.escape(name), text)]
    return bool(places) and all(_NO_LONGER.search(text[max(0, at - 60):at]) for at in places)


_TIMED = re.compile(r"^\s*how long (?:did|does|do|will|would|has|have|had|could|can)"
                    r" (?P<thing>.+?) (?:take|took|last|lasted)\b")
_OF_WHAT = re.compile(r"\s+(?:to|of|in|from|for|at|on|by|between|into|with)\s.*$")


def names_timed_thing(question: str, cited_text: str) -> bool:
    """A question for how long something took or lasted names that thing ("How long did the
    officers' flight to Haiti take?": the flight); the cited text must name it too, since
    "take" and "last" say nothing of what is timed: "officers already there for
    approximately two weeks" says nothing of a flight. True when nothing of the kind is
    asked."""
    match = _TIMED.search(fold(question))
    if match is None:
        return True
    words = _OF_WHAT.sub("", match.group("thing")).split()
    head = tokenize(words[-1]) if words else []
    if not head or words[-1] in {"it", "that", "this", "they"}:
        return True
    return head[0] in set(tokenize(cited_text))


_WHEN_FUTURE = re.compile(r"^\s*when (?:will|is \w+(?: \w+)* (?:expected|scheduled|due|set) to)\b")
_FUTURE = re.compile(r"\b(?:will|would|shall|expected|scheduled|due|set to|plans?|planned|"
                     r"to be|next|upcoming|coming|soon)\b")


def past_for_future(question: str, cited_text: str) -> bool:
    """A question for when something will happen ("When will 200 more officers arrive?")
    cited with text that tells of it as past ("200 Kenyan police arrived in Haiti on
    Tuesday") and says nothing of what is to come: that date is of another event."""
    asked = fold(question)
    if not _WHEN_FUTURE.search(asked):
        return False
    cited = fold(cited_text)
    if _FUTURE.search(cited):
        return False
    past = set()  # the question's words as past forms: "arrive" as "arrived"
    for word in (w for w in _WORD.findall(asked) if w.isalpha() and w not in STOPWORDS):
        past |= {word + "ed", word + "d", word[:-1] + "ied"}
        if word.endswith("ed"):  # "When will they be deployed?"
            past.add(word)
    return any(word in past for word in _WORD.findall(cited))


_SUPERLATIVE = re.compile(r"\b(most|least|largest|biggest|highest|lowest|greatest|smallest|fewest"
                          r"|top|main|best|worst|first|last|only)\b")


def states_ranking(question: str, cited_text: str) -> bool:
    """A question for "the most"/"the largest" of something needs text that ranks: "a leading
    contributor" does not say who contributed most."""
    asked = re.search(r"\bthe (most|largest|biggest|highest|greatest|fewest|least)\b"
                      r"(?! recent| recently)", fold(question))
    if asked is None or re.match(r"how (many|much)\b", fold(question)):
        return True
    return bool(_SUPERLATIVE.search(fold(cited_text)))


_ORDINAL = re.compile(r"\b(first|initial|second|third|fourth|fifth|sixth)\b")
_SAME_ORDINAL = {"initial": "first"}


def _ordinal_mentions(text: str) -> list[tuple[str, set[str]]]:
    """Each ordinal of `text` with the next three content words, what it numbers ("second",
    {"contingent", "200", "kenyan"})."""
    folded = fold(text)
    return [(_SAME_ORDINAL.get(m.group(1), m.group(1)),
             set(tokenize(folded[m.end():m.end() + 60])[:3]))
            for m in _ORDINAL.finditer(folded)]


def names_other_ordinal(question: str, cited_text: str) -> bool:
    """The question asks about the first (second, ...) of something and the cited text
    numbers that same thing otherwise, never as asked: "A second contingent of 200 Kenyan
    police arrived on Tuesday" does not say when the first Kenyan police officers arrived.
    An ordinal about something else ("his first comment") does not count."""
    asked = _ordinal_mentions(question)
    if not asked:
        return False
    about = set().union(*(words for _, words in asked))
    stated = {ordinal for ordinal, words in _ordinal_mentions(cited_text) if words & about}
    return bool(stated) and not stated & {ordinal for ordinal, _ in asked}


_BEGINNING = re.compile(r"\b(?:begin|began|begun|beginning|start|started|starting|launch"
                        r"|launched)\b")
_BEGINNING_STATED = re.compile(rf"{_BEGINNING.pattern}|\b(?:first|initial|initially|since)\b")
_ADDITION = re.compile(rf"\b(?:{_ADDING}|latest)\b|\b\d[\d,]*\s+more\b(?!\s+than\b)")


def about_addition(question: str, cited_text: str) -> bool:
    """A question about how something began is not answered by text about an addition to it
    that says nothing of a beginning: "When did Kenya begin deploying police officers?" is
    not answered "January 26" from "200 more will join them on January 26". A question
    about the beginning of an addition ("When will the additional officers start ...?") is
    about that addition."""
    text = fold(cited_text)
    return (bool(_BEGINNING.search(fold(question))) and not asks_increment(question)
            and not _BEGINNING_STATED.search(text) and bool(_ADDITION.search(text)))


_DEMONYM = re.compile(r"\b(" + "|".join(sorted(COUNTRY_OF, key=len, reverse=True))
                      + r")s?\b")


def nationalities(text: str) -> set[str]:
    """The countries whose nationality adjective the text uses ("Haitian police": haiti)."""
    return {COUNTRY_OF[m] for m in _DEMONYM.findall(fold(text))}


def countries_named(text: str) -> set[str]:
    """The countries the text names, by name ("landed in Haiti") or by demonym."""
    folded = fold(text)
    named = {c for c in set(COUNTRY_OF.values())
             if c in folded and re.search(rf"\b{re.escape(c.title())}\b", text)}
    return named | nationalities(text)


# A country something is sent to or happens in: "sent to Haiti", "serving in Haiti".
_SETTING = re.compile(r"\b(?:to|in|into|inside|across)\s+([A-Z][a-z]+(?: [A-Z][a-z]+)?)")


def _setting(question: str, countries: set[str]) -> set[str]:
    """Of `countries`, those the question sends something to or places something in."""
    places = {fold(w) for w in _SETTING.findall(question)}
    return {c for c in countries if any(p.startswith(c) for p in places)}


def _unplaced_countries(question: str) -> set[str]:
    """The countries a question names, less those it sends something to or places
    something in."""
    named = countries_named(question)
    return named - _setting(question, named)


def asked_countries(question: str) -> set[str]:
    """The countries a question asks about: those it names, less the one something is sent
    to or happens in when it names another ("How many soldiers has Chad sent to Haiti?"
    asks about Chad)."""
    return _unplaced_countries(question) or countries_named(question)


def describes_another_country(question: str, claim: str, cited_text: str,
                              context: str = "") -> bool:
    """The words the cited text puts with the claim name a country, and none the question
    asks about: "Kenyan President William Ruto" does not answer "Who is the president of
    Haiti?", nor "600 Kenya police officers in Haiti" "How many police officers has Jamaica
    sent to Haiti?". For a name they are the three words before it (its title), for a
    figure the three after it (what it counts), or the words of its clause before it when
    it ends the clause ("the total number of Kenyan police officers deployed in Haiti to
    400" does not answer "How many police officers does Haiti have?"), or the three after
    the figure before it for "N more" ("600 Kenya police officers ... and 200 more"). The
    country the question places things in does not count, and a question that names no
    other ("How many officers are in Haiti?") asks about no nationality.

    A name the cited text gives no country ("To president Ruto, ...") is described by the
    titles `context` gives it elsewhere ("Kenyan President William Ruto") when the question
    asks who someone is ("Who is the president of Haiti?", "Haiti president"), not who did
    something ("Who visited Haiti?")."""
    asked = _unplaced_countries(question)
    if not asked:
        return False
    figure = _NUMBER.search(claim)
    if figure is not None:
        at = re.search(rf"(?<![\d.,]){re.escape(figure.group())}(?![.,]?\d)", cited_text)
        if at is None:
            return False
        words = cited_text[at.end():].split()[:3]
        if _CLAUSE_END.match(cited_text, at.end()) or not cited_text[at.end():].strip():
            words = clause_around(cited_text, at.start(), at.end())[:-len(figure.group())
                                                                    ].split()
        elif words[0].lower() in ("more", "others"):  # "600 Kenya police officers ... 200 more"
            earlier = list(_NUMBER.finditer(cited_text, 0, at.start()))
            if earlier:
                words = cited_text[earlier[-1].end():].split()[:3]
    else:
        index = cited_text.lower().find(claim.lower())
        if index < 0:
            return False
        words = cited_text[:index].split()[-3:]
    described = _described(question, words)
    if not described and figure is None and context and _asks_identity(question):
        surname = claim.split()[-1]
        for at in re.finditer(rf"(?<!\w){re.escape(surname)}(?!\w)", context):
            described |= _described(question, context[:at.start()].split()[-3:])
    return bool(described) and not described & asked


def _described(question: str, words: list[str]) -> set[str]:
    """The countries `words` name, less those the question or they place things in."""
    described = countries_named(" ".join(words))
    return described - (_setting(question, described) | _setting(" ".join(words), described))


# "Who is ...", "Who was ...", "Who's ...", or a few words without a verb ("Haiti president").
_IDENTITY = re.compile(r"^\s*who(?:\s+(?:is|was|are|were)\b|['’]s\b)", re.IGNORECASE)


def _asks_identity(question: str) -> bool:
    return bool(_IDENTITY.match(question)) or (
        len(question.split()) <= 3 and not _QUESTION_WORD.match(question))


_QUESTION_WORD = re.compile(r"^\s*(?:who|whom|whose|what|which|when|where|why|how)\b",
                            re.IGNORECASE)


def source_names_asked_country(question: str, document: str) -> bool:
    """The source document names (by name or demonym) a country the question asks about, or
    the question asks about none. A document that never mentions Chad cannot say how many
    soldiers Chad sent, whatever figure the sentence the generator cites holds."""
    asked = asked_countries(question)
    return not asked or bool(asked & countries_named(document))


def _named(country: str, folded_text: str) -> bool:
    return country in folded_text or any(
        c == country and re.search(rf"\b{d}", folded_text) for d, c in COUNTRY_OF.items())


def about_other_nationality(question: str, cited_text: str, context: str = "") -> bool:
    """The question asks about one nationality or country ("Jamaican officers", "the
    population of Kenya") and the cited text names another nationality ("Kenyan officers",
    "Haitian police") but not the one asked about.

    The nationality asked about is the question's demonym ("Jamaican officers in Haiti" asks
    about Jamaicans). Without one, a capitalised word of the question counts as a country
    when a demonym of it occurs in the cited text or in `context` (the other retrieved
    passages), or when it occurs there and has a country name's common ending (-a, -i:
    Kenya, Haiti, Jamaica, Somalia). The question's first word counts only as a country's
    name ("Kenya population"), being capitalised anyway."""
    asked = nationalities(question)
    if not asked:
        known = nationalities(f"{cited_text} {context}") | set(COUNTRY_OF.values())
        surrounding = fold(f"{cited_text} {context}")
        capitalised = {w.lower() for w in re.findall(r"(?<!^)\b[A-Z][a-z]{3,}\b", question)}
        first = re.match(r"\s*([A-Z][a-z]{3,})\b", question)
        asked = (capitalised & known) | {
            w for w in capitalised if w[-1] in "ai" and re.search(rf"\b{w}\b", surrounding)}
        if first is not None and first.group(1).lower() in set(COUNTRY_OF.values()):
            asked.add(first.group(1).lower())
    if not asked:
        return False
    cited = fold(cited_text)
    if any(_named(country, cited) for country in asked):
        return False
    return bool(nationalities(cited_text) - asked)
