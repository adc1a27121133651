"""The HTTP API (FastAPI) with the chat UI mounted at `/`, both over one `QAService`.

Routes translate requests and errors only: every `MssQaError` becomes its `http_status` with
`{"error": {"type", "message"}}`, and so does every malformed request (422).

In front of everything, `AccessGuard` checks the API key (when `api_keys` is set) and the body
size before any route reads the request; the chat UI asks for the same key at a login page.
CORS is closed unless `cors_origins` names the web origins that may call the API.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from contextlib import asynccontextmanager
from http import HTTPStatus
from typing import Annotated, Any, Literal

import gradio as gr
from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.routing import APIRoute
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    field_validator,
)
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mss_qa import __version__
from mss_qa.apps.service import History, QAService
from mss_qa.apps.ui import UI_CSS, build_ui
from mss_qa.errors import (
    AuthenticationError,
    InvalidQuestionError,
    MssQaError,
    RequestTooLargeError,
)
from mss_qa.feedback import Feedback, Rating, record_feedback
from mss_qa.pipeline import Pipeline
from mss_qa.settings import Settings
from mss_qa.types import Answer

log = logging.getLogger(__name__)


# --- request and response models ------------------------------------------------------------


def _unicode_text(value: str) -> str:
    # JSON may escape a lone surrogate ("\ud800"), which no UTF-8 file or response can hold.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (it holds a lone surrogate)") from None
    return value


#: Request text: a JSON string that is valid Unicode.
Text = Annotated[StrictStr, AfterValidator(_unicode_text)]


class Turn(BaseModel):
    """One earlier message of the conversation."""

    role: Literal["user", "assistant", "system"]
    content: Text


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: Text = Field(description="The question; a follow-up may lean on `history`.")
    history: list[Turn] = Field(default_factory=list, description="Earlier turns, oldest first.")
    top_k: StrictInt | None = Field(None, ge=1, le=9, description="Passages for the generator.")


class CitationOut(BaseModel):
    n: int
    source: str
    start: int
    end: int
    quote: str
    support: float | None


class ConflictClaimOut(BaseModel):
    text: str
    citation: int


class ConflictOut(BaseModel):
    topic: str
    claims: list[ConflictClaimOut]


class RetrievedOut(BaseModel):
    source: str
    start: int
    end: int
    score: float
    shown: bool  # whether the generator read this passage


class AnswerOut(BaseModel):
    """The answer contract (see README): `quote == source text[start:end]` for every citation."""

    # Documents the contract; fields the core adds later pass through unchanged.
    model_config = ConfigDict(extra="allow")

    question: str
    status: Literal["answered", "insufficient"]
    answer: str
    citations: list[CitationOut]
    conflicts: list[ConflictOut]
    reason: str
    timings: dict[str, float]
    retrieved: list[RetrievedOut]


class Highlight(BaseModel):
    start: int
    end: int
    quote: str


class SourceOut(BaseModel):
    name: str
    text: str
    highlight: Highlight | None = None


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: Text
    answer: Text
    status: Literal["answered", "insufficient"]
    rating: Rating
    comment: Text = Field("", max_length=2000)


def _is_text_part(part: dict[str, Any]) -> bool:
    """A content part that carries text: type "text", "input_text" (as newer clients write
    it), or no type but a text."""
    return part.get("type", "text") in ("text", "input_text") and "text" in part


class ChatMessage(BaseModel):
    """An OpenAI chat message; content as text or as a list of text parts."""

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: Text | list[dict[str, Any]] | None = None

    @field_validator("content")
    @classmethod
    def _parts_are_unicode(cls, content: object) -> object:
        if isinstance(content, list):
            for part in content:
                if _is_text_part(part) and not isinstance(part["text"], str):
                    raise ValueError("a text part's text must be a string")
                if isinstance(part.get("text"), str):
                    _unicode_text(part["text"])
        return content

    def text(self) -> str:
        """The message's text, whichever form the content came in: its text parts joined by
        a space, so that words split across parts stay apart."""
        if isinstance(self.content, list):
            return " ".join(str(p["text"]) for p in self.content if _is_text_part(p))
        return self.content or ""


class ChatRequest(BaseModel):
    """The subset of OpenAI's chat-completions request that matters here; the rest is ignored."""

    model_config = ConfigDict(extra="allow")

    model: Text = "mss-qa"
    messages: list[ChatMessage] = Field(min_length=1)
    stream: StrictBool = False


# --- errors ---------------------------------------------------------------------------------


def _stream_error(exc: Exception) -> dict[str, Any]:
    """The error body for a failure after a stream began: a domain error as itself, anything
    else logged and reported as an internal error (never a connection cut off mid-stream)."""
    if isinstance(exc, MssQaError):
        return error_body(type(exc).__name__, str(exc))
    log.error("unexpected error in a stream", exc_info=exc)
    return error_body("InternalError", "internal error")


def error_body(kind: str, message: str) -> dict[str, Any]:
    """The one error shape of this API."""
    return {"error": {"type": kind, "message": message}}


def _retry_after(status: int) -> dict[str, str]:
    return {"Retry-After": "5"} if status in (429, 503) else {}


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, MssQaError)
    return JSONResponse(
        error_body(type(exc).__name__, str(exc)),
        status_code=exc.http_status,
        headers=_retry_after(exc.http_status),
    )


_VALIDATOR_STEP = re.compile(r"[\[(]")


def _location(parts: Sequence[object]) -> list[str]:
    return [str(p) for p in parts if not _VALIDATOR_STEP.search(str(p))]


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # A location names fields and list positions; pydantic adds the steps of its own
    # validators ("function-after[_unicode_text(), str]"), which mean nothing to a client.
    problems = [
        f"{'.'.join(_location(e.get('loc', ())))}: {e.get('msg', 'invalid')}"
        for e in exc.errors()
    ]
    return JSONResponse(error_body("InvalidRequestError", "; ".join(problems)), status_code=422)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    kind = (
        "InvalidRequestError"
        if exc.status_code == 422
        else HTTPStatus(exc.status_code).phrase.replace(" ", "").replace("-", "")
    )
    return JSONResponse(
        error_body(kind, str(exc.detail)), status_code=exc.status_code, headers=exc.headers
    )


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s", request.url.path, exc_info=exc)
    return JSONResponse(error_body("InternalError", "internal error"), status_code=500)


# --- access and size limits -----------------------------------------------------------------

#: Paths that answer without a key, so probes and load balancers need no secret.
OPEN_PATHS = frozenset({"/healthz", "/readyz"})
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def _digest(key: bytes) -> bytes:
    # Comparing fixed-length digests keeps the time of a comparison independent of the key.
    return hashlib.sha256(key).digest()


class AccessGuard:
    """ASGI middleware: API keys on `/v1/` routes and a cap on every request body.

    It runs before any route reads the request, so a refused request costs no parsing. Keys
    are compared in constant time and never logged or echoed back.
    """

    def __init__(self, app: ASGIApp, api_keys: Sequence[str], max_body_bytes: int) -> None:
        self.app = app
        self._keys = [_digest(key.encode()) for key in api_keys]
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope["headers"]}
        if self._keys and self._protected(scope["path"]):
            refusal = self._check_key(headers.get(b"authorization"))
            if refusal is not None:
                bearer = {"WWW-Authenticate": 'Bearer realm="mss-qa"'}
                await _refuse(scope, receive, send, refusal, bearer)
                return
        length = headers.get(b"content-length")
        if length is not None:
            if not length.isdigit() or int(length) > self.max_body_bytes:
                await _refuse(scope, receive, send, self._too_large())
                return
        elif scope["method"] in _BODY_METHODS:
            # No declared length (chunked): read it here, within the limit, then replay it.
            body = await self._read_limited(receive)
            if body is None:
                await _refuse(scope, receive, send, self._too_large())
                return
            receive = _replay(body, receive)
        await self.app(scope, receive, send)

    @staticmethod
    def _protected(path: str) -> bool:
        return path.startswith("/v1/") and path not in OPEN_PATHS

    def _check_key(self, authorization: bytes | None) -> AuthenticationError | None:
        if authorization is None:
            return AuthenticationError("an API key is needed: send `Authorization: Bearer <key>`")
        scheme, _, key = authorization.strip().partition(b" ")
        given = _digest(key.strip())
        accepted = False
        for known in self._keys:  # every key is compared, so timing says nothing of which
            accepted |= hmac.compare_digest(given, known)
        if scheme.lower() != b"bearer" or not accepted:
            return AuthenticationError("the API key is not accepted")
        return None

    def _too_large(self) -> RequestTooLargeError:
        return RequestTooLargeError(
            f"the request body is over the limit of {self.max_body_bytes} bytes (max_request_bytes)"
        )

    async def _read_limited(self, receive: Receive) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return b"".join(chunks)
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()  # only a disconnect can follow
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _refuse(
    scope: Scope,
    receive: Receive,
    send: Send,
    error: MssQaError,
    headers: dict[str, str] | None = None,
) -> None:
    response = JSONResponse(
        error_body(type(error).__name__, str(error)), status_code=error.http_status, headers=headers
    )
    await response(scope, receive, send)


def _ui_login(api_keys: Sequence[str]) -> Any:
    """Gradio's login check: any user name, and one of the API keys as the password."""
    known = [_digest(key.encode()) for key in api_keys]

    def check(username: str, password: str) -> bool:
        given = _digest(password.encode())
        accepted = False
        for key in known:
            accepted |= hmac.compare_digest(given, key)
        return accepted

    return check


# --- dependencies ---------------------------------------------------------------------------


def get_service(request: Request) -> QAService:
    """The app's one `QAService` (override in tests with `app.dependency_overrides`)."""
    service: QAService = request.app.state.service
    return service


ServiceDep = Annotated[QAService, Depends(get_service)]


def _history(turns: list[Turn]) -> History:
    return [{"role": t.role, "content": t.content} for t in turns]


def _sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


_SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


# --- the app --------------------------------------------------------------------------------


def create_app(
    pipeline: Pipeline | None = None,
    settings: Settings | None = None,
    *,
    max_waiting: int | None = None,
) -> FastAPI:
    """The API and the chat UI over `pipeline` (default: a `Pipeline` of `settings`).

    `settings` is only read when no `pipeline` is given; the app uses the pipeline's own
    (keys, CORS origins, size and time limits; `max_waiting` overrides its setting).

    Models load on a background thread at startup; until then `/readyz` answers 503 and the
    question and source routes answer 503 with a retry hint.
    """
    service = QAService(pipeline or Pipeline(settings), max_waiting=max_waiting)
    config = service.settings
    api_keys = config.api_key_list

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # A daemon thread, so stopping the server never waits for a half-finished load.
        threading.Thread(target=service.load, name="mss-qa-load", daemon=True).start()
        yield

    app = FastAPI(
        title="mss-qa",
        summary="Answers only from its sources, with exact-quote citations.",
        version=__version__,
        lifespan=lifespan,
    )
    app.state.service = service
    app.add_exception_handler(MssQaError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
    app.add_middleware(AccessGuard, api_keys=api_keys, max_body_bytes=config.max_request_bytes)
    # Added last, so it is outermost: a preflight is answered before any key is asked for.
    # Added even with no origins: Gradio then leaves CORS to it, where it would otherwise
    # approve preflights from any origin for every path the routes above do not match.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=config.cors_origins,
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "Content-Type"],
    )

    @app.api_route("/healthz", methods=["GET", "HEAD"], tags=["health"])
    async def healthz() -> dict[str, str]:
        """200 as long as the process serves requests, busy or not."""
        return {"status": "ok"}

    @app.api_route("/readyz", methods=["GET", "HEAD"], tags=["health"])
    async def readyz(service: ServiceDep) -> JSONResponse:
        """200 once the index and the models are loaded; 503 while loading or if it failed."""
        if service.ready:
            return JSONResponse({"status": "ready"})
        error = service.load_error
        if error is None:
            return JSONResponse({"status": "loading"}, status_code=503, headers=_retry_after(503))
        return JSONResponse(
            {"status": "failed", **error_body(type(error).__name__, str(error))}, status_code=503
        )

    @app.post("/v1/ask", response_model=AnswerOut, tags=["answers"])
    async def ask(
        body: AskRequest,
        service: ServiceDep,
        stream: Annotated[bool, Query(description="Server-sent events instead of JSON")] = False,
    ) -> Any:
        """Answer one question from the sources, with verified citations.

        With `?stream=true` the reply is server-sent events: `token` ({"text"}) for each draft
        token of the generator, then `answer` (the verified answer, which may differ from the
        draft), then `done`. A failure after the stream began is sent as an `error` event.
        """
        history = _history(body.history)
        if not stream:
            return (await service.ask(body.question, history, body.top_k)).to_dict()
        items = service.stream(body.question, history, body.top_k)

        async def events() -> AsyncGenerator[str, None]:
            try:
                async for item in items:
                    if isinstance(item, Answer):
                        yield _sse("answer", item.to_dict())
                    else:
                        yield _sse("token", {"text": item})
            except Exception as exc:  # the stream has begun: the error must be an event
                yield _sse("error", _stream_error(exc))
            yield _sse("done", {})

        return StreamingResponse(events(), media_type="text/event-stream", headers=_SSE_HEADERS)

    @app.get("/v1/sources", tags=["sources"])
    def list_sources(service: ServiceDep) -> dict[str, list[str]]:
        """The names of the source files in the collection."""
        return {"sources": service.sources()}

    @app.get("/v1/sources/{name:path}", response_model_exclude_none=True, tags=["sources"])
    def read_source(
        name: str,
        service: ServiceDep,
        start: Annotated[
            int | None, Query(ge=0, description="Start of a span to highlight")
        ] = None,
        end: Annotated[int | None, Query(ge=0, description="End of that span")] = None,
    ) -> SourceOut:
        """One source's full text; with `start` and `end`, the quoted span to highlight."""
        text = service.source_text(name)
        if start is None and end is None:
            return SourceOut(name=name, text=text)
        if start is None or end is None or not start < end <= len(text):
            raise HTTPException(422, f"need 0 <= start < end <= {len(text)} (both given)")
        return SourceOut(
            name=name, text=text, highlight=Highlight(start=start, end=end, quote=text[start:end])
        )

    @app.post("/v1/feedback", status_code=201, tags=["feedback"])
    def feedback(body: FeedbackRequest, service: ServiceDep) -> dict[str, Any]:
        """Record a thumbs up or down (with an optional comment) on an answer."""
        entry = Feedback(body.question, body.answer, body.status, body.rating, body.comment)
        return record_feedback(service.settings.feedback_path, entry)

    @app.post("/v1/chat/completions", tags=["openai"])
    async def chat_completions(body: ChatRequest, service: ServiceDep) -> Any:
        """OpenAI-compatible: the last user message is the question, earlier ones its history.

        The message content is the verified answer; citations, status and conflicts are in
        the extra top-level field `mss_qa` (the answer contract). When streaming, only
        verified text is sent (draft tokens could still be withdrawn), and the last chunk
        carries `mss_qa`.
        """
        *earlier, last = body.messages
        if last.role != "user":
            raise InvalidQuestionError("the last message must be the user's question")
        history = [
            {"role": m.role, "content": m.text()}
            for m in earlier
            if m.role in ("user", "assistant")
        ]
        completion_id = f"chatcmpl-{uuid.uuid4().hex}"
        created = int(time.time())
        if not body.stream:
            result = await service.ask(last.text(), history)
            return {
                "id": completion_id,
                "object": "chat.completion",
                "created": created,
                "model": body.model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": result.answer},
                        "finish_reason": "stop",
                        "logprobs": None,
                    }
                ],
                "mss_qa": result.to_dict(),
            }
        items = service.stream(last.text(), history)

        def chunk(delta: dict[str, str], finish: str | None = None, **extra: Any) -> str:
            data = {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": body.model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                **extra,
            }
            return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"

        async def chunks() -> AsyncGenerator[str, None]:
            yield chunk({"role": "assistant", "content": ""})
            try:
                async for item in items:
                    if isinstance(item, Answer):
                        yield chunk({"content": item.answer})
                        yield chunk({}, "stop", mss_qa=item.to_dict())
            except Exception as exc:  # the stream has begun: the error must be a chunk
                yield f"data: {json.dumps(_stream_error(exc), ensure_ascii=False)}\n\n"
            yield "data: [DONE]\n\n"

        return StreamingResponse(chunks(), media_type="text/event-stream", headers=_SSE_HEADERS)

    other_methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]

    @app.api_route("/v1/{path:path}", methods=other_methods, include_in_schema=False)
    @app.api_route("/healthz", methods=other_methods[2:], include_in_schema=False)
    @app.api_route("/readyz", methods=other_methods[2:], include_in_schema=False)
    async def no_such_route(request: Request) -> None:
        """Other paths and methods under /v1, and other methods on the health checks, get this
        API's JSON errors, not the UI's pages."""
        allowed = sorted(
            {
                method
                for route in app.routes
                if isinstance(route, APIRoute)
                and route.endpoint is not no_such_route
                and route.path_regex.match(request.url.path)
                for method in route.methods or ()
            }
        )
        if allowed:
            raise HTTPException(
                405, f"use {' or '.join(allowed)} here", headers={"Allow": ", ".join(allowed)}
            )
        raise HTTPException(404, "no such API route; the routes are listed at /docs")

    # Mounted last: `/` catches every path the routes above did not.
    gr.mount_gradio_app(
        app,
        build_ui(service),
        path="/",
        css=UI_CSS,
        footer_links=[],  # Gradio's own API page would describe UI events, not this API
        run_history=False,
        enable_monitoring=False,
        auth=_ui_login(api_keys) if api_keys else None,
        auth_message="Sign in with any user name and an API key as the password.",
    )
    return app
