"""Faults: ingest killed at a random point, and model files that are missing or corrupted.

`mss-qa ingest` runs as a real process over a generated corpus and is SIGKILLed part way,
several times over. After each kill the index must be usable and consistent (each document
either its old or its new version, every stored passage exactly its span of the stored copy,
retrieval returning only such passages) or refuse with the command that repairs it; the next
ingest must then finish and leave exactly the new corpus (in this process, to save loading the
embedder again, except in the last round, which runs `mss-qa ingest`).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mss_qa.backends.embedders import Embedder
from mss_qa.backends.model_files import MODELS
from mss_qa.chunk import chunk_document
from mss_qa.errors import IndexMismatchError, IndexMissingError
from mss_qa.index import DocumentStore, ingest, load_index, open_store
from mss_qa.pipeline import Pipeline
from mss_qa.settings import Settings
from mss_qa.types import Document
from tests.conftest import make_settings

CLI = [sys.executable, "-m", "mss_qa.apps.cli"]
DOCS = 150
ROUNDS = 5
SEED = int(os.environ.get("MSS_QA_FAULT_SEED", "20261125"))
PLACES = ["Port-au-Prince", "Cap-Haïtien", "Gonaïves", "Les Cayes", "Jacmel", "Hinche"]


def document_text(i: int, version: int) -> str:
    """A short report; most of them change from one version to the next."""
    edition = version if i % 5 != 0 else 0  # every fifth never changes
    place = PLACES[(i + edition) % len(PLACES)]
    return (
        f"Station {i} report, edition {edition}. Observers at station {i} near {place} counted "
        f"{100 + 7 * i + 13 * edition} arrivals during week {edition + 1}. The convoy serving "
        f"station {i} was delayed {edition % 4} times by roadblocks, and its supply trucks "
        f"carried {20 + i % 9 + edition} tonnes of food. Officials at station {i} said the "
        f"route through {place} remained open.\n"
    )


def write_corpus(folder: Path, version: int) -> dict[str, str]:
    """The corpus of `version`: a few files leave and arrive each time. Returns name → text."""
    folder.mkdir(parents=True, exist_ok=True)
    wanted = {
        f"station_{i:03d}.txt": document_text(i, version)
        for i in range(DOCS + version * 3)
        if not (version and i % 40 == version)
    }
    for path in folder.iterdir():
        if path.name not in wanted:
            path.unlink()
    for name, text in wanted.items():
        path = folder / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    return wanted


@dataclass
class Ingest:
    """A running `mss-qa ingest` whose stderr is collected as it comes."""

    process: subprocess.Popen[bytes]
    stderr: bytearray
    writing: threading.Event

    @classmethod
    def start(cls, folder: Path, settings: Settings) -> Ingest:
        env = {
            **os.environ,
            "MSS_QA_INDEX_DIR": str(settings.index_dir),
            "MSS_QA_COLLECTION": settings.collection,
            # A child that hangs can be made to print where each of its threads is.
            "PYTHONFAULTHANDLER": "1",
        }
        process = subprocess.Popen(
            [*CLI, "ingest", str(folder)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
        )
        run = cls(process, bytearray(), threading.Event())
        threading.Thread(target=run._collect, daemon=True).start()
        return run

    def _collect(self) -> None:
        assert self.process.stderr is not None
        while chunk := os.read(self.process.stderr.fileno(), 65536):
            self.stderr += chunk
            if b"ingest:" in self.stderr:  # the progress bar: models loaded, files being read
                self.writing.set()

    def started(self, timeout: float) -> bool:
        """Whether the progress bar appeared within `timeout` seconds; if not, the child is
        aborted so that its stderr (see `why`) holds the Python stack of each thread."""
        if self.writing.wait(timeout):
            return True
        self.process.send_signal(signal.SIGABRT)
        self.process.wait(timeout=60)
        time.sleep(0.1)  # the reader thread drains the pipe
        return False

    def why(self) -> str:
        return self.stderr.decode(errors="replace")

    def finish(self) -> str:
        assert self.process.wait(timeout=900) == 0, self.why()
        time.sleep(0.1)  # the reader thread drains the pipe
        return self.why()


def check_index(settings: Settings, embedder: Embedder, versions: list[dict[str, str]]) -> str:
    """'refused' or 'consistent', asserting what either must mean; `versions`: old, new."""
    try:
        load_index(settings, embedder.name)
    except (IndexMissingError, IndexMismatchError) as exc:
        assert "mss-qa ingest" in str(exc)
        return "refused"
    documents = DocumentStore(settings)
    by_source: dict[str, list[tuple[str, int, int, str, str]]] = {}
    for item in open_store(settings).all_chunks():
        c = item.chunk
        by_source.setdefault(c.source, []).append(
            (c.id, c.start, c.end, c.text, item.document_sha256)
        )
    for source, chunks in by_source.items():
        text = documents.read(source)  # a stored passage never lacks its document copy
        assert any(text == v.get(source) for v in versions), f"{source}: neither version"
        for _, start, end, quote, _ in chunks:
            assert text[start:end] == quote, f"{source}: passage {start}-{end} is not its span"
        # Exactly the passages of that version: none missing, none left over from another.
        document = Document(source=source, text=text)
        expected = {c.id for c in chunk_document(document, settings.chunk_max_words)}
        assert {c[0] for c in chunks} == expected, f"{source}: passages of mixed versions"
        assert {c[4] for c in chunks} == {document.sha256}
    # Retrieval returns only such passages.
    pipeline = Pipeline(settings, embedder=embedder)
    for i in (3, 57, 151):
        for evidence in pipeline.retriever.retrieve(f"How many arrivals at station {i}?", 4):
            chunk = evidence.chunk
            assert documents.read(chunk.source)[chunk.start : chunk.end] == chunk.text
    return "consistent"


def test_killing_ingest_at_random_points_never_leaves_a_wrong_index(
    tmp_path: Path, embedder: Embedder
) -> None:
    rng = random.Random(SEED)
    settings = make_settings(tmp_path, collection="faults")
    folder = tmp_path / "corpus"
    old = write_corpus(folder, 0)
    seconds = ingest([folder], settings, embedder, progress=lambda _: None).seconds
    assert check_index(settings, embedder, [old]) == "consistent"

    outcomes = []
    for version in range(1, ROUNDS + 1):
        new = write_corpus(folder, version)
        run = Ingest.start(folder, settings)
        assert run.started(timeout=600), run.why()
        delay = rng.uniform(0, seconds)
        time.sleep(delay)
        run.process.send_signal(signal.SIGKILL)
        run.process.wait(timeout=60)
        outcome = check_index(settings, embedder, [old, new])
        outcomes.append((version, round(delay, 2), run.process.returncode, outcome))

        if version < ROUNDS:
            ingest([folder], settings, embedder, progress=lambda _: None)
        else:
            Ingest.start(folder, settings).finish()
        assert check_index(settings, embedder, [new]) == "consistent"
        assert sorted(DocumentStore(settings).names()) == sorted(new)
        old = new
    print("kill rounds (version, delay s, exit code, state after the kill):", outcomes)
    assert sum(1 for o in outcomes if o[2] == -signal.SIGKILL) >= ROUNDS - 1


class FailingEmbedder:
    """The real embedder, failing from its `fail_at`-th call on (a disk or memory fault)."""

    def __init__(self, inner: Embedder, fail_at: int) -> None:
        self.inner = inner
        self.name = inner.name
        self.calls = 0
        self.fail_at = fail_at

    def embed(self, texts: list[str]) -> Any:
        self.calls += 1
        if self.calls >= self.fail_at:
            raise OSError("no space left on device")
        return self.inner.embed(texts)


def test_an_ingest_that_fails_part_way_leaves_a_collection_that_refuses_until_rerun(
    tmp_path: Path, embedder: Embedder
) -> None:
    settings = make_settings(tmp_path, collection="failing")
    folder = tmp_path / "corpus"
    write_corpus(folder, 0)
    ingest([folder], settings, embedder, progress=lambda _: None)
    new = write_corpus(folder, 1)
    with pytest.raises(OSError):
        ingest([folder], settings, FailingEmbedder(embedder, 20), progress=lambda _: None)
    with pytest.raises(IndexMissingError, match=r"did not finish.*mss-qa ingest"):
        load_index(settings, embedder.name)
    ingest([folder], settings, embedder, progress=lambda _: None)
    assert check_index(settings, embedder, [new]) == "consistent"


# --- model files ----------------------------------------------------------------------------


def run_ask(model_dir: Path, settings: Settings) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "MSS_QA_MODEL_DIR": str(model_dir),
        "MSS_QA_INDEX_DIR": str(settings.index_dir),
        "MSS_QA_COLLECTION": settings.collection,
        "MSS_QA_GENERATOR": "qwen-0.5b",
    }
    return subprocess.run(
        [*CLI, "ask", "Who is Kenya's Interior Minister?"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )


@pytest.mark.parametrize("damage", ["missing", "truncated", "one byte flipped"])
def test_a_damaged_model_file_stops_ask_with_the_repair_command(
    tmp_path: Path, seeded_settings: Settings, damage: str
) -> None:
    spec = MODELS["qwen-0.5b"]
    model_dir = tmp_path / "models"
    model_dir.mkdir()
    if damage != "missing":
        installed = Settings().model_dir / spec.filename
        copy = model_dir / spec.filename
        shutil.copyfile(installed, copy)
        with copy.open("r+b") as handle:
            if damage == "truncated":
                handle.truncate(installed.stat().st_size // 2)
            else:
                handle.seek(4096)
                byte = handle.read(1)
                handle.seek(4096)
                handle.write(bytes([byte[0] ^ 0x01]))
    done = run_ask(model_dir, seeded_settings)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert "mss-qa models fetch qwen-0.5b" in done.stderr
    assert ("missing" if damage == "missing" else "sha256") in done.stderr
    assert done.stdout == ""
