"""Shared fixtures: real components (Chroma in a temp dir, packaged MiniLM, small Qwen)."""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from mss_qa.backends.embedders import Embedder, load_embedder
from mss_qa.index import ingest
from mss_qa.pipeline import Pipeline
from mss_qa.settings import ROOT, Settings

SEEDS = ROOT / "seeds"


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return load_embedder("minilm", Settings().model_dir)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def stop_process(process: subprocess.Popen[bytes], timeout_s: float = 20) -> None:
    """Terminate a server the test started; kill it if it does not exit in time."""
    process.terminate()
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def write_folder(folder: Path, files: dict[str, str]) -> Path:
    """`folder`, created, holding `files` (name -> text)."""
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def make_settings(tmp: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "index_dir": tmp / "index",
        "generator": "qwen-0.5b",
        "collection": "test",
        # Tests that time or interrupt generation ask the same questions again.
        "answer_cache_size": 0,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def seeded_settings(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Settings:
    """A real Chroma index of the seeds, built once per test session."""
    settings = make_settings(tmp_path_factory.mktemp("seeded"))
    ingest([SEEDS], settings, embedder)
    return settings


@pytest.fixture(scope="session")
def small_pipeline(seeded_settings: Settings, embedder: Embedder) -> Pipeline:
    """The full pipeline with the small real generator, loaded once."""
    pipeline = Pipeline(seeded_settings, embedder=embedder)
    pipeline.load()
    return pipeline


@pytest.fixture
def seeds_copy(tmp_path: Path) -> Iterator[Path]:
    """A private copy of the seeds that a test may change."""
    folder = tmp_path / "docs"
    shutil.copytree(SEEDS, folder)
    yield folder
