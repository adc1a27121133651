"""Ingest keeps a real Chroma collection in sync with the files, and guards its settings."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from mss_qa.backends.embedders import Embedder, Vectors
from mss_qa.errors import (
    IndexMismatchError,
    IndexMissingError,
    IngestRunningError,
    SourceNotFoundError,
)
from mss_qa.index import (
    DocumentStore,
    _only_ingest,
    ingest,
    load_index,
    open_store,
    word_vectors,
)
from mss_qa.retrieve import vocabulary
from mss_qa.types import Document
from tests.conftest import make_settings, write_folder

PORT = "The harbor master of Port Elling is Gregor Vance.\n"


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


def test_asking_a_collection_that_does_not_exist_creates_nothing(
    tmp_path: Path, seeds_copy: Path, embedder: Embedder
) -> None:
    settings = make_settings(tmp_path)
    ingest([seeds_copy], settings, embedder)
    mistyped = make_settings(tmp_path, collection="sedes")
    with pytest.raises(IndexMissingError, match=r"no collection 'sedes'.*mss-qa ingest"):
        load_index(mistyped, embedder.name)
    client = open_store(settings)._client
    assert [c.name for c in client.list_collections()] == [settings.collection]


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


def test_files_of_the_same_name_from_two_folders_are_not_mixed_up(
    tmp_path: Path, embedder: Embedder
) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    (first / "notes.txt").write_text("The Amber Clocktower was built by Ivo Brenner in 1854.\n")
    (second / "notes.txt").write_text("Ferry tickets to Westhollow cost five crowns each.\n")
    settings = make_settings(tmp_path)
    report = ingest([first, second], settings, embedder)
    assert report.added == ["notes.txt"]
    [skipped] = report.skipped
    assert skipped.path == second / "notes.txt"
    assert "same name, 'notes.txt', as" in skipped.reason and str(first) in skipped.reason
    # Every stored passage is a span of the stored copy, which is the first file.
    loaded = load_index(settings, embedder.name)
    text = loaded.documents.read("notes.txt")
    assert text.startswith("The Amber Clocktower")
    assert all(text[c.start:c.end] == c.text for c in loaded.chunks)


def test_any_file_name_the_system_allows_is_ingested(tmp_path: Path, embedder: Embedder) -> None:
    folder = tmp_path / "odd"
    folder.mkdir()
    (folder / "\\b.txt").write_text("The Pine Hall has three doors and one window.\n")
    (folder / "ok.txt").write_text("The Oak Hall has seven doors and two windows.\n")
    settings = make_settings(tmp_path)
    report = ingest([folder], settings, embedder)
    assert report.added == ["\\b.txt", "ok.txt"] and not report.skipped
    loaded = load_index(settings, embedder.name)
    assert loaded.documents.read("\\b.txt").startswith("The Pine Hall")


def test_linked_folders_are_followed_and_broken_links_reported(
    tmp_path: Path, embedder: Embedder
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "canal.txt").write_text("The canal was dug by hand over eleven years.\n")
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "main.txt").write_text("The main square holds a market every Thursday.\n")
    (folder / "linked").symlink_to(elsewhere, target_is_directory=True)
    (folder / "up").symlink_to(folder, target_is_directory=True)  # a loop, unless guarded
    (folder / "gone.txt").symlink_to(tmp_path / "missing.txt")
    (folder / "loop1.txt").symlink_to(folder / "loop2.txt")
    (folder / "loop2.txt").symlink_to(folder / "loop1.txt")
    report = ingest([folder], make_settings(tmp_path), embedder)
    assert report.added == ["linked/canal.txt", "main.txt"]
    reasons = {s.path.name: s.reason for s in report.skipped}
    assert reasons["gone.txt"] == f"broken symbolic link (to {tmp_path / 'missing.txt'})"
    assert reasons["loop1.txt"].startswith("cannot be read: Too many levels of symbolic links")
    assert set(reasons) == {"gone.txt", "loop1.txt", "loop2.txt"}


def test_a_folder_reached_through_links_too_is_named_by_its_own_path(
    tmp_path: Path, embedder: Embedder
) -> None:
    folder = write_folder(tmp_path / "docs", {
        "sub/tower.txt": "The Glass Tower has 31 floors and a roof.\n"})
    for alias in ("a_alias", "sub2", "zz_alias"):  # before and after it, however listed
        (folder / alias).symlink_to(folder / "sub", target_is_directory=True)
    report = ingest([folder], make_settings(tmp_path), embedder)
    assert report.added == ["sub/tower.txt"]


def test_a_file_with_no_passage_is_skipped_and_stays_skipped(
    tmp_path: Path, embedder: Embedder
) -> None:
    folder = tmp_path / "short"
    folder.mkdir()
    (folder / "short.txt").write_text("Ferry tickets.\n")
    (folder / "long.txt").write_text("Ferry tickets to Westhollow cost five crowns each.\n")
    settings = make_settings(tmp_path)
    first = ingest([folder], settings, embedder)
    assert first.added == ["long.txt"]
    assert [(s.path.name, s.reason) for s in first.skipped] == [
        ("short.txt", "no passage to index (no sentence of three or more words)")]
    second = ingest([folder], settings, embedder)
    assert (second.added, second.unchanged, len(second.skipped)) == ([], ["long.txt"], 1)
    assert DocumentStore(settings).names() == ["long.txt"]
    # A file that shrinks to no passage loses the passages it had.
    (folder / "long.txt").write_text("Ferry tickets.\n")
    third = ingest([folder], settings, embedder)
    assert third.removed == ["long.txt"] and DocumentStore(settings).names() == []


def test_a_stored_copy_left_ahead_of_its_passages_is_restored(
    tmp_path: Path, embedder: Embedder
) -> None:
    folder = write_folder(tmp_path / "docs", {
        "vault.txt": "The vault of the Old Mint is guarded by captain Ilse Varga.\n"})
    vault = folder / "vault.txt"
    settings = make_settings(tmp_path)
    ingest([folder], settings, embedder)
    # An ingest of an edit killed after writing the new copy, before embedding it; the
    # edit is then undone, so the file matches the passages again.
    DocumentStore(settings).write(Document("vault.txt", "Revised in 2024 by the staff.\n"))
    report = ingest([folder], settings, embedder)
    assert report.unchanged == ["vault.txt"] and report.chunks_embedded == 0
    loaded = load_index(settings, embedder.name)
    assert loaded.documents.read("vault.txt") == vault.read_text()
    for chunk in loaded.chunks:
        assert loaded.documents.read(chunk.source)[chunk.start:chunk.end] == chunk.text


def test_a_file_that_becomes_a_folder_and_back_is_ingested(
    tmp_path: Path, embedder: Embedder
) -> None:
    folder = write_folder(tmp_path / "docs", {
        "report.md": "The annual report says revenue grew by 14 percent in 2023.\n"})
    report_md = folder / "report.md"
    settings = make_settings(tmp_path)
    ingest([folder], settings, embedder)
    report_md.unlink()
    report_md.mkdir()
    (report_md / "part1.txt").write_text("The first part covers staffing of the north office.\n")
    first = ingest([folder], settings, embedder)
    assert (first.added, first.removed) == (["report.md/part1.txt"], ["report.md"])
    assert DocumentStore(settings).names() == ["report.md/part1.txt"]
    (report_md / "part1.txt").unlink()
    report_md.rmdir()
    report_md.write_text("The annual report says revenue grew by 15 percent in 2024.\n")
    second = ingest([folder], settings, embedder)
    assert (second.added, second.removed) == (["report.md"], ["report.md/part1.txt"])
    assert DocumentStore(settings).read("report.md") == report_md.read_text()


def test_a_file_removed_while_the_settings_changed_is_removed_too(
    tmp_path: Path, embedder: Embedder
) -> None:
    folder = write_folder(tmp_path / "docs", {
        "museum.txt": "The Tin Valley museum was founded by Klaus Weber.\n", "port.txt": PORT})
    ingest([folder], make_settings(tmp_path, chunk_max_words=30), embedder)
    (folder / "museum.txt").unlink()
    settings = make_settings(tmp_path, chunk_max_words=50)
    report = ingest([folder], settings, embedder)
    assert report.removed == ["museum.txt"]
    assert DocumentStore(settings).names() == ["port.txt"]


def test_a_collection_named_like_an_ingest_marker_leaves_the_other_alone(
    tmp_path: Path, embedder: Embedder
) -> None:
    folder = write_folder(tmp_path / "docs", {"port.txt": PORT})
    life = make_settings(tmp_path, collection="life")
    ingest([folder], life, embedder)
    ingest([folder], make_settings(tmp_path, collection="life.ingesting"), embedder)
    assert load_index(life, embedder.name).chunks
    assert ingest([folder], life, embedder).unchanged == ["port.txt"]


def test_a_second_ingest_of_a_collection_being_ingested_is_refused(
    tmp_path: Path, embedder: Embedder
) -> None:
    folder = write_folder(tmp_path / "docs", {"port.txt": PORT})
    settings = make_settings(tmp_path)
    with _only_ingest(settings), pytest.raises(IngestRunningError, match="another ingest"):
        ingest([folder], settings, embedder)
    assert ingest([folder], settings, embedder).added == ["port.txt"]  # the lock is gone


def test_a_file_whose_name_is_not_utf8_is_skipped_and_the_rest_ingested(
    tmp_path: Path, embedder: Embedder
) -> None:
    folder = write_folder(tmp_path / "docs", {
        "good.txt": "The Cedar School has 230 pupils and a headmaster.\n"})
    bad = Path(os.fsdecode(bytes(folder) + b"/caf\xe9.txt"))
    bad.write_text("The Amber Mill produced 500 tons of flour in 1920.\n")
    report = ingest([folder], make_settings(tmp_path), embedder)
    assert report.added == ["good.txt"]
    assert [s.path for s in report.skipped] == [bad]
    assert "skipped " + str(folder) + "/caf\\xe9.txt: its name is not UTF-8" in report.summary()


def test_a_file_given_twice_is_ingested_once_and_utf16_is_named_as_such(
    tmp_path: Path, embedder: Embedder
) -> None:
    folder = write_folder(tmp_path / "docs", {
        "park.txt": "The Elm Park has four gates and a small pond.\n"})
    park = folder / "park.txt"
    (folder / "dam.txt").write_bytes("The Silver Lake dam was completed in 1965.\n"
                                     .encode("utf-16"))
    report = ingest([folder, park], make_settings(tmp_path), embedder)
    assert report.added == ["park.txt"]
    assert [(s.path.name, s.reason) for s in report.skipped] == [
        ("dam.txt", "not UTF-8 text (UTF-16: save it as UTF-8)")]


class _Counting:
    """The real embedder, counting the texts it is given."""

    def __init__(self, embedder: Embedder) -> None:
        self.inner, self.name, self.embedded = embedder, embedder.name, 0

    def embed(self, texts: list[str]) -> Vectors:
        self.embedded += len(texts)
        return self.inner.embed(texts)


def test_ingest_embeds_the_collections_words_once(
    tmp_path: Path, seeds_copy: Path, embedder: Embedder
) -> None:
    settings = make_settings(tmp_path)
    ingest([seeds_copy], settings, embedder)
    chunks = load_index(settings, embedder.name).chunks
    counting = _Counting(embedder)
    vectors = word_vectors(settings, counting, vocabulary(c.text for c in chunks))
    assert counting.embedded == 0 and len(vectors) > 500
    # Not when unknown words are matched only as written.
    off = make_settings(tmp_path / "off", neighbours_per_word=0)
    ingest([seeds_copy], off, embedder)
    assert not (off.index_dir / "words").exists()


def test_word_vectors_are_kept_and_only_new_words_embedded(
    tmp_path: Path, embedder: Embedder
) -> None:
    settings = make_settings(tmp_path)
    counting = _Counting(embedder)
    first = word_vectors(settings, counting, ["alliance", "drones"])
    assert counting.embedded == 2 and first.shape == (2, 384)
    again = word_vectors(settings, counting, ["alliance", "cadets", "drones"])
    assert counting.embedded == 3  # only "cadets"
    assert np.allclose(again[[0, 2]], first)
    assert np.allclose(again[1], embedder.embed(["cadets"])[0], atol=1e-5)
    # Another embedder's vectors are not reused; an unreadable file is rebuilt.
    counting.name = "other"
    word_vectors(settings, counting, ["alliance"])
    assert counting.embedded == 4
    (settings.index_dir / "words" / "test.npz").write_bytes(b"not numpy")
    assert word_vectors(settings, counting, ["alliance"]).shape == (1, 384)
    assert counting.embedded == 5
    assert word_vectors(settings, counting, []).shape[0] == 0
