"""Ingest throughput: the seeds and a generated corpus through the real `mss_qa.index.ingest`
(MiniLM embedder, Chroma in a temporary folder), then a re-ingest of the unchanged corpus."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

import _common
import _synthetic


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--docs", type=int, help="generated documents (default: 1000; --quick: 20)"
    )
    parser.add_argument("--seed", type=int, default=1234, help="corpus generator seed")
    _common.add_common_arguments(parser)
    args = parser.parse_args(argv)
    if args.docs is None:
        args.docs = 20 if args.quick else 1000
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    from mss_qa.backends.embedders import load_embedder
    from mss_qa.index import IngestReport, ingest
    from mss_qa.settings import Settings

    with _common.timed() as load:
        embedder = load_embedder("minilm", Settings().model_dir)

    def quiet(_: int) -> None:
        """A progress callback, so ingest shows no progress bar in the output."""

    rows: list[list[Any]] = []

    def row(name: str, report: IngestReport, files: int) -> None:
        seconds = report.seconds
        rows.append(
            [
                name,
                files,
                report.chunks_embedded,
                seconds,
                files / seconds if seconds > 0 else None,
                report.chunks_embedded / seconds if seconds > 0 else None,
                _common.peak_rss_mib(),
            ]
        )

    with tempfile.TemporaryDirectory(prefix="mss-qa-bench-ingest-") as tmp:
        base = Settings()
        seeds_settings = Settings(index_dir=Path(tmp) / "index", collection="bench-seeds")
        seeds = ingest([base.seeds_dir], seeds_settings, embedder, progress=quiet)
        row("seeds", seeds, len(seeds.added) + len(seeds.changed))

        corpus_dir = Path(tmp) / "corpus"
        with _common.timed() as generate:
            _synthetic.write_corpus(corpus_dir, args.docs, args.seed)
        corpus_settings = Settings(index_dir=Path(tmp) / "index", collection="bench-corpus")
        first = ingest([corpus_dir], corpus_settings, embedder, progress=quiet)
        row(f"corpus ({args.docs} docs)", first, len(first.added))
        again = ingest([corpus_dir], corpus_settings, embedder, progress=quiet)
        row("re-ingest, unchanged", again, len(again.unchanged))
        corpus_bytes = sum(p.stat().st_size for p in corpus_dir.iterdir())

    headers = ["run", "files", "chunks embedded", "s", "files/s", "chunks/s", "peak RSS MiB"]
    body = _common.table(headers, rows)
    notes = [
        f"embedder load {load.seconds:.1f} s (not in the rows); corpus generated in "
        f"{generate.seconds:.1f} s, {corpus_bytes / 1024:.0f} KiB",
        "peak RSS is the whole process so far (embedder, Chroma, corpus), cumulative down "
        "the rows",
    ]
    if again.chunks_embedded:
        notes.append(f"WARNING: the unchanged re-ingest embedded {again.chunks_embedded} chunks")
    _common.report(
        "bench_ingest",
        {
            "docs": args.docs,
            "seed": args.seed,
            "chunk_max_words": base.chunk_max_words,
            "embedder": embedder.name,
        },
        body,
        args,
        notes,
    )


if __name__ == "__main__":
    main(sys.argv[1:])
