"""Chroma adapter: persistent in a folder by default, or a Chroma server by URL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx

from mss_qa import offline
from mss_qa.backends.embedders import Vectors
from mss_qa.errors import BackendUnavailableError, IndexMissingError
from mss_qa.types import Chunk, Span

offline.enforce()

_FINGERPRINT_KEY = "mss_qa_fingerprint"
_PAGE = 5000


@dataclass(frozen=True)
class StoredChunk:
    chunk: Chunk
    document_sha256: str


class ChromaStore:
    """One Chroma collection holding chunks with their offsets and document checksums."""

    def __init__(self, collection: str, path: Path | None = None, url: str | None = None,
                 create: bool = True) -> None:
        """Open `collection`, creating it (and the folder) if `create`; otherwise a missing
        collection is `IndexMissingError`, and nothing is written."""
        import chromadb
        from chromadb.config import Settings as ChromaSettings
        from chromadb.errors import NotFoundError

        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        self.name = collection
        self._where = url or str(path)
        try:
            if url:
                parsed = urlparse(url)
                self._client: Any = chromadb.HttpClient(
                    host=parsed.hostname or "127.0.0.1",
                    port=parsed.port or 8000,
                    ssl=parsed.scheme == "https",
                    settings=chroma_settings,
                )
                self._client.heartbeat()
            else:
                assert path is not None
                if not create and not path.is_dir():
                    raise NotFoundError(f"no Chroma folder at {path}")
                path.mkdir(parents=True, exist_ok=True)
                self._client = chromadb.PersistentClient(path=str(path), settings=chroma_settings)
            # No embedding function: vectors always come from our own embedder, so Chroma
            # never tries to download its default ONNX model.
            if create:
                self._collection: Any = self._client.get_or_create_collection(
                    name=collection, embedding_function=None, metadata={"hnsw:space": "cosine"}
                )
            else:
                self._collection = self._client.get_collection(name=collection,
                                                               embedding_function=None)
        except NotFoundError:
            raise IndexMissingError(
                f"there is no collection {collection!r} in {self._where}; run "
                f"`mss-qa ingest --collection {collection} FOLDER` first"
            ) from None
        except BackendUnavailableError:
            raise
        except Exception as exc:
            raise BackendUnavailableError(
                f"cannot open the Chroma store at {self._where}: {exc}"
            ) from exc

    @contextmanager
    def _reaching(self) -> Iterator[None]:
        """A Chroma server that goes away later is reported like one that was never there."""
        try:
            yield
        except httpx.TransportError as exc:
            raise BackendUnavailableError(
                f"lost the connection to the Chroma server at {self._where}: {exc}"
            ) from exc

    def fingerprint(self) -> dict[str, Any] | None:
        metadata = self._collection.metadata or {}
        raw = metadata.get(_FINGERPRINT_KEY)
        return json.loads(raw) if raw else None

    def set_fingerprint(self, fingerprint: dict[str, Any]) -> None:
        metadata = {
            k: v for k, v in (self._collection.metadata or {}).items() if not k.startswith("hnsw:")
        }
        metadata[_FINGERPRINT_KEY] = json.dumps(fingerprint, sort_keys=True)
        with self._reaching():
            self._collection.modify(metadata=metadata)

    def count(self) -> int:
        with self._reaching():
            return int(self._collection.count())

    def all_chunks(self) -> list[StoredChunk]:
        result: dict[str, list[Any]] = {"ids": [], "documents": [], "metadatas": []}
        # Paged: one unbounded get fails on large collections (SQLite's variable limit).
        offset = 0
        while True:
            with self._reaching():
                page = self._collection.get(include=["documents", "metadatas"],
                                            limit=_PAGE, offset=offset)
            for key in result:
                result[key].extend(page[key])
            if len(page["ids"]) < _PAGE:
                break
            offset += _PAGE
        stored = []
        for chunk_id, text, meta in zip(
            result["ids"], result["documents"], result["metadatas"], strict=True
        ):
            source = str(meta["source"])
            sentences = tuple(
                Span(source, s, e, text[s - int(meta["start"]) : e - int(meta["start"])])
                for s, e in json.loads(str(meta["sentences"]))
            )
            heading = json.loads(str(meta.get("heading") or "null"))
            chunk = Chunk(
                id=chunk_id,
                source=source,
                start=int(meta["start"]),
                end=int(meta["end"]),
                text=text,
                sentences=sentences,
                heading=Span(source, *heading) if heading else None,
            )
            stored.append(StoredChunk(chunk, str(meta["document_sha256"])))
        return stored

    def upsert(self, chunks: list[Chunk], vectors: Vectors, document_sha256: str) -> None:
        # In pages: Chroma caps the batch size and SQLite the number of variables.
        for start in range(0, len(chunks), _PAGE):
            page = chunks[start : start + _PAGE]
            with self._reaching():
                self._upsert_page(page, vectors[start : start + _PAGE], document_sha256)

    def _upsert_page(self, page: list[Chunk], vectors: Vectors, document_sha256: str) -> None:
        self._collection.upsert(
            ids=[c.id for c in page],
            embeddings=vectors.tolist(),
            documents=[c.text for c in page],
            metadatas=[
                {
                    "source": c.source,
                    "start": c.start,
                    "end": c.end,
                    "document_sha256": document_sha256,
                    "sentences": json.dumps([[s.start, s.end] for s in c.sentences]),
                    # Outside the chunk's text, so stored with its own.
                    "heading": json.dumps([c.heading.start, c.heading.end, c.heading.text]
                                          if c.heading else None),
                }
                for c in page
            ],
        )

    def delete(self, ids: list[str]) -> None:
        for start in range(0, len(ids), _PAGE):
            with self._reaching():
                self._collection.delete(ids=ids[start : start + _PAGE])

    def query(self, vector: Vectors, k: int, source: str | None = None
              ) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the `k` nearest chunks (of one source file).

        Chroma returns fewer than `k` when the collection holds fewer; asking it for its
        count first would cost more than the search itself (9 ms at 100,000 chunks)."""
        if k <= 0:
            return []
        where: Any = {"source": source} if source is not None else None
        with self._reaching():
            result = self._collection.query(
                query_embeddings=[vector.tolist()], n_results=k, include=["distances"],
                where=where,
            )
        return [
            (cid, 1.0 - float(d))
            for cid, d in zip(result["ids"][0], result["distances"][0], strict=True)
        ]
