"""Model files are checked by sha256; a missing or corrupted file says how to repair it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from mss_qa.backends.model_files import MODELS, model_path
from mss_qa.errors import ModelMissingError
from mss_qa.settings import Settings


def test_missing_model_names_the_repair_command(tmp_path: Path) -> None:
    with pytest.raises(ModelMissingError, match=r"missing.*mss-qa models fetch qwen-0.5b"):
        model_path("qwen-0.5b", tmp_path)


def test_corrupted_model_fails_its_checksum(tmp_path: Path) -> None:
    (tmp_path / MODELS["qwen-0.5b"].filename).write_bytes(b"GGUF" + b"\0" * 1024)
    with pytest.raises(ModelMissingError, match=r"sha256.*mss-qa models fetch"):
        model_path("qwen-0.5b", tmp_path)


def test_a_verified_file_that_changes_is_checked_again(tmp_path: Path) -> None:
    installed = model_path("qwen-0.5b", Settings().model_dir)
    copy = tmp_path / installed.name
    shutil.copyfile(installed, copy)
    assert model_path("qwen-0.5b", tmp_path) == copy  # full check, then recorded
    with copy.open("r+b") as handle:  # flip one byte in place: same size, new mtime
        handle.seek(1000)
        byte = handle.read(1)
        handle.seek(1000)
        handle.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(ModelMissingError, match="sha256"):
        model_path("qwen-0.5b", tmp_path)


def test_verify_finds_damage_that_keeps_size_and_time(tmp_path: Path) -> None:
    installed = model_path("qwen-0.5b", Settings().model_dir)
    copy = tmp_path / installed.name
    shutil.copyfile(installed, copy)
    model_path("qwen-0.5b", tmp_path)  # recorded as verified
    stamp = copy.stat()
    with copy.open("r+b") as handle:  # damage on disk: size and modification time kept
        handle.seek(1000)
        byte = handle.read(1)
        handle.seek(1000)
        handle.write(bytes([byte[0] ^ 0xFF]))
    os.utime(copy, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert model_path("qwen-0.5b", tmp_path) == copy  # loading trusts the record
    with pytest.raises(ModelMissingError, match="sha256"):
        model_path("qwen-0.5b", tmp_path, recheck=True)  # `mss-qa models verify`


def test_unknown_generator_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelMissingError, match="unknown generator"):
        model_path("gpt-9", tmp_path)
