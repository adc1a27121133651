"""Retrieval latency of `HybridRetriever.retrieve` (BM25 + Chroma, fused) by collection size.

Each size runs in its own process, so its peak memory is its own. The collections hold
synthetic chunks with random unit vectors (latency does not depend on what the vectors mean);
they are built once and cached under ~/.cache/mss-qa/bench/. Questions are the gold set's,
embedded by the real MiniLM inside `retrieve()`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import _common
import _synthetic
import numpy as np

if TYPE_CHECKING:
    from mss_qa.backends.embedders import Embedder, Vectors

DIM = 384  # all-MiniLM-L6-v2
BATCH = 5000  # below Chroma's maximum batch size
CHUNKS_PER_SOURCE = 20
CACHE_VERSION = 1  # bump when the synthetic collection's layout changes
COLLECTION = "bench"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--sizes", help="comma-separated chunk counts (default: 1000,10000,100000; --quick: 1000)"
    )
    parser.add_argument(
        "--queries", type=int, help="timed queries per size (default: 200; --quick: 20)"
    )
    parser.add_argument(
        "--warmup", type=int, help="untimed queries first (default: 5; --quick: 2)"
    )
    parser.add_argument("--top-k", type=int, default=None, help="default: the top_k setting")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rebuild", action="store_true", help="ignore the cached collections")
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--result-file", type=Path, help=argparse.SUPPRESS)
    _common.add_common_arguments(parser)
    args = parser.parse_args(argv)
    quick = args.quick
    args.sizes = args.sizes or ("1000" if quick else "1000,10000,100000")
    args.queries = args.queries if args.queries is not None else (20 if quick else 200)
    args.warmup = args.warmup if args.warmup is not None else (2 if quick else 5)
    args.size_list = [int(s) for s in args.sizes.split(",") if s.strip()]
    return args


class TimedEmbedder:
    """Wraps the real embedder and adds up the time spent embedding questions."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.seconds = 0.0

    def embed(self, texts: list[str]) -> Vectors:
        started = time.perf_counter()
        try:
            return self.inner.embed(texts)
        finally:
            self.seconds += time.perf_counter() - started


def synthetic_chunks(size: int, seed: int) -> list[Any]:
    """`size` one-sentence chunks, grouped CHUNKS_PER_SOURCE to a made-up source file."""
    from mss_qa.types import Chunk, Span

    rng = random.Random(seed)
    chunks = []
    offset = 0
    for i in range(size):
        source = f"synthetic_{i // CHUNKS_PER_SOURCE:06d}.txt"
        if i % CHUNKS_PER_SOURCE == 0:
            offset = 0
        text = _synthetic.sentence(rng)
        span = Span(source, offset, offset + len(text), text)
        chunks.append(Chunk(f"bench-{i:07d}", source, span.start, span.end, text, (span,)))
        offset = span.end + 1
    return chunks


def build(folder: Path, size: int, seed: int) -> float:
    """Fill a Chroma collection with `size` chunks and random unit vectors; seconds taken."""
    from mss_qa.backends.chroma_store import ChromaStore

    started = time.perf_counter()
    chunks = synthetic_chunks(size, seed)
    rng = np.random.default_rng(seed)
    store = ChromaStore(COLLECTION, path=folder / "chroma")
    for begin in range(0, size, BATCH):
        batch = chunks[begin : begin + BATCH]
        vectors = rng.standard_normal((len(batch), DIM)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        digest = hashlib.sha256(f"bench-{seed}-{begin}".encode()).hexdigest()
        store.upsert(batch, vectors, digest)
    return time.perf_counter() - started


def worker(args: argparse.Namespace) -> dict[str, Any]:
    """Open (or build) the collection of one size and time the queries against it."""
    from mss_qa.backends.chroma_store import ChromaStore
    from mss_qa.backends.embedders import load_embedder
    from mss_qa.eval.dataset import load_gold
    from mss_qa.index import word_neighbours
    from mss_qa.retrieve import HybridRetriever
    from mss_qa.settings import Settings

    size: int = args.worker
    chroma = metadata.version("chromadb")
    folder = _common.CACHE_DIR / f"retrieval-v{CACHE_VERSION}-chroma{chroma}-seed{args.seed}-{size}"
    marker = folder / "built.json"
    if args.rebuild or not marker.is_file():
        shutil.rmtree(folder, ignore_errors=True)
        build_s = build(folder, size, args.seed)
        marker.write_text(json.dumps({"size": size, "build_s": build_s}))
        cached = False
    else:
        build_s = json.loads(marker.read_text())["build_s"]
        cached = True

    settings = Settings()
    top_k = args.top_k or settings.top_k
    embedder = TimedEmbedder(load_embedder(settings.embedder, settings.model_dir))
    with _common.timed() as load:
        store = ChromaStore(COLLECTION, path=folder / "chroma")
        chunks = [item.chunk for item in store.all_chunks()]
        chunks.sort(key=lambda c: (c.source, c.start))
    with _common.timed() as init:
        # As the product builds it: the collection's words and their vectors (kept in the
        # size's folder), for question words no chunk uses.
        kept = settings.model_copy(update={"index_dir": folder, "collection": "bench"})
        neighbours = word_neighbours(kept, embedder, (c.text for c in chunks))
        retriever = HybridRetriever(
            chunks,
            store,
            embedder,
            bm25_weight=settings.bm25_weight,
            dense_weight=settings.dense_weight,
            rrf_k=settings.rrf_k,
            fusion=settings.fusion,
            neighbours=neighbours,
        )

    sources = {p.name: p.read_text(encoding="utf-8") for p in settings.seeds_dir.glob("*.txt")}
    questions = [item.question for item in load_gold(_common.GOLD, sources)]
    for question in questions[: args.warmup]:
        retriever.retrieve(question, top_k)
    totals, without_embedding = [], []
    for i in range(args.queries):
        question = questions[i % len(questions)]
        embedder.seconds = 0.0
        started = time.perf_counter()
        retriever.retrieve(question, top_k)
        elapsed = time.perf_counter() - started
        totals.append(elapsed * 1000)
        without_embedding.append((elapsed - embedder.seconds) * 1000)
    return {
        "size": size,
        "chunks": len(chunks),
        "cached": cached,
        "build_s": build_s,
        "load_s": load.seconds,
        "init_s": init.seconds,
        "top_k": top_k,
        "fusion": settings.fusion,
        "totals_ms": totals,
        "without_embedding_ms": without_embedding,
        "distinct_questions": min(len(questions), args.queries),
        "peak_rss_mib": _common.peak_rss_mib(),
    }


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.worker is not None:
        _common.write_result(args.result_file, worker(args))
        return
    results = []
    for size in args.size_list:
        print(f"size {size:,} ...", file=sys.stderr)
        forwarded = [
            "--worker", str(size), "--queries", str(args.queries), "--warmup", str(args.warmup),
            "--seed", str(args.seed),
        ]
        if args.top_k:
            forwarded += ["--top-k", str(args.top_k)]
        if args.rebuild:
            forwarded.append("--rebuild")
        results.append(_common.run_worker(Path(__file__), forwarded))

    headers = [
        "chunks", "p50 ms", "p95 ms", "mean ms", "p50 ms w/o embed", "p95 ms w/o embed",
        "build s", "load s", "BM25 init s", "peak RSS MiB",
    ]
    rows = [
        [
            r["chunks"],
            _common.percentile(r["totals_ms"], 50),
            _common.percentile(r["totals_ms"], 95),
            _common.mean(r["totals_ms"]),
            _common.percentile(r["without_embedding_ms"], 50),
            _common.percentile(r["without_embedding_ms"], 95),
            f"{r['build_s']:.1f}" + (" (cached)" if r["cached"] else ""),
            r["load_s"],
            r["init_s"],
            r["peak_rss_mib"],
        ]
        for r in results
    ]
    first = results[0]
    _common.report(
        "bench_retrieval",
        {
            "sizes": args.sizes,
            "queries": args.queries,
            "warmup": args.warmup,
            "top_k": first["top_k"],
            "fusion": first["fusion"],
            "seed": args.seed,
        },
        _common.table(headers, rows),
        args,
        [
            f"{first['distinct_questions']} distinct gold questions, cycled; synthetic "
            "one-sentence chunks with random unit vectors (dim 384) in a persistent Chroma "
            "collection",
            "w/o embed: retrieve() minus the time MiniLM spent embedding the question",
            "load s: reading every chunk back from Chroma (as `load_index` does); BM25 init s: "
            "building the retriever; build s: filling the cached collection (once)",
        ],
    )


if __name__ == "__main__":
    main(sys.argv[1:])
