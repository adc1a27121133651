"""The errors the core raises; each edge (CLI, API, UI) translates them once."""

from __future__ import annotations


class MssQaError(Exception):
    """Base class: a failure a user can understand and act on."""

    #: HTTP status an API edge should answer with.
    http_status = 500


class InvalidQuestionError(MssQaError):
    """The question is empty, too long or not text."""

    http_status = 422


class SourceNotFoundError(MssQaError):
    """A source name that is not in the collection (or is not a plain file name)."""

    http_status = 404


class IndexMissingError(MssQaError):
    """Nothing has been ingested yet."""

    http_status = 503


class IndexMismatchError(MssQaError):
    """The index was built with other embedder or chunking settings."""

    http_status = 503


class ModelMissingError(MssQaError):
    """A model file is absent or fails its checksum."""

    http_status = 503


class BackendUnavailableError(MssQaError):
    """An external backend (LLM endpoint, Chroma server) cannot be reached."""

    http_status = 503


class OverloadedError(MssQaError):
    """Too many requests are already waiting for the generator."""

    http_status = 429


class AuthenticationError(MssQaError):
    """No API key, or one that is not accepted."""

    http_status = 401


class RequestTooLargeError(MssQaError):
    """A request body over the configured size limit."""

    http_status = 413


class AnswerTimeoutError(MssQaError):
    """Answering took longer than its time budget and was cut off."""

    http_status = 504


class FeedbackNotSavedError(MssQaError):
    """The feedback file cannot be written (a server-side setting, not the client's fault)."""

    http_status = 503


class IngestRunningError(MssQaError):
    """Another ingest of the same collection is running."""

    http_status = 409
