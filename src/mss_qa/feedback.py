"""Reader feedback on answers: one JSON object per line in a local file."""

from __future__ import annotations

import datetime as dt
import json
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from mss_qa.errors import FeedbackNotSavedError

Rating = Literal["up", "down"]

_append_lock = threading.Lock()


@dataclass(frozen=True)
class Feedback:
    """A thumbs up or down on one answer, with an optional comment."""

    question: str
    answer: str
    status: str
    rating: Rating
    comment: str = ""


def record_feedback(path: Path, feedback: Feedback) -> dict[str, Any]:
    """Append `feedback` with the current UTC time to the JSONL file at `path`; return the line.
    A file that cannot be written is `FeedbackNotSavedError`."""
    entry = {**asdict(feedback), "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    line = json.dumps(entry, ensure_ascii=False) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with _append_lock, path.open("a", encoding="utf-8") as out:
            out.write(line)
    except OSError as exc:
        raise FeedbackNotSavedError(
            f"feedback not saved: cannot append to {path} ({exc.strerror or exc}); "
            "check MSS_QA_FEEDBACK_PATH"
        ) from exc
    return entry
