"""Hybrid retrieval: BM25 over chunk text plus dense vectors from Chroma, fused by RRF."""

from __future__ import annotations

import itertools
import math
import re
import threading
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import replace
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from nltk.stem.porter import PorterStemmer

from mss_qa.backends.chroma_store import ChromaStore
from mss_qa.backends.embedders import Embedder, Vectors
from mss_qa.chunk import is_table_row
from mss_qa.types import Chunk, Evidence, Span

_TOKEN = re.compile(r"\d[\d,.]*\d|\w+", re.UNICODE)
# Words that carry no fact of their own: left out of BM25 terms and of literal checks.
STOPWORDS = frozenset(
    "a an the of in on at to for from by with and or but is are was were be been being has "
    "have had do does did what which who whom whose when where why how that this these those "
    "it its as into than then there their they them he she his her we our you your i not no "
    "so if about after before during over under up down out all any some more most many much "
    "per will would can could should may might around nearly almost approximately also"
    .split()
)


_STEMMER = PorterStemmer()


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return str(_STEMMER.stem(word))


def tokenize(text: str) -> list[str]:
    """Lower-cased, stemmed content words; numbers lose their thousands separators."""
    tokens = []
    for raw in _TOKEN.findall(text.lower().replace("’", "'")):
        if raw in STOPWORDS:
            continue
        tokens.append(raw.replace(",", "") if raw[0].isdigit() else _stem(raw))
    return tokens


class BM25:
    """Okapi BM25 with an inverted index, so a query touches only the postings it needs."""

    def __init__(self, texts: list[str], k1: float = 1.5, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.size = len(texts)
        lengths = np.zeros(self.size, dtype=np.float32)
        postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for i, text in enumerate(texts):
            counts = Counter(tokenize(text))
            lengths[i] = sum(counts.values())
            for term, tf in counts.items():
                postings[term].append((i, tf))
        self._lengths = lengths
        average = float(lengths.mean()) if self.size else 1.0
        self._norm = k1 * (1 - b + b * lengths / max(average, 1e-9))
        self._postings = {
            term: (
                np.array([d for d, _ in items], dtype=np.int64),
                np.array([tf for _, tf in items], dtype=np.float32),
                math.log(1 + (self.size - len(items) + 0.5) / (len(items) + 0.5)),
            )
            for term, items in postings.items()
        }

    def scores(self, query: str, extra: Mapping[str, float] | None = None
               ) -> npt.NDArray[np.float32]:
        """Each text's score for the query's terms, plus `extra` terms (stems) each counted
        with its weight. The "s" of a possessive is no term of a query: "Kenya's president"
        would match every possessive in the collection."""
        weights = dict.fromkeys((t for t in tokenize(query) if t != "s"), 1.0)
        for term, weight in (extra or {}).items():
            weights.setdefault(term, weight)
        scores = np.zeros(self.size, dtype=np.float32)
        for term, weight in weights.items():
            if term not in self._postings:
                continue
            docs, tfs, idf = self._postings[term]
            scores[docs] += weight * idf * tfs * (self.k1 + 1) / (tfs + self._norm[docs])
        return scores

    def knows(self, term: str) -> bool:
        """Whether any text holds the term (a stem, as `tokenize` gives it)."""
        return term in self._postings

    def containing(self, word: str, limit: int) -> list[int]:
        """The first `limit` texts (by index) that hold `word` (as `tokenize` reads it)."""
        terms = tokenize(word)
        if len(terms) != 1 or terms[0] not in self._postings:
            return []
        return [int(i) for i in self._postings[terms[0]][0][:limit]]


_WORD = re.compile(r"[^\W\d_]+")
_WORD_MEMO_SIZE = 4096  # unknown question words whose vectors are remembered


def vocabulary(texts: Iterable[str], max_share: float = 0.01, min_limit: int = 50
               ) -> list[str]:
    """The words of three letters or more in `texts`, lower case, stopwords left out, and
    words found in more than `max_share` of the texts (and more than `min_limit`) too: in a
    large collection they say little of which text answers, and their long BM25 postings
    cost the most to score."""
    counts: Counter[str] = Counter()
    size = 0
    for text in texts:
        counts.update(set(_WORD.findall(text.lower().replace("’", "'"))))
        size += 1
    limit = max(min_limit, max_share * size)
    return sorted(w for w, n in counts.items()
                  if len(w) > 2 and w not in STOPWORDS and n <= limit)


class WordNeighbours:
    """The collection's own words nearest in meaning to a word it never uses: "coalition" to
    "alliance", "recruits" to "cadets", "unmanned" to "drones". BM25 counts them in place of
    the unknown word, each weighted by its similarity, so that a question worded unlike the
    sources can still match them word for word.

    Similarity is the cosine of the embedder's vectors for the single words; only the
    `per_word` nearest at `min_similarity` or more count."""

    def __init__(self, words: list[str], vectors: Vectors, min_similarity: float,
                 per_word: int) -> None:
        norms = np.linalg.norm(vectors, axis=1, keepdims=True) if len(words) else 1.0
        self._vectors = vectors / np.maximum(norms, 1e-12)
        self._stems = [_stem(w) for w in words]
        self._min_similarity = min_similarity
        self._per_word = per_word

    def terms(self, vectors: Vectors) -> dict[str, float]:
        """BM25 terms (stems) standing in for the words embedded as `vectors`, each with
        the highest similarity it has to any of them."""
        found: dict[str, float] = {}
        if not len(self._stems) or not len(vectors) or self._per_word <= 0:
            return found
        unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        similarity = unit @ self._vectors.T
        for row in similarity:
            for j in _top(row, self._per_word):
                if row[j] >= self._min_similarity:
                    stem = self._stems[j]
                    found[stem] = max(found.get(stem, 0.0), float(row[j]))
        return found


# Ways of asking whose answer is usually written with a word the question lacks: "How many
# people live in Haiti?" is answered by "a population of over 11 million".
_IDIOMS = [
    (re.compile(r"\bhow many (?:people|inhabitants|residents)\b.*\b(?:live|living|reside)\b"
                r"|\bhow (?:populous|many inhabitants|many residents)\b"),
     ("population", "inhabitants", "residents")),
    (re.compile(r"\bhow old\b"), ("age", "aged")),
    (re.compile(r"\bhow (?:big|large)\b"), ("area", "size")),
    (re.compile(r"\bhow (?:tall|high)\b"), ("height",)),
    (re.compile(r"\bhow far\b"), ("distance",)),
    (re.compile(r"\bhow much (?:money\b|(?:did|does|do|will|would)\b.*\bcost)"),
     ("cost", "price", "budget", "funding")),
]


def idiom_terms(question: str) -> dict[str, float]:
    """BM25 terms (stems) for the words an answer to this way of asking is usually written
    with (see `_IDIOMS`)."""
    lowered = question.lower()
    return {_stem(word): 1.0 for pattern, words in _IDIOMS if pattern.search(lowered)
            for word in words}


def reciprocal_rank_fusion(
    rankings: list[list[int]], weights: list[float], k: int
) -> dict[int, float]:
    """Sum of weight / (k + rank) over each ranking a candidate appears in (rank from 1)."""
    fused: dict[int, float] = defaultdict(float)
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, item in enumerate(ranking, start=1):
            fused[item] += weight / (k + rank)
    return dict(fused)


def convex_fusion(scores: list[dict[int, float]], weights: list[float]) -> dict[int, float]:
    """Weighted sum of each ranking's scores, min-max normalised over its candidates.

    Unlike RRF it keeps the margin: a chunk that BM25 scores far above the rest stays
    ahead even when the dense ranking disagrees.
    """
    fused: dict[int, float] = defaultdict(float)
    for ranking, weight in zip(scores, weights, strict=True):
        if not ranking:
            continue
        low, high = min(ranking.values()), max(ranking.values())
        span = high - low
        for item, score in ranking.items():
            fused[item] += weight * ((score - low) / span if span > 0 else 1.0)
    return dict(fused)


class HybridRetriever:
    """Finds the chunks most likely to answer a question."""

    def __init__(
        self,
        chunks: list[Chunk],
        store: ChromaStore,
        embedder: Embedder,
        bm25_weight: float = 1.0,
        dense_weight: float = 1.0,
        rrf_k: int = 60,
        fusion: str = "convex",
        neighbours: WordNeighbours | None = None,
    ) -> None:
        self.chunks = chunks
        self._position = {c.id: i for i, c in enumerate(chunks)}
        self._store = store
        self._embedder = embedder
        self._sources = np.array([c.source for c in chunks], dtype=object)
        self._source_count = len(set(self._sources))
        # For each chunk, the sentences before it in its file, nearest first (at most three).
        self._before: dict[str, tuple[Span, ...]] = {}
        ordered = sorted(chunks, key=lambda c: (c.source, c.start))
        for previous, chunk in itertools.pairwise(ordered):
            if previous.source == chunk.source:
                earlier = self._before.get(previous.id, ())
                self._before[chunk.id] = (*reversed(previous.sentences), *earlier)[:3]
        # For each chunk that opens inside a table, the table's first row (its header).
        self._table_header: dict[str, Span] = {}
        header: Span | None = None
        previous_source = None
        for chunk in ordered:
            if chunk.source != previous_source:
                header, previous_source = None, chunk.source
            if header is not None and is_table_row(chunk.sentences[0].text):
                self._table_header[chunk.id] = header
            for sentence in chunk.sentences:
                if not is_table_row(sentence.text):
                    header = None
                elif header is None:
                    header = sentence
        self._bm25 = BM25([c.text for c in chunks])
        self._weights = [bm25_weight, dense_weight]
        self._rrf_k = rrf_k
        self._fusion = fusion
        self._neighbours = neighbours
        self._word_memo: OrderedDict[str, npt.NDArray[np.float32]] = OrderedDict()
        self._word_lock = threading.Lock()

    def retrieve(self, question: str, top_k: int) -> list[Evidence]:
        """The `top_k` chunks that best match the question. A question that names its source
        ("..., according to the article on Ruto's visit?") is answered from the file that
        best matches that description, and its remaining words rank that file's chunks."""
        asked, described = split_scope(question)
        if described is None or self._source_count < 2:
            return self._ranked(question, top_k)
        return self._ranked(asked, top_k, source=self.source_about(described))

    def mentions(self, name: str, limit: int = 50) -> str:
        """The text of chunks (at most `limit`) that mention the last word of `name` (a
        surname), for what the collection says of that person elsewhere."""
        words = name.split()
        if not words:
            return ""
        return " ".join(self.chunks[i].text for i in self._bm25.containing(words[-1], limit))

    def source_about(self, description: str) -> str:
        """The file whose best-matching chunks match `description` best (summed scores of
        the top five chunks)."""
        totals: dict[str, float] = defaultdict(float)
        for item in self._ranked(description, 5):
            totals[item.chunk.source] += item.score
        return max(totals.items(), key=lambda kv: (kv[1], kv[0]))[0]

    def _ranked(self, question: str, top_k: int, source: str | None = None) -> list[Evidence]:
        depth = max(top_k * 5, 20)
        extra = idiom_terms(question)
        if self._neighbours is not None and (unknown := self.unknown_words(question)):
            for term, weight in self._neighbours.terms(self._word_vectors(unknown)).items():
                extra.setdefault(term, weight)
        lexical = self._bm25.scores(question, extra)
        if source is not None:
            lexical[self._sources != source] = 0
        lexical_hits = {int(i): float(lexical[i]) for i in _top(lexical, depth) if lexical[i] > 0}
        vector = self._embedder.embed([question])[0]
        dense_hits = {
            self._position[cid]: similarity
            for cid, similarity in self._store.query(vector, depth, source=source)
            if cid in self._position
        }
        if self._fusion == "rrf":
            fused = reciprocal_rank_fusion(
                [list(lexical_hits), list(dense_hits)], self._weights, self._rrf_k
            )
        else:
            fused = convex_fusion([lexical_hits, dense_hits], self._weights)
        best = sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))[:top_k]
        return [
            Evidence(chunk=self._in_context(self.chunks[i]), score=score, rank=rank)
            for rank, (i, score) in enumerate(best, start=1)
        ]

    def _word_vectors(self, words: list[str]) -> Vectors:
        """The embedder's vectors for single words, those of recent questions remembered.
        Embedded apart from the question: in one batch each would be padded to its length."""
        with self._word_lock:
            missing = [w for w in words if w not in self._word_memo]
        if missing:
            embedded = self._embedder.embed(missing)
            with self._word_lock:
                self._word_memo.update(zip(missing, embedded, strict=True))
                while len(self._word_memo) > _WORD_MEMO_SIZE:
                    self._word_memo.popitem(last=False)
        with self._word_lock:
            vectors = []
            for word in words:
                self._word_memo.move_to_end(word)
                vectors.append(self._word_memo[word])
        return np.stack(vectors)

    def unknown_words(self, question: str) -> list[str]:
        """The question's words (lower case) that no chunk uses, in any form, leaving out
        stopwords, words under three letters, and capitalised words after the first: an
        unknown name is not a paraphrase of another."""
        unknown = []
        for position, match in enumerate(_WORD.finditer(question.replace("’", "'"))):
            word = match.group()
            lower = word.lower()
            if (len(word) < 3 or lower in STOPWORDS or (position and not word.islower())
                    or lower in unknown or self._bm25.knows(_stem(lower))):
                continue
            unknown.append(lower)
        return unknown

    def _in_context(self, chunk: Chunk) -> Chunk:
        """The chunk with the earlier sentence its opening depends on. One that continues a
        section under a marked heading gets that heading ("Version 2.0" over the second chunk
        of its notes), and one that opens inside a table the table's header row (after the
        heading, if any); nothing else. One that opens with an attributed quote ("…,” he
        said) gets the nearest earlier sentence (of the three before it) that names a
        speaker, so that "he" can be read and cited; one that opens by referring back ("He
        described ...", "These new arrivals ...", "... was also present") gets the sentence
        just before it."""
        if not chunk.sentences:
            return chunk
        header = self._table_header.get(chunk.id)
        if header is not None:
            # Rows without the header that says what each column is ("| Harbour Side |
            # 2,015 | 26 |"): read and cited with it.
            section = (chunk.heading,) if chunk.heading is not None else ()
            return replace(chunk, sentences=(*section, header, *chunk.sentences))
        if chunk.heading is not None:
            return replace(chunk, sentences=(chunk.heading, *chunk.sentences))
        before = self._before.get(chunk.id, ())
        opening = chunk.sentences[0].text
        if _DANGLING.search(opening):
            for sentence in before:
                if _ATTRIBUTION.search(sentence.text) and not _DANGLING.search(sentence.text):
                    return replace(chunk, sentences=(sentence, *chunk.sentences))
            return chunk
        if before and _REFERS_BACK.search(opening):
            return replace(chunk, sentences=(before[0], *chunk.sentences))
        return chunk


def _top(scores: npt.NDArray[np.float32], k: int) -> npt.NDArray[np.intp]:
    """Indices of the `k` highest scores, highest first (ties: lower index first), without
    sorting all of them: at 100,000 chunks a full sort cost more than the BM25 scoring."""
    candidates = (np.argpartition(-scores, k)[:k] if k < len(scores)
                  else np.arange(len(scores)))
    return candidates[np.lexsort((candidates, -scores[candidates]))]


# An attribution to someone named earlier: "…,” he said" or "He added that …".
_DANGLING = re.compile(r"^[^“\"]*[”\"],? (?:he|she|they) (?:said|added|wrote|told)\b"
                       r"|^(?:He|She|They) (?:said|added|wrote|told)\b")
# A sentence that leans on the one before it: a pronoun opening, or "also".
_REFERS_BACK = re.compile(r"^(?:He|She|They|It|Its|This|These|Those|Their|His|Her)\b"
                          r"|^[^.]*\b(?:also|too)\b")
# A sentence whose subject is a person named before it: "He called for ...".
_PERSON_BEFORE = re.compile(r"^(?:He|She|They|His|Her|Their)\b")


def needs_named_person(sentence: str) -> bool:
    """The sentence does not say who speaks or acts: an attributed quote ("…,” he said) or
    a pronoun subject ("He called for helicopters")."""
    return bool(_DANGLING.search(sentence) or _PERSON_BEFORE.search(sentence))


# A sentence that says who spoke: "President William Ruto said ...".
_ATTRIBUTION = re.compile(r"\b[A-Z][\w’'-]+ (?:said|says|told|wrote|added|posted)\b")


_SCOPE = re.compile(
    r"[,;]?\s*\b(?:according to|as reported in|as reported by|in|from) the "
    r"(?:article|report|story|piece|source|document)\s+(?:on|about|covering|describing|"
    r"that covers|that describes)\s+(?P<described>[^,;?]+)",
    re.IGNORECASE,
)


def split_scope(question: str) -> tuple[str, str | None]:
    """("What is Haiti's population?", "President Ruto's visit") from "What is Haiti's
    population according to the article on President Ruto's visit?"; (question, None) when
    the question names no source."""
    match = _SCOPE.search(question)
    if match is None:
        return question, None
    asked = " ".join((question[: match.start()] + question[match.end():]).split()).strip(" ,;")
    return asked, match.group("described").strip()
