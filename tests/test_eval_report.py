"""The regression gate and run comparison are pure functions over summaries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mss_qa.eval import report
from mss_qa.eval.metrics import default_metrics

METRICS = default_metrics(lambda name: None)


def summary(correct: float, abstention: float, crag_by_id: dict[str, float]) -> dict[str, Any]:
    overall: dict[str, float | None] = {m.name: None for m in METRICS}
    overall.update({"correct": correct, "abstention_recall": abstention,
                    "citation_validity": 1.0, "latency_p50_s": 3.0})
    questions = [{"id": i, "kind": "factoid", "question": i, "expected": ["x"],
                  "status": "answered", "answer": f"answer {i}",
                  "scores": {**{m.name: None for m in METRICS}, "crag": v,
                             "latency_s": 3.0}}
                 for i, v in crag_by_id.items()]
    by_kind = {"factoid": {"n": len(questions), **overall, "latency_s": 3.0}}
    return {"n": len(questions), "overall": overall, "by_kind": by_kind,
            "questions": questions}


def test_gate_passes_within_tolerance_and_fails_below_it() -> None:
    base = report.make_baseline(summary(0.80, 1.0, {"a": 1, "b": 1, "c": -1}), METRICS,
                                "qwen-0.5b", tolerance=0.05)
    ok = report.check_baseline(summary(0.76, 1.0, {"a": 1, "b": 1, "c": -1}), base)
    assert ok.passed and not ok.flipped_to_wrong
    worse = report.check_baseline(summary(0.70, 1.0, {"a": 1, "b": -1, "c": 1}), base)
    assert not worse.passed
    assert any(f.startswith("correct fell to 0.700") for f in worse.failures)
    assert worse.flipped_to_wrong == ["b"] and worse.flipped_to_right == ["c"]


def test_citation_validity_allows_no_drop() -> None:
    base = report.make_baseline(summary(0.8, 1.0, {"a": 1}), METRICS, "m", tolerance=0.2)
    assert base["metrics"]["citation_validity"]["tolerance"] == 0.0
    result = report.check_baseline(summary(0.8, 0.7, {"a": 1}), base)
    assert [f.split(" ")[0] for f in result.failures] == ["abstention_recall"]


def test_compare_lists_flipped_questions() -> None:
    a = summary(0.5, 1.0, {"q1": 1, "q2": -1, "q3": 0})
    b = summary(0.5, 1.0, {"q1": -1, "q2": 1, "q3": 0})
    lines = report.compare(a, b)
    assert len(lines) == 2
    assert lines[0].startswith("q1: right -> wrong")
    assert lines[1].startswith("q2: wrong -> right")


def test_outputs_are_written(tmp_path: Path) -> None:
    s = summary(0.8, 1.0, {"a": 1, "b": -1})
    report.write_outputs(tmp_path, s, METRICS, {"generator": "m"})
    assert (tmp_path / "chart.png").stat().st_size > 1000
    assert "| correct | 0.800 |" in (tmp_path / "report.md").read_text()
    assert "correct" in report.table(s, METRICS)


def test_compare_says_which_questions_only_one_run_has() -> None:
    a = summary(0.5, 1.0, {"q1": 1, "q2": 1})
    b = summary(0.5, 1.0, {"q1": 1, "x3": 1})
    assert report.compare(a, b) == ["only in the first run: 1 questions: q2",
                                    "only in the second run: 1 questions: x3"]


def test_a_baseline_of_another_model_or_gold_set_cannot_gate() -> None:
    base = report.make_baseline(summary(0.8, 1.0, {"a": 1, "b": 1}), METRICS, "qwen-0.5b")
    assert report.baseline_mismatch(base, "qwen-0.5b", ["a", "b"]) == []
    [model] = report.baseline_mismatch(base, "qwen-1.5b", ["a", "b"])
    assert model == "it was made with qwen-0.5b, this run uses qwen-1.5b"
    [gold] = report.baseline_mismatch(base, "qwen-0.5b", ["a", "c"])
    assert gold == ("it was made from another gold set (1 of its questions are not in this "
                    "one: b, 1 of this one's are new: c)")


def test_files_that_are_not_baselines_or_summaries_are_refused(tmp_path: Path) -> None:
    import pytest

    good = summary(0.8, 1.0, {"a": 1})
    (tmp_path / "summary.json").write_text(json.dumps(good))
    (tmp_path / "baseline.json").write_text(
        json.dumps(report.make_baseline(good, METRICS, "m")))
    (tmp_path / "empty.json").write_text("{}")
    (tmp_path / "text.json").write_text("not json")
    assert report.load_summary(tmp_path / "summary.json")["questions"]
    assert report.load_baseline(tmp_path / "baseline.json")["metrics"]
    for name, loader, message in [
        ("missing.json", report.load_baseline, "there is no baseline at"),
        (".", report.load_baseline, "there is no baseline at"),
        ("summary.json", report.load_baseline, "is not a baseline"),
        ("empty.json", report.load_baseline, "is not a baseline"),
        ("text.json", report.load_baseline, "cannot read baseline"),
        ("baseline.json", report.load_summary, "is not a summary.json"),
        ("empty.json", report.load_summary, "is not a summary.json"),
        ("text.json", report.load_summary, "cannot read summary"),
        (".", report.load_summary, "cannot read summary"),
    ]:
        with pytest.raises(report.EvalFileError, match=message):
            loader(tmp_path / name)
