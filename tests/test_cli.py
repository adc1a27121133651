"""The `mss-qa` command-line contract, run as a real process against a temp index."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mss_qa.settings import Settings
from tests.conftest import SEEDS

CLI = [sys.executable, "-m", "mss_qa.apps.cli"]


def run_cli(
    args: list[str], settings: Settings, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "MSS_QA_INDEX_DIR": str(settings.index_dir),
        "MSS_QA_COLLECTION": settings.collection,
        "MSS_QA_GENERATOR": settings.generator,
    }
    return subprocess.run(
        [*CLI, *args], input=stdin, capture_output=True, text=True, env=env, timeout=600
    )


def check_contract(obj: dict[str, object], question: str) -> None:
    assert obj["question"] == question
    assert obj["status"] in ("answered", "insufficient")
    assert isinstance(obj["answer"], str) and obj["answer"]
    assert isinstance(obj["conflicts"], list)
    citations = obj["citations"]
    assert isinstance(citations, list)
    for c in citations:
        text = (SEEDS / c["source"]).read_bytes().decode("utf-8")
        assert text[c["start"] : c["end"]] == c["quote"]
        assert isinstance(c["n"], int)


def test_ask_json_prints_one_contract_object(seeded_settings: Settings) -> None:
    done = run_cli(["ask", "--json", "Who is Kenya's Interior Minister?"], seeded_settings)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1
    obj = json.loads(lines[0])
    check_contract(obj, "Who is Kenya's Interior Minister?")
    assert obj["status"] == "answered" and "Murkomen" in obj["answer"]


def test_batch_reads_stdin_and_answers_in_order(seeded_settings: Settings) -> None:
    questions = [
        "Who is Kenya's Interior Minister?",
        "What is the population of Kenya?",
        "Which alliance have Haiti's gangs formed?",
    ]
    done = run_cli(["ask", "--json", "-"], seeded_settings, stdin="\n".join(questions) + "\n")
    assert done.returncode == 0, done.stderr
    objects = [json.loads(line) for line in done.stdout.strip().splitlines()]
    assert [o["question"] for o in objects] == questions
    for obj, question in zip(objects, questions, strict=True):
        check_contract(obj, question)
    assert objects[1]["status"] == "insufficient"


def test_a_bad_batch_line_is_reported_in_place_and_the_batch_goes_on(
    seeded_settings: Settings,
) -> None:
    questions = ["", "What is the population of Kenya?"]
    stdin = "\n".join(questions) + "\n"
    done = run_cli(["ask", "--json", "-"], seeded_settings, stdin=stdin)
    assert done.returncode == 1
    objects = [json.loads(line) for line in done.stdout.strip().splitlines()]
    assert objects[0] == {"question": "", "error": "the question is empty"}
    check_contract(objects[1], questions[1])
    # Without --json, stdout holds answers only: the error is a line on stderr.
    done = run_cli(["ask", "-"], seeded_settings, stdin=stdin)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == "error: the question is empty"
    assert "error" not in done.stdout and "The sources don't say." in done.stdout


def test_a_closed_stdin_is_an_empty_batch(seeded_settings: Settings) -> None:
    env = {**os.environ, "MSS_QA_INDEX_DIR": str(seeded_settings.index_dir),
           "MSS_QA_COLLECTION": seeded_settings.collection}
    done = subprocess.run(["bash", "-c", 'exec "$@" <&-', "-", *CLI, "ask", "--json", "-"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert (done.returncode, done.stdout) == (0, ""), done.stderr
    assert "Traceback" not in done.stderr


def test_human_output_shows_answer_and_numbered_quotes(seeded_settings: Settings) -> None:
    done = run_cli(["ask", "Who is Kenya's Interior Minister?"], seeded_settings)
    assert done.returncode == 0, done.stderr
    assert "Murkomen" in done.stdout.splitlines()[0]
    assert "[1] 00" in done.stdout and ".txt (" in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ask", ""], "the question is empty"),
        (["ask", "x" * 5000], "limit is"),
        (["ask", "--top-k", "0", "hi"], "Invalid value"),
        (["ingest", "/no/such/folder"], "no such file or folder"),
        # A collection name is also a folder name: no way out of the index folder.
        (["ingest", "--collection", "../../elsewhere", str(SEEDS)], "invalid setting: collection"),
        (["sources", "--collection", "x"], "a collection name is 3 to 63 letters"),
        # Chroma refuses such names, after the ingest had begun.
        (["ingest", "--collection", "10.0.0.1", str(SEEDS)], "not an IP address"),
    ],
)
def test_errors_are_one_clear_line_and_non_zero(
    seeded_settings: Settings, args: list[str], message: str
) -> None:
    done = run_cli(args, seeded_settings)
    assert done.returncode != 0
    assert message in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MSS_QA_MAX_WAITING", "-1"),
        # Out of range, each would have failed only later: every question refused as the
        # client's fault (top_k), every answer refused (support_threshold), no chunk at all.
        ("MSS_QA_TOP_K", "0"),
        ("MSS_QA_SUPPORT_THRESHOLD", "5"),
        ("MSS_QA_CHUNK_MAX_WORDS", "0"),
        ("MSS_QA_MAX_QUESTION_CHARS", "0"),
    ],
)
def test_an_invalid_setting_is_named_in_one_line(
    seeded_settings: Settings, variable: str, value: str
) -> None:
    env = {**os.environ, "MSS_QA_INDEX_DIR": str(seeded_settings.index_dir), variable: value}
    done = subprocess.run([*CLI, "sources"], capture_output=True, text=True, env=env,
                          timeout=120)
    assert done.returncode == 1
    field = variable.removeprefix("MSS_QA_").lower()
    assert f"invalid setting: {field} ({variable})" in done.stderr
    assert "Traceback" not in done.stderr


def test_asking_an_empty_collection_says_what_to_run(tmp_path: Path) -> None:
    settings = Settings(index_dir=tmp_path / "index", collection="empty", generator="qwen-0.5b")
    done = run_cli(["ask", "anything?"], settings)
    assert done.returncode == 1
    assert "mss-qa ingest" in done.stderr
    assert "Traceback" not in done.stderr


GOLD_LINE = {"id": "q1", "kind": "factoid", "question": "Who is Kenya's Interior Minister?",
             "answers": ["Murkomen"],
             "evidence": [{"source": "000", "quote": "Kipchumba Murkomen"}]}


def test_eval_refuses_a_baseline_it_cannot_gate_on_before_any_model_runs(
    seeded_settings: Settings, tmp_path: Path
) -> None:
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps(GOLD_LINE) + "\n")
    other_model = tmp_path / "other-model.json"
    other_model.write_text(json.dumps({"model": "qwen-1.5b", "metrics": {},
                                       "questions": {"q1": True}}))
    other_gold = tmp_path / "other-gold.json"
    other_gold.write_text(json.dumps({"model": seeded_settings.generator, "metrics": {},
                                      "questions": {"number-01": True}}))
    (tmp_path / "a-file").write_text("")
    for args, message in [
        (["--baseline", str(tmp_path / "missing.json")], "there is no baseline at"),
        (["--baseline", str(gold)], "is not a baseline written by"),
        (["--baseline", str(tmp_path)], "there is no baseline at"),
        (["--baseline", str(other_model)], "it was made with qwen-1.5b, this run uses"),
        (["--baseline", str(other_gold)], "it was made from another gold set"),
        (["--out", str(tmp_path / "a-file")], "is a file, not a folder"),
    ]:
        done = run_cli(["eval", "--gold", str(gold), "--out", str(tmp_path / "out"), *args],
                       seeded_settings)
        assert done.returncode == 2, (args, done.stderr)
        assert message in done.stderr and "Traceback" not in done.stderr
        assert not (tmp_path / "out").exists()  # refused before answering anything


def test_eval_compare_refuses_files_that_are_not_summaries(
    seeded_settings: Settings, tmp_path: Path
) -> None:
    (tmp_path / "a.json").write_text("{}")
    (tmp_path / "b.json").write_text("not json")
    done = run_cli(["eval", "--compare", str(tmp_path / "a.json"), str(tmp_path / "b.json")],
                   seeded_settings)
    assert done.returncode == 2
    assert "is not a summary.json" in done.stderr and "Traceback" not in done.stderr
