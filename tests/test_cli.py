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
