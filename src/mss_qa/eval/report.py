"""Eval output: terminal table, markdown report, PNG chart, baseline gate and run diffs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mss_qa.errors import MssQaError
from mss_qa.eval.metrics import Metric

# Metrics that gate a run; latency is reported but too noisy on shared machines to gate.
GATED = (
    "correct",
    "abstention_recall",
    "false_abstention",
    "crag",
    "citation_validity",
    "citation_precision",
    "hit_at_k",
    "conflict_detection",
    "completeness",
)
DEFAULT_TOLERANCE = {"citation_validity": 0.0}


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def table(summary: dict[str, Any], metrics: list[Metric]) -> str:
    """Metrics as rows, overall then each kind as columns."""
    kinds = list(summary["by_kind"])
    header = ["metric", "all", *kinds]
    rows = [header, ["n", str(summary["n"]), *(str(summary["by_kind"][k]["n"]) for k in kinds)]]
    for m in metrics:
        rows.append(
            [
                m.name,
                _fmt(summary["overall"][m.name]),
                *(_fmt(summary["by_kind"][k][m.name]) for k in kinds),
            ]
        )
    rows.append(["latency_p50_s", _fmt(summary["overall"]["latency_p50_s"]), *("" for _ in kinds)])
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = [
        "  ".join(
            cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)
        )
        for row in rows
    ]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def markdown(summary: dict[str, Any], metrics: list[Metric], meta: dict[str, Any]) -> str:
    kinds = list(summary["by_kind"])
    out = ["# mss-qa eval report", ""]
    out += [f"- {k}: {v}" for k, v in meta.items()]
    out += [
        "",
        "| metric | all | " + " | ".join(kinds) + " |",
        "|---" * (len(kinds) + 2) + "|",
        "| n | "
        + str(summary["n"])
        + " | "
        + " | ".join(str(summary["by_kind"][k]["n"]) for k in kinds)
        + " |",
    ]
    for m in metrics:
        out.append(
            f"| {m.name} | {_fmt(summary['overall'][m.name])} | "
            + " | ".join(_fmt(summary["by_kind"][k][m.name]) for k in kinds)
            + " |"
        )
    wrong = [q for q in summary["questions"] if q["scores"]["crag"] != 1.0]
    out += [
        "",
        f"## Questions not answered correctly ({len(wrong)})",
        "",
        "| id | question | expected | status | answer |",
        "|---|---|---|---|---|",
    ]
    for q in wrong:
        expected = " / ".join(q["expected"]) or "(refuse)"
        answer = q["answer"].replace("|", "\\|")
        out.append(f"| {q['id']} | {q['question']} | {expected} | {q['status']} | {answer} |")
    return "\n".join(out) + "\n"


def chart(summary: dict[str, Any], path: Path) -> None:
    """Per-kind accuracy (CRAG-style correct rate) and mean latency, side by side."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    kinds = list(summary["by_kind"])
    accuracy = [
        sum(1 for q in summary["questions"] if q["kind"] == k and q["scores"]["crag"] == 1.0)
        / summary["by_kind"][k]["n"]
        for k in kinds
    ]
    latency = [summary["by_kind"][k]["latency_s"] or 0.0 for k in kinds]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    left.bar(kinds, accuracy, color="#2b7bba")
    left.set_ylim(0, 1.05)
    left.set_title("correct (refusal counts for unanswerable)")
    right.bar(kinds, latency, color="#e07b39")
    right.set_title("mean seconds per question")
    for axis in (left, right):
        axis.tick_params(axis="x", rotation=45)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


@dataclass(frozen=True)
class GateResult:
    failures: list[str]
    flipped_to_wrong: list[str]
    flipped_to_right: list[str]

    @property
    def passed(self) -> bool:
        return not self.failures


def make_baseline(
    summary: dict[str, Any], metrics: list[Metric], model: str, tolerance: float = 0.03
) -> dict[str, Any]:
    by_name = {m.name: m for m in metrics}
    return {
        "model": model,
        "metrics": {
            name: {
                "value": summary["overall"][name],
                "tolerance": DEFAULT_TOLERANCE.get(name, tolerance),
                "higher_is_better": by_name[name].higher_is_better,
            }
            for name in GATED
            if summary["overall"].get(name) is not None
        },
        "questions": {q["id"]: q["scores"]["crag"] == 1.0 for q in summary["questions"]},
    }


class EvalFileError(MssQaError):
    """A baseline or summary file that cannot be used; the message says why."""

    http_status = 422


def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise EvalFileError(f"cannot read {what} {path}: {reason}") from None


def load_summary(path: Path) -> dict[str, Any]:
    """A `summary.json` written by `mss-qa eval`, or `EvalFileError`."""
    data = _read_json(path, "summary")
    questions = data.get("questions") if isinstance(data, dict) else None
    if not isinstance(questions, list) or not all(
        isinstance(q, dict) and {"id", "answer", "scores"} <= set(q)
        and isinstance(q["scores"], dict) for q in questions
    ):
        raise EvalFileError(f"{path} is not a summary.json written by `mss-qa eval`")
    return dict(data)


def load_baseline(path: Path) -> dict[str, Any]:
    """A baseline written by `mss-qa eval --update-baseline`, or `EvalFileError`."""
    if not path.is_file():
        raise EvalFileError(f"there is no baseline at {path}; make one with "
                            "`mss-qa eval --update-baseline --baseline PATH`")
    data = _read_json(path, "baseline")
    rules = data.get("metrics") if isinstance(data, dict) else None
    if not isinstance(rules, dict) or not all(
        isinstance(r, dict) and {"value", "tolerance", "higher_is_better"} <= set(r)
        for r in rules.values()
    ) or not isinstance(data.get("questions", {}), dict):
        raise EvalFileError(f"{path} is not a baseline written by `mss-qa eval "
                            "--update-baseline`")
    return dict(data)


def baseline_mismatch(baseline: dict[str, Any], model: str, question_ids: list[str]
                      ) -> list[str]:
    """Why `baseline` cannot gate a run of `model` over these questions (empty if it can):
    a baseline of another model, or of another gold set, would pass or fail for the wrong
    reasons."""
    problems = []
    if baseline.get("model") not in (None, model):
        problems.append(f"it was made with {baseline['model']}, this run uses {model}")
    recorded = set(baseline.get("questions", {}))
    if recorded:
        missing = sorted(recorded - set(question_ids))
        new = sorted(set(question_ids) - recorded)
        if missing or new:
            problems.append(f"it was made from another gold set ({len(missing)} of its "
                            f"questions are not in this one{_examples(missing)}, {len(new)} "
                            f"of this one's are new{_examples(new)})")
    return problems


def _examples(ids: list[str]) -> str:
    return f": {', '.join(ids[:3])}{', ...' if len(ids) > 3 else ''}" if ids else ""


def check_baseline(summary: dict[str, Any], baseline: dict[str, Any]) -> GateResult:
    """Fail when a metric falls below baseline minus tolerance; list flipped questions."""
    failures = []
    for name, rule in baseline["metrics"].items():
        value = summary["overall"].get(name)
        if value is None or rule["value"] is None:
            continue
        if rule["higher_is_better"] and value < rule["value"] - rule["tolerance"] - 1e-9:
            failures.append(
                f"{name} fell to {value:.3f} (baseline {rule['value']:.3f}, "
                f"tolerance {rule['tolerance']})"
            )
        if not rule["higher_is_better"] and value > rule["value"] + rule["tolerance"] + 1e-9:
            failures.append(
                f"{name} rose to {value:.3f} (baseline {rule['value']:.3f}, "
                f"tolerance {rule['tolerance']})"
            )
    now = {q["id"]: q["scores"]["crag"] == 1.0 for q in summary["questions"]}
    before = baseline.get("questions", {})
    return GateResult(
        failures,
        flipped_to_wrong=sorted(i for i, ok in now.items() if before.get(i) is True and not ok),
        flipped_to_right=sorted(i for i, ok in now.items() if before.get(i) is False and ok),
    )


def compare(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """Lines describing questions whose correctness or answer differs between two runs."""
    first = {q["id"]: q for q in a["questions"]}
    second = {q["id"] for q in b["questions"]}
    lines = []
    for q in b["questions"]:
        old = first.get(q["id"])
        if old is None:
            continue
        was, now = old["scores"].get("crag") == 1.0, q["scores"].get("crag") == 1.0
        if was != now:
            arrow = "right -> wrong" if was else "wrong -> right"
            lines.append(f"{q['id']}: {arrow}: {old['answer']!r} -> {q['answer']!r}")
    only_first = sorted(set(first) - second)
    only_second = sorted(second - set(first))
    if only_first:
        lines.append(f"only in the first run: {len(only_first)} questions{_examples(only_first)}")
    if only_second:
        lines.append(f"only in the second run: {len(only_second)} questions"
                     f"{_examples(only_second)}")
    return lines


def write_outputs(
    out: Path, summary: dict[str, Any], metrics: list[Metric], meta: dict[str, Any]
) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps({**meta, **summary}, indent=1, ensure_ascii=False))
    (out / "report.md").write_text(markdown(summary, metrics, meta))
    chart(summary, out / "chart.png")
