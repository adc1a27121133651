"""Keep a Chroma collection in sync with a set of source files.

Re-ingesting unchanged files does no embedding work; changed files have their chunks
replaced; files no longer present have their chunks removed. The collection records the
embedder and chunking settings, and refuses to be queried with different ones.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from mss_qa.backends.chroma_store import ChromaStore, StoredChunk
from mss_qa.backends.embedders import Embedder, Vectors
from mss_qa.chunk import chunk_document
from mss_qa.errors import (
    IndexMismatchError,
    IndexMissingError,
    IngestRunningError,
    SourceNotFoundError,
)
from mss_qa.ingest import Skipped, discover, read_document
from mss_qa.retrieve import WordNeighbours, vocabulary
from mss_qa.settings import Settings
from mss_qa.types import Chunk, Document

# Raised whenever reading files into text or cutting text into chunks changes what an index
# holds (2: marked headings, list items and label-value lines; 3: table rows): an index built
# before is rebuilt by the next ingest and refused until then.
CHUNKER_VERSION = 3
PROGRESS_MIN_FILES = 5

log = logging.getLogger(__name__)


@dataclass
class IngestReport:
    """What one ingest run did."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    chunks_embedded: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        rate = self.chunks_embedded / self.seconds if self.seconds > 0 else 0.0
        lines = [
            f"added {len(self.added)}, changed {len(self.changed)}, unchanged "
            f"{len(self.unchanged)}, removed {len(self.removed)}, skipped "
            f"{len(self.skipped)}; {self.chunks_embedded} chunks embedded in "
            f"{self.seconds:.1f} s ({rate:.0f} chunks/s)"
        ]
        lines += [_printable(f"  skipped {s.path}: {s.reason}") for s in self.skipped]
        return "\n".join(lines)


def _printable(text: str) -> str:
    """The text with the bytes of file names that are not UTF-8 written as escapes
    ("caf\\xe9.txt"), so that it can be printed."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def fingerprint(settings: Settings, embedder_name: str) -> dict[str, Any]:
    """The settings a collection's vectors and offsets depend on."""
    return {
        "embedder": embedder_name,
        "chunk_max_words": settings.chunk_max_words,
        "chunker_version": CHUNKER_VERSION,
    }


def open_store(settings: Settings, create: bool = True) -> ChromaStore:
    """The collection's Chroma store; without `create`, one that does not exist is
    `IndexMissingError` (asking never creates a collection)."""
    return ChromaStore(
        settings.collection, path=settings.index_dir / "chroma", url=settings.chroma_url,
        create=create,
    )


def _unfinished_marker(settings: Settings) -> Path:
    """Present while an ingest of the collection runs; left behind by one that was killed.
    (Its leading dot keeps it apart from every collection's folder: no name starts so.)"""
    return settings.index_dir / "documents" / f".{settings.collection}.ingesting"


@contextmanager
def _only_ingest(settings: Settings) -> Iterator[None]:
    """Hold the collection's ingest lock for the block; another ingest of it running is
    `IngestRunningError` (the lock goes with the process, however it ends)."""
    path = settings.index_dir / "documents" / f".{settings.collection}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IngestRunningError(
                f"another ingest of the collection {settings.collection!r} is running; "
                "wait for it to finish"
            ) from None
        yield


class DocumentStore:
    """Copies of the ingested texts beside the index, so quotes can be checked verbatim."""

    def __init__(self, settings: Settings) -> None:
        self.root = settings.index_dir / "documents" / settings.collection

    def _path(self, source: str) -> Path:
        # Source names come from users (API, CLI): only names that are in the collection,
        # never a path that climbs out of it. (A backslash is an ordinary character of a
        # file name here.)
        name = PurePosixPath(source)
        if not source or "\x00" in source or name.is_absolute() or ".." in name.parts:
            raise SourceNotFoundError(f"no source named {source!r}")
        return self.root / source

    def write(self, document: Document) -> None:
        path = self._path(document.source)
        # A file that became a folder ("notes.md/part1.txt"), or a folder that became a
        # file: the stale copy in the way belongs to a source this run no longer has.
        for parent in reversed(path.relative_to(self.root).parents):
            if (self.root / parent).is_file():
                (self.root / parent).unlink()
        if path.is_dir():
            shutil.rmtree(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(document.text.encode("utf-8"))
        os.replace(tmp, path)

    def holds(self, document: Document) -> bool:
        """The stored copy is exactly the document's text."""
        try:
            return self._path(document.source).read_bytes() == document.text.encode("utf-8")
        except OSError:
            return False

    def remove(self, source: str) -> None:
        path = self._path(source)
        if path.is_file():
            path.unlink()

    def read(self, source: str) -> str:
        path = self._path(source)
        if not path.is_file():
            raise SourceNotFoundError(f"no source named {source!r}")
        return path.read_bytes().decode("utf-8")

    def names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(
            p.relative_to(self.root).as_posix()
            for p in self.root.rglob("*")
            if p.is_file() and not p.name.endswith(".tmp")
        )


def ingest(
    paths: Iterable[Path],
    settings: Settings,
    embedder: Embedder,
    store: ChromaStore | None = None,
    progress: Callable[[int], Any] | None = None,
) -> IngestReport:
    """Make the collection hold exactly the supported files found under `paths`.

    A progress bar is shown for more than a handful of files unless `progress` is given; it
    is then called with 1 after each file instead (benchmarks pass a silent one)."""
    with _only_ingest(settings):
        return _ingest(paths, settings, embedder, store, progress)


def _ingest(
    paths: Iterable[Path],
    settings: Settings,
    embedder: Embedder,
    store: ChromaStore | None,
    progress: Callable[[int], Any] | None,
) -> IngestReport:
    started = time.perf_counter()
    report = IngestReport()
    # A document copy and its passages change in separate steps, so a run cut short can leave
    # them disagreeing: until this run finishes, the collection refuses to be queried.
    marker = _unfinished_marker(settings)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.touch()
    store = store or open_store(settings)
    documents_dir = DocumentStore(settings)
    wanted = fingerprint(settings, embedder.name)
    existing = store.fingerprint()
    stored = store.all_chunks() if existing == wanted else []
    if existing is not None and existing != wanted:
        store.delete([c.chunk.id for c in store.all_chunks()])
    store.set_fingerprint(wanted)

    by_source: dict[str, list[StoredChunk]] = {}
    for item in stored:
        by_source.setdefault(item.chunk.source, []).append(item)

    candidates = list(discover(paths))
    bar = _progress_bar(len(candidates)) if progress is None else None
    seen: dict[str, Path] = {}  # source name -> the file ingested under it
    for candidate in candidates:
        result = read_document(candidate, settings.max_file_bytes)
        if isinstance(result, Document) and result.source in seen:
            # Files from different folders given (or two files given) with the same name:
            # one collection cannot cite both.
            result = Skipped(candidate.path, f"has the same name, {result.source!r}, as "
                             f"{seen[result.source]}; ingest them into separate collections "
                             "or rename one")
        if isinstance(result, Document):
            result = _sync_document(result, candidate.path, by_source.get(result.source, []),
                                    settings, embedder, store, documents_dir, report)
        if isinstance(result, Skipped):
            report.skipped.append(result)
        else:
            seen[result.source] = candidate.path
        if bar is not None:
            bar.update(1)
            elapsed = time.perf_counter() - started
            bar.set_postfix_str(
                f"{report.chunks_embedded} chunks, {report.chunks_embedded / elapsed:.0f} chunks/s"
            )
        elif progress is not None:
            progress(1)
    if bar is not None:
        bar.close()

    for source, items in by_source.items():
        if source not in seen:
            store.delete([i.chunk.id for i in items])
            documents_dir.remove(source)
            report.removed.append(source)
    # Copies without passages: a file gone while the passages were rebuilt for new settings.
    for source in documents_dir.names():
        if source not in seen and source not in by_source:
            documents_dir.remove(source)
            report.removed.append(source)
    if settings.neighbours_per_word and (report.added or report.changed or report.removed):
        # The collection's words embedded and kept once here rather than in each process
        # that loads the collection (which builds its `word_neighbours` from them).
        word_vectors(settings, embedder, vocabulary(i.chunk.text for i in store.all_chunks()))
    marker.unlink()
    report.seconds = time.perf_counter() - started
    return report


def _sync_document(
    document: Document,
    path: Path,
    old: list[StoredChunk],
    settings: Settings,
    embedder: Embedder,
    store: ChromaStore,
    documents_dir: DocumentStore,
    report: IngestReport,
) -> Document | Skipped:
    """Bring the document's passages up to date; a document with no passage to index is
    `Skipped` (its earlier passages, if any, are then removed with those of missing files)."""
    if old and all(i.document_sha256 == document.sha256 for i in old):
        if not documents_dir.holds(document):
            # A run killed between writing a new copy and embedding it left the copy ahead
            # of the passages; the file is back as they were made from.
            documents_dir.write(document)
        report.unchanged.append(document.source)
        return document
    chunks = chunk_document(document, settings.chunk_max_words)
    if not chunks:
        return Skipped(path, "no passage to index (no sentence of three or more words)")
    new_ids = {c.id for c in chunks}
    # Write the text first: a chunk must never point at a document copy that is missing.
    documents_dir.write(document)
    store.upsert(chunks, embedder.embed([c.text for c in chunks]), document.sha256)
    store.delete([i.chunk.id for i in old if i.chunk.id not in new_ids])
    report.chunks_embedded += len(chunks)
    (report.changed if old else report.added).append(document.source)
    return document


def _progress_bar(total: int) -> Any:
    if total <= PROGRESS_MIN_FILES:
        return None
    from tqdm import tqdm

    # rate_noinv: always files/s (tqdm would switch to s/file below one file a second).
    return tqdm(
        total=total,
        unit="file",
        desc="ingest",
        dynamic_ncols=True,
        bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}, "
        "{rate_noinv_fmt}{postfix}]",
    )


@dataclass
class LoadedIndex:
    """A collection ready to be queried."""

    store: ChromaStore
    chunks: list[Chunk]
    documents: DocumentStore


def load_index(settings: Settings, embedder_name: str) -> LoadedIndex:
    """Open the collection for querying, refusing one built with other settings."""
    if _unfinished_marker(settings).exists():
        raise IndexMissingError(
            f"the last ingest of the collection {settings.collection!r} did not finish; "
            "run `mss-qa ingest` again to complete it"
        )
    store = open_store(settings, create=False)
    found = store.fingerprint()
    if found is None or store.count() == 0:
        raise IndexMissingError(
            f"the collection {settings.collection!r} is empty; run `mss-qa ingest` first"
        )
    wanted = fingerprint(settings, embedder_name)
    if found != wanted:
        differences = ", ".join(
            f"{k}: index has {found.get(k)!r}, settings say {v!r}"
            for k, v in wanted.items()
            if found.get(k) != v
        )
        raise IndexMismatchError(
            f"the index was built with other settings ({differences}); "
            f"rebuild it with `mss-qa ingest` using the current settings"
        )
    chunks = [item.chunk for item in store.all_chunks()]
    chunks.sort(key=lambda c: (c.source, c.start))
    return LoadedIndex(store=store, chunks=chunks, documents=DocumentStore(settings))


def word_neighbours(settings: Settings, embedder: Embedder, texts: Iterable[str]
                    ) -> WordNeighbours | None:
    """The words of the collection's chunk `texts` that stand in for unknown question words,
    their vectors kept beside the index (`word_vectors`); None when unknown words are
    matched only as written (`neighbours_per_word` 0)."""
    if settings.neighbours_per_word == 0:
        return None
    words = vocabulary(texts)
    return WordNeighbours(words, word_vectors(settings, embedder, words),
                          settings.neighbour_similarity, settings.neighbours_per_word)


def word_vectors(settings: Settings, embedder: Embedder, words: list[str]) -> Vectors:
    """The embedder's vectors for single words, kept beside the index
    (index/words/<collection>.npz) so that each call (an ingest, a load) embeds only the
    words new since the last. A cache that cannot be read is rebuilt; one that cannot be
    written is skipped."""
    path = settings.index_dir / "words" / f"{settings.collection}.npz"
    known: dict[str, Vectors] = {}
    try:
        with np.load(path, allow_pickle=False) as saved:
            if str(saved["embedder"]) == embedder.name:
                known = dict(zip(saved["words"].tolist(), saved["vectors"], strict=True))
    except FileNotFoundError:
        pass
    except (OSError, ValueError, KeyError) as exc:
        log.warning("%s cannot be read (%s); embedding the words again", path, exc)
    missing = [w for w in words if w not in known]
    if missing:
        known.update(zip(missing, embedder.embed(missing), strict=True))
    vectors = (np.stack([known[w] for w in words]).astype(np.float32) if words
               else np.zeros((0, 0), dtype=np.float32))
    if missing or len(known) != len(words):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(f".{path.name}.{os.getpid()}.npz")
            np.savez(partial, embedder=np.array(embedder.name), words=np.array(words),
                     vectors=vectors)
            os.replace(partial, path)
        except OSError as exc:
            log.warning("the word vectors cannot be kept in %s (%s)", path, exc)
    return vectors
