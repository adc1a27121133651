"""Ingest keeps a real Chroma collection in sync with the files, and guards its settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from mss_qa.backends.embedders import Embedder
from mss_qa.errors import IndexMismatchError, IndexMissingError, SourceNotFoundError
from mss_qa.index import DocumentStore, ingest, load_index, open_store
from tests.conftest import make_settings


def test_reingest_of_unchanged_files_embeds_nothing(
    tmp_path: Path, seeds_copy: Path, embedder: Embedder
) -> None:
    settings = make_settings(tmp_path)
    first = ingest([seeds_copy], settings, embedder)
    assert len(first.added) == 5 and first.chunks_embedded > 20
    ids_before = {c.chunk.id for c in open_store(settings).all_chunks()}

    second = ingest([seeds_copy], settings, embedder)
    assert second.chunks_embedded == 0
    assert sorted(second.unchanged) == sorted(first.added)
    assert {c.chunk.id for c in open_store(settings).all_chunks()} == ids_before


def test_changed_file_replaces_and_removed_file_removes_its_chunks(
    tmp_path: Path, seeds_copy: Path, embedder: Embedder
) -> None:
    settings = make_settings(tmp_path)
    ingest([seeds_copy], settings, embedder)
    changed = seeds_copy / "000_1c04390025212d6a.txt"
    changed.write_text("Kenya sent exactly 999 llamas to the moon on Monday.\n")
    removed = seeds_copy / "002_1873c0bea0724a33.txt"
    removed.unlink()

    report = ingest([seeds_copy], settings, embedder)
    assert report.changed == ["000_1c04390025212d6a.txt"]
    assert report.removed == ["002_1873c0bea0724a33.txt"]
    chunks = [c.chunk for c in open_store(settings).all_chunks()]
    assert not any(c.source == removed.name for c in chunks)
    mine = [c for c in chunks if c.source == changed.name]
    assert [c.text for c in mine] == ["Kenya sent exactly 999 llamas to the moon on Monday."]
    documents = DocumentStore(settings)
    assert removed.name not in documents.names()
    assert documents.read(changed.name) == changed.read_text()


def test_index_built_with_other_settings_is_refused_with_the_fix(
    tmp_path: Path, seeds_copy: Path, embedder: Embedder
) -> None:
    ingest([seeds_copy], make_settings(tmp_path, chunk_max_words=40), embedder)
    with pytest.raises(IndexMismatchError, match=r"chunk_max_words.*mss-qa ingest"):
        load_index(make_settings(tmp_path, chunk_max_words=70), embedder.name)
    # Ingesting with the new settings rebuilds the collection, after which it loads.
    ingest([seeds_copy], make_settings(tmp_path, chunk_max_words=70), embedder)
    assert load_index(make_settings(tmp_path, chunk_max_words=70), embedder.name).chunks


def test_empty_collection_says_to_ingest(tmp_path: Path, embedder: Embedder) -> None:
    with pytest.raises(IndexMissingError, match="mss-qa ingest"):
        load_index(make_settings(tmp_path), embedder.name)


def test_bad_files_are_skipped_with_reasons(tmp_path: Path, embedder: Embedder) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "good.md").write_text("# Notes\n\nThe mission began in June 2024 in Haiti.\n")
    (folder / "empty.txt").write_text("   \n")
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02abc")
    (folder / "latin1.txt").write_bytes("caf\xe9 au lait".encode("latin-1"))
    (folder / "image.png").write_bytes(b"\x89PNG")
    report = ingest([folder], make_settings(tmp_path), embedder)
    assert report.added == ["good.md"]
    reasons = {s.path.name: s.reason for s in report.skipped}
    assert reasons == {
        "binary.txt": "binary content",
        "empty.txt": "empty",
        "image.png": "unsupported file type .png",
        "latin1.txt": "not UTF-8 text",
    }


@pytest.mark.parametrize("name", ["../etc/passwd", "/etc/passwd", "", "nope.txt"])
def test_document_store_rejects_unknown_and_path_like_names(tmp_path: Path, name: str) -> None:
    with pytest.raises(SourceNotFoundError):
        DocumentStore(make_settings(tmp_path)).read(name)


def test_large_collections_are_read_and_written_in_pages(tmp_path: Path) -> None:
    import numpy as np

    from mss_qa.types import Chunk, Span

    store = open_store(make_settings(tmp_path))
    chunks = [Chunk(f"big.txt:{i}", "big.txt", i * 10, i * 10 + 9, "x" * 9,
                    (Span("big.txt", i * 10, i * 10 + 9, "x" * 9),)) for i in range(12_000)]
    vectors = np.random.default_rng(0).standard_normal((len(chunks), 384)).astype(np.float32)
    store.upsert(chunks, vectors, "sha")
    assert len(store.all_chunks()) == 12_000
    store.delete([c.id for c in chunks[:11_000]])
    assert store.count() == 1_000
