"""Read source files into Documents (text kept exactly as decoded from disk)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from mss_qa.types import Document

SUPPORTED_SUFFIXES = (".txt", ".md")
MAX_FILE_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Skipped:
    """A file that was not ingested, and why."""

    path: Path
    reason: str


@dataclass(frozen=True)
class SourceFile:
    """A candidate file and the name it is cited by."""

    path: Path
    source: str


def discover(paths: Iterable[Path]) -> Iterator[SourceFile]:
    """Expand files and folders into candidate files, named relative to the folder given."""
    for path in paths:
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if any(part.startswith(".") for part in child.relative_to(path).parts):
                    continue
                yield SourceFile(child, child.relative_to(path).as_posix())
        else:
            yield SourceFile(path, path.name)


def read_document(candidate: SourceFile) -> Document | Skipped:
    """Read one file; unreadable, binary, empty, huge or unsupported files become `Skipped`."""
    path = candidate.path
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        return Skipped(path, f"unsupported file type {path.suffix or '(none)'}")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return Skipped(path, f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
        raw = path.read_bytes()
    except OSError as exc:
        return Skipped(path, f"cannot be read: {exc.strerror or exc}")
    if b"\x00" in raw:
        return Skipped(path, "binary content")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return Skipped(path, "not UTF-8 text")
    if not text.strip():
        return Skipped(path, "empty")
    return Document(source=candidate.source, text=text)
