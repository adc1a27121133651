"""The gold question set: one JSON object per line, validated before any model runs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mss_qa.errors import MssQaError

KINDS = ("factoid", "number", "date", "list", "paraphrase", "multihop", "conflict", "unanswerable")


class GoldFileError(MssQaError):
    """A gold file that cannot be used; the message names the line and the reason."""

    http_status = 422


@dataclass(frozen=True)
class GoldEvidence:
    source: str
    quote: str
    start: int
    end: int


@dataclass(frozen=True)
class GoldItem:
    id: str
    kind: str
    question: str
    answers: tuple[str, ...]
    all_of: tuple[tuple[str, ...], ...]
    evidence: tuple[GoldEvidence, ...]

    @property
    def answerable(self) -> bool:
        return bool(self.answers)


def _resolve_source(name: str, sources: dict[str, str]) -> str:
    if name in sources:
        return name
    matches = [s for s in sources if s.startswith(name)]
    if len(matches) != 1:
        raise ValueError(
            f"unknown source {name!r}" if not matches else f"source prefix {name!r} is ambiguous"
        )
    return matches[0]


def _strings(value: Any, field: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"{field!r} must be a list of non-empty strings")
    return tuple(value)


def parse_item(raw: Any, sources: dict[str, str], max_question_chars: int | None = None
               ) -> GoldItem:
    if not isinstance(raw, dict):
        raise ValueError("each line must be a JSON object")
    for key in ("id", "kind", "question", "answers", "evidence"):
        if key not in raw:
            raise ValueError(f"missing field {key!r}")
    if not isinstance(raw["id"], str) or not raw["id"]:
        raise ValueError("'id' must be a non-empty string")
    if raw["kind"] not in KINDS:
        raise ValueError(f"unknown kind {raw['kind']!r}; expected one of {', '.join(KINDS)}")
    if not isinstance(raw["question"], str) or not raw["question"].strip():
        raise ValueError("'question' must be a non-empty string")
    if max_question_chars is not None and len(raw["question"]) > max_question_chars:
        raise ValueError(f"the question is {len(raw['question'])} characters long; the limit "
                         f"is {max_question_chars} (MSS_QA_MAX_QUESTION_CHARS)")
    answers = _strings(raw["answers"], "answers")
    groups = raw.get("all_of", [])
    if not isinstance(groups, list):
        raise ValueError("'all_of' must be a list of lists of non-empty strings")
    all_of = tuple(_strings(group, "all_of") for group in groups)
    if not isinstance(raw["evidence"], list):
        raise ValueError("'evidence' must be a list")
    evidence = []
    for item in raw["evidence"]:
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("source"), str)
            or not isinstance(item.get("quote"), str)
            or not item["quote"]
        ):
            raise ValueError("each evidence item needs a 'source' and a non-empty 'quote'")
        source = _resolve_source(item["source"], sources)
        start = sources[source].find(item["quote"])
        if start < 0:
            raise ValueError(f"evidence quote is not verbatim in {source}: {item['quote'][:60]!r}")
        evidence.append(GoldEvidence(source, item["quote"], start, start + len(item["quote"])))
    if answers and not evidence:
        raise ValueError("an answerable question needs at least one evidence quote")
    return GoldItem(raw["id"], raw["kind"], raw["question"], answers, all_of, tuple(evidence))


def load_gold(path: Path, sources: dict[str, str], max_question_chars: int | None = None
              ) -> list[GoldItem]:
    """All items of a gold file, or `GoldFileError` naming the first bad line (a question
    over `max_question_chars` included: it would be refused only after the models load)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise GoldFileError(f"cannot read gold file {path}: {exc}") from exc
    items: list[GoldItem] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            try:
                raw = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"not valid JSON ({exc.msg} at column {exc.colno})") from exc
            except RecursionError:
                raise ValueError("not valid JSON (nested too deeply)") from None
            item = parse_item(raw, sources, max_question_chars)
            if item.id in seen:
                raise ValueError(f"duplicate id {item.id!r}")
        except (ValueError, TypeError) as exc:
            raise GoldFileError(f"{path}:{number}: {exc}") from exc
        seen.add(item.id)
        items.append(item)
    if not items:
        raise GoldFileError(f"{path}: no questions")
    return items
