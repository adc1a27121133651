"""Shared by the benchmark scripts: machine facts, timing, peak memory, BENCHMARKS.md."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS_MD = ROOT / "BENCHMARKS.md"
GOLD = ROOT / "eval" / "gold.jsonl"
CACHE_DIR = Path.home() / ".cache" / "mss-qa" / "bench"
# Other work on the machine skews every timing: recorded so a noisy run can be recognised.
LOAD_AT_START = os.getloadavg()
PACKAGES = ("mss-qa", "llama-cpp-python", "chromadb", "onnxruntime", "sentence-transformers")


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """--quick, --no-record and --output, the same in every script."""
    parser.add_argument(
        "--quick", action="store_true", help="tiny sizes, for checking the script works"
    )
    parser.add_argument(
        "--no-record", action="store_true", help="print the results but leave BENCHMARKS.md alone"
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=BENCHMARKS_MD,
        help="file the results are appended to (default: %(default)s)",
    )


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def total_memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024**2
    except (OSError, ValueError, IndexError):
        pass
    return None


def machine() -> str:
    memory = total_memory_gib()
    memory_text = f"{memory:.1f} GiB" if memory is not None else "unknown memory"
    load = ", ".join(f"{x:.2f}" for x in LOAD_AT_START)
    return f"{os.cpu_count()} cores, {cpu_model()}, {memory_text}; load average at start {load}"


def versions(extra: Sequence[str] = ()) -> str:
    parts = [f"python {platform.python_version()}"]
    for name in (*PACKAGES, *extra):
        try:
            parts.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            parts.append(f"{name} (not installed)")
    return ", ".join(parts)


def commit() -> str:
    """The checked-out commit, marked when the work tree differs from it (read-only git)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        clean = subprocess.run(
            ["git", "diff-index", "--quiet", "HEAD", "--"], cwd=ROOT, capture_output=True
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head if clean.returncode == 0 else f"{head} + local changes"


def peak_rss_mib(children: bool = False) -> float:
    """Peak resident memory of this process, or of its largest finished child (Linux: KiB)."""
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    return resource.getrusage(who).ru_maxrss / 1024


class Stopwatch:
    seconds: float = 0.0


@contextmanager
def timed() -> Iterator[Stopwatch]:
    """`with timed() as t: ...` then `t.seconds`."""
    watch = Stopwatch()
    started = time.perf_counter()
    try:
        yield watch
    finally:
        watch.seconds = time.perf_counter() - started


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=np.float64), q)) if values else float("nan")


def mean(values: Sequence[float]) -> float:
    return float(np.mean(values)) if values else float("nan")


def fmt(value: Any, digits: int = 2) -> str:
    """Numbers rounded for a table; None and NaN shown as a dash."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return "–" if value != value else f"{value:,.{digits}f}"
    return str(value)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table: readable in a terminal and in BENCHMARKS.md."""
    cells = [[str(h) for h in headers], *[[fmt(v) for v in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])


def report(
    title: str,
    settings: dict[str, Any],
    body: str,
    args: argparse.Namespace,
    notes: Sequence[str] = (),
    extra_packages: Sequence[str] = (),
) -> None:
    """Print the results, and append them as a dated section unless --no-record."""
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    settings_text = ", ".join(f"{k}={v}" for k, v in settings.items())
    lines = [
        f"### {title} — {now}",
        "",
        f"- machine: {machine()}",
        f"- versions: {versions(extra_packages)}",
        f"- commit: {commit()}",
        f"- settings: {settings_text}",
        "",
        body,
        "",
        *[f"- {note}" for note in notes],
    ]
    section = "\n".join(lines).rstrip() + "\n"
    print("\n" + section)
    if args.no_record:
        print("(--no-record: BENCHMARKS.md left unchanged)", file=sys.stderr)
        return
    output: Path = args.output
    if not output.exists():
        output.write_text("# Benchmarks\n")
    with output.open("a", encoding="utf-8") as handle:
        handle.write("\n" + section)
    print(f"appended to {output}", file=sys.stderr)


def run_worker(script: Path, arguments: Sequence[str]) -> dict[str, Any]:
    """Run `script --worker ...` in a fresh interpreter, so its peak memory is its own.

    The worker writes its results as JSON to the file named by --result-file; its stdout and
    stderr pass through, so library chatter cannot corrupt the result.
    """
    with tempfile.TemporaryDirectory(prefix="mss-qa-bench-") as tmp:
        result_file = Path(tmp) / "result.json"
        command = [sys.executable, str(script), *arguments, "--result-file", str(result_file)]
        done = subprocess.run(command, check=False)
        if done.returncode != 0 or not result_file.is_file():
            raise SystemExit(f"worker failed (exit {done.returncode}): {' '.join(command)}")
        result: dict[str, Any] = json.loads(result_file.read_text())
        return result


def write_result(path: Path, result: dict[str, Any]) -> None:
    path.write_text(json.dumps(result))
