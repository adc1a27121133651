"""The eval's answer cache: reused only while nothing an answer depends on has changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from mss_qa.eval import runner
from mss_qa.eval.dataset import GoldItem
from mss_qa.pipeline import Pipeline

ITEM = GoldItem(id="factoid-x", kind="factoid", question="Who is Kenya's Interior Minister?",
                answers=("Kipchumba Murkomen", "Murkomen"), all_of=(), evidence=())


def _variant(pipeline: Pipeline, **update: object) -> Pipeline:
    return Pipeline(pipeline.settings.model_copy(update=update),
                    embedder=pipeline.embedder, llm=pipeline.llm)


def test_the_key_changes_with_settings_that_change_answers(small_pipeline: Pipeline) -> None:
    key = runner.config_key(small_pipeline)
    assert runner.config_key(_variant(small_pipeline)) == key
    for update in ({"top_k": 3}, {"conflict_threshold": 0.9}, {"none_weight": 0.1},
                   {"conflict_candidates": 2}, {"fusion": "rrf"},
                   # Which passages the generator is shown first, and when it is shown more.
                   {"min_relative_score": 1.0}, {"widen_at_none": 1.0}, {"n_ctx": 4096}):
        assert runner.config_key(_variant(small_pipeline, **update)) != key, update
    # Serving limits do not change answers.
    assert runner.config_key(_variant(small_pipeline, max_waiting=1)) == key


def test_the_key_covers_the_answering_code(
    small_pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = runner.config_key(small_pipeline)
    monkeypatch.setattr(runner, "CODE_VERSION", "changed-code")
    assert runner.config_key(small_pipeline) != key


def test_a_cached_answer_is_reused_and_a_refresh_answers_again(
    small_pipeline: Pipeline, tmp_path: Path
) -> None:
    _, first = runner.run([ITEM], small_pipeline, tmp_path)
    _, again = runner.run([ITEM], small_pipeline, tmp_path)
    assert again[0]["answer"] == first[0]["answer"] and again[0]["cached"] is True
    _, fresh = runner.run([ITEM], small_pipeline, tmp_path, refresh=True)
    assert fresh[0]["cached"] is False and first[0]["cached"] is False
