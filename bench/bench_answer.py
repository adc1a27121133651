"""Answer speed next to answer quality, per generator.

For each generator, in its own process (so peak memory is per generator): the seeds are
ingested into a temporary index; a cold start (`mss-qa ask --json` in a new process, timed
from process start to the printed answer); then one `Pipeline`, loaded once, answers the gold
questions: seconds per question, the per-stage timings, time to first token (`on_token`),
prompt and output tokens, and the eval metrics.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, cast

import _common

COLD_QUESTION = "Who is Kenya's Interior Minister?"
GENERATORS = ("qwen-1.5b", "qwen-0.5b")
QUALITY = (
    "correct", "abstention_recall", "false_abstention", "crag", "citation_validity", "hit_at_k",
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--generators",
        help=f"comma-separated generators (default: {','.join(GENERATORS)}; --quick: qwen-0.5b)",
    )
    parser.add_argument(
        "--limit", type=int, help="first N gold questions (default: all; --quick: 3)"
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--result-file", type=Path, help=argparse.SUPPRESS)
    _common.add_common_arguments(parser)
    args = parser.parse_args(argv)
    if args.quick:
        args.generators = args.generators or "qwen-0.5b"
        args.limit = args.limit or 3
    args.generators = args.generators or ",".join(GENERATORS)
    args.generator_list = [g.strip() for g in args.generators.split(",") if g.strip()]
    unknown = set(args.generator_list) - set(GENERATORS)
    if unknown:
        parser.error(f"unknown generator(s) {sorted(unknown)}; choose from {GENERATORS}")
    return args


def cold_start(index_dir: Path, generator: str) -> dict[str, Any]:
    """`mss-qa ask --json` in a fresh process: seconds from start to exit, and its peak RSS."""
    env = {
        **os.environ,
        "MSS_QA_INDEX_DIR": str(index_dir),
        "MSS_QA_GENERATOR": generator,
        "MSS_QA_COLLECTION": "seeds",
    }
    command = [str(Path(sys.executable).parent / "mss-qa"), "ask", "--json", COLD_QUESTION]
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"cold start failed: {done.stderr.strip()[-500:]}")
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    return {
        "seconds": seconds,
        # This worker has started no other child, so this is the CLI's own peak.
        "peak_rss_mib": _common.peak_rss_mib(children=True),
        "status": answer["status"],
        "answer": answer["answer"],
    }


def answering_context(pipeline: Any) -> Any:
    """The llama_cpp.Llama that answers (a private attribute of `LocalLlama`), or None for
    other backends: its tokenizer counts the prompt and output tokens."""
    model = getattr(pipeline.llm, "_llm", None)
    return model if hasattr(model, "tokenize") else None


def worker(generator: str, limit: int | None) -> dict[str, Any]:
    from mss_qa.answer import answer_messages
    from mss_qa.backends.embedders import load_embedder
    from mss_qa.backends.llm import chatml
    from mss_qa.eval.dataset import load_gold
    from mss_qa.eval.metrics import default_metrics
    from mss_qa.eval.runner import summarize
    from mss_qa.index import ingest
    from mss_qa.pipeline import Pipeline
    from mss_qa.settings import Settings

    with tempfile.TemporaryDirectory(prefix="mss-qa-bench-answer-") as tmp:
        settings = Settings(
            index_dir=Path(tmp), collection="seeds", generator=cast(Any, generator)
        )
        with _common.timed() as embedder_load:
            embedder = load_embedder(settings.embedder, settings.model_dir)
        ingest([settings.seeds_dir], settings, embedder, progress=lambda _: None)
        cold = cold_start(settings.index_dir, generator)

        pipeline = Pipeline(settings, embedder=embedder)
        with _common.timed() as load:
            pipeline.load()
        sources = {name: pipeline.source_text(name) for name in pipeline.sources()}
        items = load_gold(_common.GOLD, sources)[:limit]
        model = answering_context(pipeline)

        records, questions = [], []
        prefill = getattr(pipeline.llm, "prefill", None)
        for item in items:
            read = None if prefill is None else (prefill["answer"].tokens,
                                                 prefill["check"].prompts,
                                                 prefill["check"].tokens)
            pieces: list[str] = []
            first_token: list[float] = []

            def on_token(piece: str, pieces: list[str] = pieces, first: list[float] = first_token
                         ) -> None:
                if not first:
                    first.append(time.perf_counter())
                pieces.append(piece)

            started = time.perf_counter()
            result = pipeline.ask(item.question, on_token=on_token)
            seconds = time.perf_counter() - started
            row: dict[str, Any] = {
                "id": item.id,
                "seconds": seconds,
                **{k: result.timings.get(k) for k in ("retrieve_s", "generate_s", "verify_s")},
                "ttft_s": first_token[0] - started if first_token else None,
                "stream_pieces": len(pieces),
            }
            if model is not None and result.shown and pieces:
                prompt_text = chatml(answer_messages(result.question, result.shown))
                prompt = model.tokenize(prompt_text.encode(), add_bos=False, special=True)
                output = "".join(pieces).encode()
                row["prompt_tokens"] = len(prompt)
                row["passages_shown"] = len(result.shown)
                row["output_tokens"] = len(model.tokenize(output, add_bos=False, special=False))
            if prefill is not None and read is not None:
                # What the answering context read (llama.cpp reuses the longest prefix
                # already in its KV cache), a widened prompt's included.
                row["prefilled_tokens"] = prefill["answer"].tokens - read[0]
                row["check_prompts"] = prefill["check"].prompts - read[1]
                row["check_tokens"] = prefill["check"].tokens - read[2]
            questions.append(row)
            records.append({"answer": result.to_dict(), "latency_s": seconds})
        summary = summarize(items, records, default_metrics(sources.get))

    return {
        "generator": generator,
        "cold": cold,
        "load_s": embedder_load.seconds + load.seconds,
        "questions": questions,
        "quality": {k: summary["overall"].get(k) for k in QUALITY},
        "answerable": sum(1 for i in items if i.answerable),
        "unanswerable": sum(1 for i in items if not i.answerable),
        "tokens_counted": model is not None,
        "settings": {
            "top_k": settings.top_k,
            "min_relative_score": settings.shown_score_share,
            "widen_at_none": settings.widen_at_none,
            "max_answer_tokens": settings.max_answer_tokens,
            "support_threshold": settings.support_threshold,
            "n_threads": settings.n_threads,
            "n_ctx": settings.n_ctx,
        },
        "peak_rss_mib": _common.peak_rss_mib(),
    }


def speed_row(result: dict[str, Any]) -> list[Any]:
    rows = result["questions"]

    def values(key: str) -> list[float]:
        return [float(r[key]) for r in rows if r.get(key) is not None]

    seconds = values("seconds")
    # Decode rate: tokens after the first, over the generation time after the first token.
    decoded = decode_s = 0.0
    for r in rows:
        if r.get("output_tokens", 0) > 1 and r["ttft_s"] is not None:
            first_after = r["ttft_s"] - r["retrieve_s"]
            if r["generate_s"] > first_after:
                decoded += r["output_tokens"] - 1
                decode_s += r["generate_s"] - first_after
    return [
        result["generator"],
        result["cold"]["seconds"],
        result["cold"]["peak_rss_mib"],
        result["load_s"],
        _common.percentile(seconds, 50),
        _common.percentile(seconds, 90),
        _common.mean(seconds),
        _common.mean(values("retrieve_s")),
        _common.mean(values("generate_s")),
        _common.mean(values("verify_s")),
        _common.percentile(values("ttft_s"), 50),
        _common.mean(values("passages_shown")),
        _common.mean(values("prompt_tokens")),
        _common.mean(values("prefilled_tokens")),
        _common.mean(values("output_tokens")),
        _common.mean(values("check_prompts")),
        _common.mean(values("check_tokens")),
        decoded / decode_s if decode_s > 0 else None,
        result["peak_rss_mib"],
    ]


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.worker:
        _common.write_result(args.result_file, worker(args.worker, args.limit))
        return
    results = []
    for generator in args.generator_list:
        print(f"{generator} ...", file=sys.stderr)
        forwarded = ["--worker", generator]
        if args.limit:
            forwarded += ["--limit", str(args.limit)]
        results.append(_common.run_worker(Path(__file__), forwarded))

    speed = _common.table(
        [
            "generator", "cold start s", "cold RSS MiB", "load s", "median s", "p90 s", "mean s",
            "retrieve s", "generate s", "verify s", "TTFT p50 s", "passages", "prompt tok",
            "prefilled tok",
            "output tok", "checks", "check tok", "decode tok/s", "peak RSS MiB",
        ],
        [speed_row(r) for r in results],
    )
    quality = _common.table(
        ["generator", "questions", "answerable", "unanswerable", *QUALITY],
        [
            [
                r["generator"], len(r["questions"]), r["answerable"], r["unanswerable"],
                *(r["quality"][k] for k in QUALITY),
            ]
            for r in results
        ],
    )
    cold_answers = "; ".join(
        f"{r['generator']}: {r['cold']['status']} “{r['cold']['answer']}”" for r in results
    )
    notes = [
        f"cold start: `mss-qa ask --json \"{COLD_QUESTION}\"` in a new process, start to exit "
        f"(the OS file cache is warm); answers: {cold_answers}",
        "warm: one Pipeline loaded once; load s = embedder, index and generator load and "
        "the prompt-cache warm-up of `Pipeline.load()`; "
        "retrieve/generate/verify s are means of Answer.timings",
        "TTFT: from calling ask() to the first on_token piece (retrieval + prompt prefill)",
        "passages: passages the generator was shown; prompt tok: the answering prompt "
        "(with those passages) tokenized by the llama.cpp model; prefilled tok: the tokens the "
        "answering context read for the question (not reused from its KV cache), a widened "
        "prompt's included",
        "checks, check tok: per question, the checking prompts of the verify stage and the "
        "tokens the checking context read for them (the rest came from its KV cache)",
        "decode tok/s: output tokens after the first over generate time after the first token",
        "quality: eval metric means (correct: answerable only; abstention_recall: "
        "unanswerable only)",
    ]
    if not all(r["tokens_counted"] for r in results):
        notes.append("token counts need the local llama.cpp backend; not counted here")
    _common.report(
        "bench_answer",
        {
            "generators": ",".join(args.generator_list),
            "questions": args.limit or "all",
            **results[0]["settings"],
        },
        speed + "\n\n" + quality,
        args,
        notes,
    )


if __name__ == "__main__":
    main(sys.argv[1:])
