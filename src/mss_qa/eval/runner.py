"""Runs the gold set through the pipeline (with a result cache) and aggregates metrics."""

from __future__ import annotations

import hashlib
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from mss_qa import prompts
from mss_qa.backends.llm import runtime_description
from mss_qa.eval.dataset import KINDS, GoldItem
from mss_qa.eval.metrics import Metric, Record, is_correct
from mss_qa.index import fingerprint
from mss_qa.pipeline import Pipeline

PROMPT_VERSION = hashlib.sha256(prompts.prompt_text().encode()).hexdigest()[:12]

# The code an answer passes through: a change to any of it makes cached answers stale.
_ANSWERING_MODULES = ("chunk", "retrieve", "prompts", "answer", "verify", "pipeline",
                      "backends/llm")
CODE_VERSION = hashlib.sha256(b"".join(
    (Path(__file__).resolve().parents[1] / f"{name}.py").read_bytes()
    for name in _ANSWERING_MODULES
)).hexdigest()[:12]


# Settings that cannot change an answer: where files live (the sources' own text is keyed
# separately), serving limits, secrets and retry policy.
_NOT_ANSWERING = frozenset({
    "seeds_dir", "index_dir", "model_dir", "chroma_url", "feedback_path", "api_keys",
    "cors_origins", "max_request_bytes", "request_timeout_s", "max_waiting",
    "answer_cache_size", "openai_api_key", "openai_timeout_s", "openai_max_retries",
    "max_file_bytes", "max_question_chars",
})


def config_key(pipeline: Pipeline) -> str:
    """Everything an answer depends on, except the question itself."""
    s = pipeline.settings
    config = {
        "model": s.generator_name,
        "prompt": PROMPT_VERSION,
        "code": CODE_VERSION,
        # The same weights give slightly different numbers with another llama.cpp build.
        "runtime": runtime_description(s),
        "index": fingerprint(s, pipeline.embedder.name),
        "sources": {
            name: hashlib.sha256(pipeline.source_text(name).encode()).hexdigest()[:12]
            for name in pipeline.sources()
        },
        # Every setting but those that cannot change an answer, so that a setting added
        # later is part of the key unless it is listed there.
        "settings": {k: v for k, v in s.model_dump(mode="json").items()
                     if k not in _NOT_ANSWERING},
    }
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:16]


def run(
    items: list[GoldItem],
    pipeline: Pipeline,
    cache_dir: Path,
    progress: Callable[[GoldItem, Record, bool], None] | None = None,
    refresh: bool = False,
) -> tuple[str, list[Record]]:
    """Answer every item; a cached result is reused when nothing it depends on changed
    (unless `refresh`, which answers afresh and updates the cache)."""
    key = config_key(pipeline)
    records: list[Record] = []
    loaded = False
    for item in items:
        digest = hashlib.sha256(f"{key}\n{item.question}".encode()).hexdigest()[:20]
        path = cache_dir / f"{digest}.json"
        if not refresh and path.is_file():
            record = json.loads(path.read_text())
            cached = True
        else:
            if not loaded:
                # Models load (and warm up) only when some answer is not cached, and before
                # the first timed question, so its latency excludes loading.
                pipeline.load()
                loaded = True
            started = time.perf_counter()
            result = pipeline.ask(item.question)
            record = {"answer": result.to_dict(), "latency_s": time.perf_counter() - started}
            cached = False
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(record, ensure_ascii=False))
        record = {
            **record,
            "id": item.id,
            "kind": item.kind,
            "cached": cached,
            "correct": is_correct(item, record),
        }
        records.append(record)
        if progress is not None:
            progress(item, record, cached)
    return key, records


def _mean(values: list[float]) -> float | None:
    return statistics.fmean(values) if values else None


def summarize(
    items: list[GoldItem], records: list[Record], metrics: list[Metric]
) -> dict[str, Any]:
    """Each metric overall and per kind, plus each question's scores."""
    per_question = []
    for item, record in zip(items, records, strict=True):
        scores = {m.name: m.score(item, record) for m in metrics}
        per_question.append(
            {
                "id": item.id,
                "kind": item.kind,
                "question": item.question,
                "expected": list(item.answers),
                "status": record["answer"]["status"],
                "answer": record["answer"]["answer"],
                "result": record["answer"],
                "latency_s": record["latency_s"],
                "scores": scores,
            }
        )
    overall = {
        m.name: _mean(
            [q["scores"][m.name] for q in per_question if q["scores"][m.name] is not None]
        )
        for m in metrics
    }
    by_kind = {}
    for kind in KINDS:
        rows = [q for q in per_question if q["kind"] == kind]
        if rows:
            by_kind[kind] = {
                "n": len(rows),
                **{
                    m.name: _mean(
                        [q["scores"][m.name] for q in rows if q["scores"][m.name] is not None]
                    )
                    for m in metrics
                },
            }
    latencies = sorted(float(r["latency_s"]) for r in records)
    overall["latency_p50_s"] = statistics.median(latencies) if latencies else None
    return {
        "n": len(items),
        "overall": overall,
        "by_kind": by_kind,
        "questions": per_question,
        "items": [asdict(i) for i in items],
    }
