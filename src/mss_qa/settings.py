"""One settings object for the whole application, read from `MSS_QA_*` environment variables."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from mss_qa import offline

offline.enforce()

ROOT = Path(__file__).resolve().parents[2]
_COLLECTION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{1,61}[A-Za-z0-9]")
_IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")  # Chroma refuses these as collection names


def _default_cache_dir() -> Path:
    return Path.home() / ".cache" / "mss-qa"


# Verification thresholds calibrated on the gold set for each generator: the small model's
# yes/no judgements are less confident (a clearly supported answer scores about 0.55). The
# small model is shown all top_k passages at once: with the closest ones only, it answered
# 0.54 of the gold set correctly instead of 0.58.
GENERATOR_DEFAULTS: dict[str, dict[str, float]] = {
    "qwen-1.5b": {"support_threshold": 0.5, "none_weight": 1.0, "min_relative_score": 0.5},
    "qwen-0.5b": {"support_threshold": 0.42, "none_weight": 0.5, "min_relative_score": 0.0},
}


class Settings(BaseSettings):
    """Everything a user may change without touching code."""

    model_config = SettingsConfigDict(env_prefix="MSS_QA_", extra="ignore")

    # Where things live.
    seeds_dir: Path = ROOT / "seeds"
    index_dir: Path = ROOT / "index"
    # Also a folder name under index/documents/: letters, digits, ".", "_" and "-", starting
    # and ending with a letter or digit, 3 to 63 characters, no "..", as Chroma requires.
    collection: str = "seeds"
    model_dir: Path = Field(default_factory=lambda: _default_cache_dir() / "models")
    chroma_url: str | None = None
    feedback_path: Path = ROOT / "feedback" / "feedback.jsonl"

    # Chunking. MiniLM reads at most 256 word pieces, so chunks stay well under that.
    chunk_max_words: int = Field(default=30, ge=5, le=200)
    embedder: Literal["minilm"] = "minilm"

    # Retrieval.
    top_k: int = Field(default=4, ge=1, le=9)  # what a request's top_k may be, too
    # The generator first sees only the passages scoring at least this share of the best
    # one's score (fewer prompt tokens to read), and all top_k when it then leans to NONE
    # with probability `widen_at_none` or more. 0 shows all top_k at once.
    # Unset: the chosen generator's default (GENERATOR_DEFAULTS).
    min_relative_score: float | None = Field(default=None, ge=0.0, le=1.0)
    widen_at_none: float = Field(default=0.1, ge=0.0, le=1.0)
    # Lower-ranked passages searched only for figures that disagree with the answer.
    conflict_candidates: int = Field(default=4, ge=0, le=20)
    bm25_weight: float = Field(default=1.0, ge=0.0)
    dense_weight: float = Field(default=0.7, ge=0.0)
    rrf_k: int = Field(default=60, ge=1)
    fusion: Literal["convex", "rrf"] = "convex"
    # A question word no chunk uses is matched through the collection words nearest to it in
    # meaning (this many, at this cosine similarity or more); 0 matches it only as written.
    neighbours_per_word: int = Field(default=3, ge=0, le=20)
    neighbour_similarity: float = Field(default=0.55, ge=0.0, le=1.0)

    # Generation.
    llm_backend: Literal["local", "openai"] = "local"
    generator: Literal["qwen-1.5b", "qwen-0.5b"] = "qwen-1.5b"
    n_threads: int = Field(default=2, ge=1)
    n_ctx: int = Field(default=2048, ge=1024)
    max_answer_tokens: int = Field(default=48, ge=1, le=512)
    openai_base_url: str = "http://127.0.0.1:8001/v1"
    openai_model: str = "local"
    openai_api_key: SecretStr = SecretStr("")
    openai_timeout_s: float = Field(default=60.0, gt=0)
    openai_max_retries: int = Field(default=3, ge=0, le=10)

    # Verification: minimum probability that the cited passage states the answer.
    # Unset values take the calibrated default of the chosen generator (GENERATOR_DEFAULTS).
    support_threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    # The threshold rises by this times the generator's own probability of answering NONE.
    none_weight: float | None = Field(default=None, ge=0.0)
    # A disagreeing figure must be stated more clearly still before a conflict is reported.
    conflict_threshold: float = Field(default=0.8, ge=0.0, le=1.0)

    # Input limits.
    max_question_chars: int = Field(default=2000, ge=1)
    # Larger files are skipped by ingest, with the reason in its summary.
    max_file_bytes: int = Field(default=20 * 1024 * 1024, ge=1)

    # Serving (HTTP API and chat UI).
    # Bearer keys, comma-separated; empty leaves the service open. A secret: never logged.
    api_keys: SecretStr = SecretStr("")
    # Origins whose web pages may call the API (comma-separated); none by default.
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    max_request_bytes: int = Field(default=64 * 1024, ge=1)
    # The longest a question may take, waiting for the generator included, before a 504.
    request_timeout_s: float = Field(default=60.0, gt=0)
    # Questions that may wait while one is answered; more are refused with a 429.
    max_waiting: int = Field(default=8, ge=0)
    # Answers kept in memory per process; a repeated question is answered at once (0: off).
    answer_cache_size: int = Field(default=256, ge=0)

    @field_validator("collection")
    @classmethod
    def _check_collection(cls, value: str) -> str:
        if (not _COLLECTION_NAME.fullmatch(value) or ".." in value
                or _IPV4.fullmatch(value)):
            raise ValueError(
                "a collection name is 3 to 63 letters, digits, '.', '_' or '-', starting and "
                "ending with a letter or digit, without '..', and not an IP address"
            )
        return value

    @field_validator("api_keys")
    @classmethod
    def _check_api_keys(cls, value: SecretStr) -> SecretStr:
        raw = value.get_secret_value()
        if raw and not any(key.strip() for key in raw.split(",")):
            # Set but naming no key: serving open would not be what was meant.
            raise ValueError("names no key (comma-separated keys; unset it to need no key)")
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @model_validator(mode="after")
    def _generator_defaults(self) -> Settings:
        defaults = GENERATOR_DEFAULTS.get(self.generator, GENERATOR_DEFAULTS["qwen-1.5b"])
        if self.support_threshold is None:
            self.support_threshold = defaults["support_threshold"]
        if self.none_weight is None:
            self.none_weight = defaults["none_weight"]
        if self.min_relative_score is None:
            self.min_relative_score = defaults["min_relative_score"]
        return self

    @property
    def generator_name(self) -> str:
        """The generator answers come from, as runs and baselines name it: the packaged
        model ("qwen-1.5b") or "openai:<model>" for an OpenAI-compatible endpoint."""
        return self.generator if self.llm_backend == "local" else f"openai:{self.openai_model}"

    @property
    def required_support(self) -> float:
        """The support threshold, resolved."""
        assert self.support_threshold is not None
        return self.support_threshold

    @property
    def api_key_list(self) -> list[str]:
        """The accepted API keys (empty: no key needed)."""
        return [key.strip() for key in self.api_keys.get_secret_value().split(",") if key.strip()]

    @property
    def shown_score_share(self) -> float:
        """The min relative score, resolved."""
        assert self.min_relative_score is not None
        return self.min_relative_score

    @property
    def none_penalty(self) -> float:
        """The none weight, resolved."""
        assert self.none_weight is not None
        return self.none_weight
