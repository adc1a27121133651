"""The `openai` backend against real HTTP servers.

The answering tests run through llama-cpp-python's own OpenAI-compatible server, started here
with the small model, so they check the same behaviour as the local backend over the wire.
Retries, timeouts and unreachable endpoints are checked against a tiny local HTTP server
that answers with chosen statuses.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from mss_qa.backends.embedders import Embedder
from mss_qa.backends.llm import Message, OpenAICompatible, load_llm
from mss_qa.backends.model_files import model_path
from mss_qa.errors import BackendUnavailableError
from mss_qa.pipeline import Pipeline
from mss_qa.settings import Settings
from tests.conftest import free_port, make_settings, stop_process
from tests.test_pipeline import assert_citations_verbatim

API_KEY = "sk-test-5f1e2d3c4b5a69788796a5b4c3d2e1f0"
READY_DEADLINE_S = 180.0


def changed(settings: Settings, **changes: object) -> Settings:
    """A copy of `settings` with `changes`, validated like values read from the environment."""
    return Settings.model_validate({**settings.model_dump(), **changes})


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`python -m llama_cpp.server` with the small model on a free port; its /v1 URL."""
    model = model_path("qwen-0.5b", Settings().model_dir)
    port = free_port()
    log_path = tmp_path_factory.mktemp("llama-server") / "server.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(model),
             "--model_alias", "qwen-0.5b", "--host", "127.0.0.1", "--port", str(port),
             "--n_ctx", "2048", "--n_threads", "2", "--logits_all", "true",
             "--api_key", API_KEY],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        _wait_until_ready(server, base_url, log_path)
        yield base_url
    finally:
        stop_process(server, timeout_s=30)


def _wait_until_ready(server: subprocess.Popen[bytes], base_url: str, log_path: Path) -> None:
    import httpx

    deadline = time.monotonic() + READY_DEADLINE_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"llama_cpp.server exited:\n{log_path.read_text()[-3000:]}")
        try:
            response = httpx.get(f"{base_url}/models", timeout=2.0,
                                 headers={"Authorization": f"Bearer {API_KEY}"})
            if response.status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    pytest.fail(f"llama_cpp.server not ready in {READY_DEADLINE_S:.0f} s:\n"
                f"{log_path.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def openai_settings(seeded_settings: Settings, llama_server: str) -> Settings:
    return changed(seeded_settings, llm_backend="openai", openai_base_url=llama_server,
                   openai_model="qwen-0.5b", openai_api_key=API_KEY)


@pytest.fixture(scope="module")
def openai_pipeline(openai_settings: Settings, embedder: Embedder) -> Pipeline:
    pipeline = Pipeline(openai_settings, embedder=embedder)
    pipeline.load()
    return pipeline


def test_the_settings_choose_the_openai_backend(openai_pipeline: Pipeline) -> None:
    assert isinstance(openai_pipeline.llm, OpenAICompatible)
    assert openai_pipeline.llm.name == "openai:qwen-0.5b"


def test_answers_a_known_question_like_the_local_backend(
    openai_pipeline: Pipeline, small_pipeline: Pipeline
) -> None:
    question = "Who is Kenya's Interior Minister?"
    answer = openai_pipeline.ask(question)
    assert answer.status == "answered"
    assert "Murkomen" in answer.answer
    assert "[1]" in answer.answer
    assert answer.citations and "Murkomen" in answer.citations[0].quote
    assert_citations_verbatim(answer)
    # The same model over HTTP reaches the same answer with the same quotes.
    local = small_pipeline.ask(question)
    assert answer.answer == local.answer
    assert [(c.source, c.start, c.end) for c in answer.citations] == [
        (c.source, c.start, c.end) for c in local.citations
    ]


def test_an_unanswerable_question_is_refused(openai_pipeline: Pipeline) -> None:
    answer = openai_pipeline.ask("What is the population of Kenya?")
    assert answer.status == "insufficient", answer.answer
    assert answer.answer == "The sources don't say."
    assert answer.citations == []


def test_probabilities_match_the_local_backend(
    openai_pipeline: Pipeline, small_pipeline: Pipeline
) -> None:
    from mss_qa import prompts

    passage = "[1] Kenya's Interior Minister Kipchumba Murkomen said the officers would leave."
    check = prompts.check_prompt(passage, "Who is Kenya's Interior Minister?", "Kipchumba Murkomen")
    answer = prompts.answer_prompt(passage, "What is the population of Kenya?")
    remote, local = openai_pipeline.llm, small_pipeline.llm
    # llama.cpp's numbers shift a little with how a prompt is split into batches (the cached
    # prefix differs between the two processes); reading the wrong tokens shifts them far more
    # (counting "none" and "None" as "NONE" roughly doubles that probability).
    assert remote.yes_probability(check) == pytest.approx(local.yes_probability(check), abs=0.03)
    assert remote.token_probability(answer, "NONE") == pytest.approx(
        local.token_probability(answer, "NONE"), abs=0.03
    )


def test_answers_stream_in_pieces(openai_settings: Settings) -> None:
    llm = load_llm(openai_settings)
    messages = [Message("user", "Count from one to five in words, separated by commas.")]
    pieces = list(llm.stream(messages, max_tokens=16))
    assert len(pieces) > 1
    assert "".join(pieces) == llm.complete(messages, max_tokens=16)


def test_a_wrong_key_is_a_clear_error_that_does_not_echo_it(openai_settings: Settings) -> None:
    wrong = "sk-wrong-0123456789abcdef"
    llm = load_llm(changed(openai_settings, openai_api_key=wrong))
    with pytest.raises(BackendUnavailableError, match="rejected the API key") as raised:
        llm.complete([Message("user", "Hello")], max_tokens=2)
    assert wrong not in str(raised.value)


def test_the_key_is_never_logged_or_shown(
    openai_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    secret = openai_settings.openai_api_key.get_secret_value()
    assert secret == API_KEY
    llm = load_llm(openai_settings)
    with caplog.at_level(logging.DEBUG):
        llm.complete([Message("user", "Say hi.")], max_tokens=2)
    assert "Request options" in caplog.text or "HTTP Request" in caplog.text  # it did log
    for shown in (caplog.text, repr(openai_settings), str(openai_settings),
                  openai_settings.model_dump_json(), repr(llm)):
        assert secret not in shown


# A reply's body: JSON, raw bytes, or pieces of a stream written `delay_s` apart.
Body = dict[str, Any] | bytes | list[bytes]


class _ScriptedEndpoint(ThreadingHTTPServer):
    """A real HTTP server that answers successive requests with the given replies."""

    daemon_threads = True

    def __init__(self, replies: list[tuple[int, dict[str, str], Body]],
                 delay_s: float = 0.0) -> None:
        self.replies = replies
        self.delay_s = delay_s
        self.requests = 0
        super().__init__(("127.0.0.1", 0), _ScriptedHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class _ScriptedHandler(BaseHTTPRequestHandler):
    server: _ScriptedEndpoint

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        endpoint = self.server
        reply = endpoint.replies[min(endpoint.requests, len(endpoint.replies) - 1)]
        endpoint.requests += 1
        status, headers, body = reply
        try:
            if isinstance(body, list):  # a stream, one piece at a time
                self.send_response(status)
                for name, value in {"content-type": "text/event-stream", **headers}.items():
                    self.send_header(name, value)
                self.send_header("connection", "close")
                self.end_headers()
                for piece in body:
                    self.wfile.write(piece)
                    self.wfile.flush()
                    time.sleep(endpoint.delay_s)
                return
            time.sleep(endpoint.delay_s)
            payload = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            for name, value in {"content-type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up first (the timeout tests)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def scripted() -> Iterator[list[_ScriptedEndpoint]]:
    started: list[_ScriptedEndpoint] = []
    yield started
    for endpoint in started:
        endpoint.shutdown()
        endpoint.server_close()


def _serve(started: list[_ScriptedEndpoint], endpoint: _ScriptedEndpoint) -> _ScriptedEndpoint:
    threading.Thread(target=endpoint.serve_forever, daemon=True).start()
    started.append(endpoint)
    return endpoint


def _completion(text: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": "m",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": text}}],
    }


def _checked(first: str, logprobs: dict[str, float]) -> dict[str, Any]:
    """A one-token completion with the log-probabilities of the likeliest first tokens."""
    reply = _completion(first)
    reply["choices"][0]["logprobs"] = {"content": [{
        "token": first, "logprob": logprobs.get(first, -9.0), "bytes": None,
        "top_logprobs": [{"token": t, "logprob": lp, "bytes": None}
                         for t, lp in logprobs.items()],
    }]}
    return reply


def _chunks(pieces: list[str]) -> list[bytes]:
    """Server-sent chat-completion chunks, one per piece of text, then [DONE]."""
    events = [b"data: " + json.dumps({
        "id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0, "model": "m",
        "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
    }).encode() + b"\n\n" for piece in pieces]
    return [*events, b"data: [DONE]\n\n"]


def _error(message: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": "server_error"}}


def _scripted_llm(tmp_path: Path, url: str, **overrides: object) -> Any:
    settings = make_settings(tmp_path, llm_backend="openai", openai_base_url=url,
                             openai_api_key=API_KEY, **overrides)
    return load_llm(settings)


def test_server_errors_are_retried_until_an_answer(
    tmp_path: Path, scripted: list[_ScriptedEndpoint]
) -> None:
    endpoint = _serve(scripted, _ScriptedEndpoint([
        (503, {}, _error("loading")),
        (429, {"retry-after": "0"}, _error("slow down")),
        (200, {}, _checked("Yes", {"Yes": -0.1, "No": -2.4})),
    ]))
    llm = _scripted_llm(tmp_path, endpoint.url, openai_max_retries=3)
    assert llm.yes_probability([Message("user", "Is it?")]) == pytest.approx(0.909, abs=0.001)
    assert endpoint.requests == 3


def test_persistent_server_errors_end_in_one_clear_error(
    tmp_path: Path, scripted: list[_ScriptedEndpoint]
) -> None:
    endpoint = _serve(scripted, _ScriptedEndpoint(
        [(503, {"retry-after": "0"}, _error(f"overloaded, key {API_KEY}"))]
    ))
    llm = _scripted_llm(tmp_path, endpoint.url, openai_max_retries=2)
    with pytest.raises(BackendUnavailableError, match=r"HTTP 503.*3 attempts") as raised:
        llm.yes_probability([Message("user", "Is it?")])
    assert endpoint.requests == 3
    assert API_KEY not in str(raised.value)  # even when the server echoes it


def test_client_errors_are_not_retried(
    tmp_path: Path, scripted: list[_ScriptedEndpoint]
) -> None:
    endpoint = _serve(scripted, _ScriptedEndpoint(
        [(400, {}, _error("logprobs is not supported"))]
    ))
    llm = _scripted_llm(tmp_path, endpoint.url, openai_max_retries=3)
    with pytest.raises(BackendUnavailableError, match="HTTP 400: logprobs is not supported"):
        llm.yes_probability([Message("user", "Is it?")])
    assert endpoint.requests == 1


def test_a_slow_endpoint_times_out_with_a_clear_error(
    tmp_path: Path, scripted: list[_ScriptedEndpoint]
) -> None:
    endpoint = _serve(scripted, _ScriptedEndpoint([(200, {}, _completion("Yes"))], delay_s=2.0))
    llm = _scripted_llm(tmp_path, endpoint.url, openai_timeout_s=0.3, openai_max_retries=0)
    with pytest.raises(BackendUnavailableError, match=r"did not answer within 0.3 s"):
        llm.yes_probability([Message("user", "Is it?")])


def test_an_unreachable_endpoint_is_a_clear_error(
    seeded_settings: Settings, embedder: Embedder
) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    settings = changed(seeded_settings, llm_backend="openai", openai_base_url=url,
                       openai_max_retries=1)
    with pytest.raises(BackendUnavailableError, match=f"cannot reach the LLM endpoint {url}") \
            as raised:
        Pipeline(settings, embedder=embedder).load()
    assert raised.value.http_status == 503


@pytest.mark.parametrize("body", [
    b"<html>502 Bad Gateway</html>",  # a proxy's error page, sent as 200
    b"{not json",
    {"id": "x", "object": "chat.completion", "created": 0, "model": "m", "choices": []},
])
def test_a_reply_that_is_not_a_chat_completion_is_a_clear_error(
    tmp_path: Path, scripted: list[_ScriptedEndpoint], body: Body
) -> None:
    endpoint = _serve(scripted, _ScriptedEndpoint([(200, {}, body)]))
    llm = _scripted_llm(tmp_path, endpoint.url, openai_max_retries=0)
    with pytest.raises(BackendUnavailableError, match="returned an invalid response"):
        llm.yes_probability([Message("user", "Is it?")])


def test_an_endpoint_without_log_probabilities_is_an_error_not_a_guess(
    tmp_path: Path, scripted: list[_ScriptedEndpoint]
) -> None:
    endpoint = _serve(scripted, _ScriptedEndpoint([(200, {}, _completion("Yes"))]))
    llm = _scripted_llm(tmp_path, endpoint.url)
    with pytest.raises(BackendUnavailableError, match=r"no log-probabilities.*--logits_all"):
        llm.yes_probability([Message("user", "Is it?")])
    with pytest.raises(BackendUnavailableError, match="no log-probabilities"):
        llm.token_probability([Message("user", "Answer.")], "NONE")


def test_an_answer_is_cut_at_max_tokens_when_the_endpoint_ignores_it(
    tmp_path: Path, scripted: list[_ScriptedEndpoint]
) -> None:
    endless = _chunks(["Kipchumba Murkomen [1]", *[" blah"] * 2000])
    endpoint = _serve(scripted, _ScriptedEndpoint([(200, {}, endless)]))
    llm = _scripted_llm(tmp_path, endpoint.url)
    assert llm.complete([Message("user", "Who?")], max_tokens=3) == \
        "Kipchumba Murkomen [1] blah blah"
    # One piece far longer than the answer may be: cut at 16 characters a token.
    huge = _chunks(["Kipchumba Murkomen [1]" + " lorem" * 100_000])
    endpoint = _serve(scripted, _ScriptedEndpoint([(200, {}, huge)]))
    llm = _scripted_llm(tmp_path, endpoint.url)
    assert len(llm.complete([Message("user", "Who?")], max_tokens=4)) == 64


def test_an_answer_that_outlasts_the_timeout_is_abandoned(
    tmp_path: Path, scripted: list[_ScriptedEndpoint]
) -> None:
    # Each piece comes within the timeout; together they take longer.
    trickle = _chunks(["x"] * 20)
    endpoint = _serve(scripted, _ScriptedEndpoint([(200, {}, trickle)], delay_s=0.2))
    llm = _scripted_llm(tmp_path, endpoint.url, openai_timeout_s=0.5, openai_max_retries=0)
    with pytest.raises(BackendUnavailableError, match=r"did not finish its answer within 0\.5 s"):
        llm.complete([Message("user", "Who?")], max_tokens=48)


@pytest.mark.parametrize("bad", [b"data: {bad json\n\n", b"data: \xff\xfe\n\n"])
def test_a_broken_piece_of_a_stream_is_a_clear_error(
    tmp_path: Path, scripted: list[_ScriptedEndpoint], bad: bytes
) -> None:
    stream = [_chunks(["Kip"])[0], bad]
    endpoint = _serve(scripted, _ScriptedEndpoint([(200, {}, stream)]))
    llm = _scripted_llm(tmp_path, endpoint.url, openai_max_retries=0)
    with pytest.raises(BackendUnavailableError, match="invalid response"):
        llm.complete([Message("user", "Who?")], max_tokens=48)


def test_a_server_started_before_its_endpoint_is_ready_once_the_endpoint_answers(
    seeded_settings: Settings, embedder: Embedder, scripted: list[_ScriptedEndpoint]
) -> None:
    from mss_qa.apps.service import QAService

    endpoint = _serve(scripted, _ScriptedEndpoint([
        (503, {}, _error("loading model")),
        (200, {}, _checked("Yes", {"Yes": -0.1, "No": -2.4})),
    ]))
    settings = changed(seeded_settings, llm_backend="openai", openai_base_url=endpoint.url,
                       openai_max_retries=0)
    service = QAService(Pipeline(settings, embedder=embedder))
    loading = threading.Thread(target=service.load, daemon=True)
    loading.start()
    deadline = time.monotonic() + 30
    while service.load_error is None and not service.ready:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    if not service.ready:  # the first try met the 503
        assert service.load_error is not None and "HTTP 503" in str(service.load_error)
    loading.join(timeout=30)
    assert service.ready and service.load_error is None
    assert endpoint.requests >= 3  # the 503, then the two warm-up prompts
