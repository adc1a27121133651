"""The ONNX MiniLM embedder gives PyTorch's vectors, exports itself once, and mends a
damaged export."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from mss_qa.backends.embedders import (
    MiniLMEmbedder,
    TorchMiniLMEmbedder,
    load_embedder,
    onnx_file,
)
from mss_qa.settings import ROOT, Settings

SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
LINES = [line for line in SEEDS[0].read_text(encoding="utf-8").splitlines() if line.strip()]
TEXTS = [
    "Who is Kenya's Interior Minister?",
    "",
    "ok",
    # Longer than the model reads (256 word pieces): both cut it at the same place.
    " ".join(p.read_text(encoding="utf-8") for p in SEEDS)[:6000],
    *LINES[:40],
]


@pytest.fixture(scope="module")
def torch_vectors() -> np.ndarray:
    return TorchMiniLMEmbedder().embed(TEXTS)


def test_onnx_vectors_equal_pytorch_vectors(torch_vectors: np.ndarray) -> None:
    onnx = MiniLMEmbedder(Settings().model_dir)
    vectors = onnx.embed(TEXTS)
    assert vectors.shape == (len(TEXTS), 384)
    assert np.abs(vectors - torch_vectors).max() < 1e-5
    # One at a time (no padding) gives the same as in a batch.
    assert np.abs(onnx.embed([TEXTS[0]])[0] - vectors[0]).max() < 1e-5
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_export_once_then_reuse(tmp_path: Path, torch_vectors: np.ndarray) -> None:
    first = MiniLMEmbedder(tmp_path)
    assert first.onnx_path == onnx_file(tmp_path) and first.onnx_path.is_file()
    assert [p.name for p in tmp_path.iterdir()] == [first.onnx_path.name]  # no partial file
    written = first.onnx_path.stat().st_mtime_ns
    second = MiniLMEmbedder(tmp_path)
    assert second.onnx_path.stat().st_mtime_ns == written
    assert np.abs(second.embed(TEXTS[:1]) - torch_vectors[:1]).max() < 1e-5


def test_damaged_export_is_made_again(
    tmp_path: Path, torch_vectors: np.ndarray, caplog: pytest.LogCaptureFixture
) -> None:
    target = onnx_file(tmp_path)
    target.write_bytes(b"not a model")
    with caplog.at_level(logging.WARNING):
        embedder = load_embedder("minilm", tmp_path)
    assert isinstance(embedder, MiniLMEmbedder)
    assert "exporting it again" in caplog.text
    assert target.stat().st_size > 1_000_000
    assert np.abs(embedder.embed(TEXTS[:1]) - torch_vectors[:1]).max() < 1e-5


def test_unwritable_model_folder_falls_back_to_pytorch(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("a file where the model folder should be")
    with caplog.at_level(logging.WARNING):
        embedder = load_embedder("minilm", blocked / "models")
    assert isinstance(embedder, TorchMiniLMEmbedder)
    assert "embedding with PyTorch" in caplog.text
