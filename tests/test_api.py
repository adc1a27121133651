"""The HTTP API contract, against the real pipeline (seeded Chroma index, small Qwen)."""

from __future__ import annotations

import asyncio
import http.client
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import httpx
import openai
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from mss_qa.apps.api import create_app
from mss_qa.backends.embedders import Embedder
from mss_qa.pipeline import Pipeline
from mss_qa.settings import Settings
from mss_qa.types import Answer
from tests.conftest import SEEDS, free_port
from tests.test_cli import check_contract

MINISTER = "Who is Kenya's Interior Minister?"
SEED_NAMES = sorted(p.name for p in SEEDS.iterdir() if p.is_file())
CONTRACT_FIELDS = set(Answer(question="q", status="insufficient", answer="a").to_dict())


def wait_ready(client: TestClient, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while client.get("/readyz").status_code != 200:
        assert time.monotonic() < deadline, client.get("/readyz").json()
        time.sleep(0.05)


@pytest.fixture(scope="module")
def feedback_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("feedback") / "feedback.jsonl"


@pytest.fixture(scope="module")
def pipeline(
    seeded_settings: Settings, embedder: Embedder, small_pipeline: Pipeline, feedback_path: Path
) -> Pipeline:
    """The seeded pipeline (sharing the loaded models) with feedback going to a temp file."""
    settings = seeded_settings.model_copy(update={"feedback_path": feedback_path})
    return Pipeline(settings, embedder=embedder, llm=small_pipeline.llm)


@pytest.fixture(scope="module")
def client(pipeline: Pipeline) -> Iterator[TestClient]:
    with TestClient(create_app(pipeline)) as client:
        wait_ready(client)
        yield client


class Response(Protocol):
    """What an httpx or TestClient response offers (the two are different classes)."""

    @property
    def status_code(self) -> int: ...

    @property
    def text(self) -> str: ...

    def json(self) -> Any: ...


def assert_error(response: Response, status: int, kind: str | None = None) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"type", "message"}
    assert body["error"]["message"] and "Traceback" not in response.text
    if kind is not None:
        assert body["error"]["type"] == kind


def server_sent_events(text: str) -> list[tuple[str, Any]]:
    events = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((fields["event"], json.loads(fields["data"])))
    return events


# --- health ---------------------------------------------------------------------------------


def test_health_and_readiness_once_loaded(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ready"}


def test_a_missing_index_makes_readyz_and_questions_503_with_the_fix(
    tmp_path: Path, embedder: Embedder, small_pipeline: Pipeline
) -> None:
    settings = Settings(index_dir=tmp_path / "index", collection="empty", generator="qwen-0.5b")
    app = create_app(Pipeline(settings, embedder=embedder, llm=small_pipeline.llm))
    with TestClient(app) as client:
        deadline = time.monotonic() + 60
        while (ready := client.get("/readyz").json())["status"] == "loading":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert client.get("/healthz").status_code == 200
        assert ready["status"] == "failed" and "mss-qa ingest" in ready["error"]["message"]
        response = client.post("/v1/ask", json={"question": MINISTER})
        assert_error(response, 503, "IndexMissingError")
        assert "mss-qa ingest" in response.json()["error"]["message"]
        assert_error(client.get("/v1/sources"), 503)


def test_wrong_methods_and_unknown_api_paths_get_json_errors_not_ui_pages(
    client: TestClient,
) -> None:
    for method, path, allowed in [
        ("POST", "/healthz", "GET, HEAD"),
        ("DELETE", "/readyz", "GET, HEAD"),
        ("GET", "/v1/ask", "POST"),
        ("PUT", "/v1/feedback", "POST"),
    ]:
        response = client.request(method, path)
        assert_error(response, 405)
        assert response.headers["allow"] == allowed, path
    assert_error(client.get("/v1/no-such-thing"), 404)
    # Load balancers probe with HEAD.
    assert client.head("/healthz").status_code == 200
    assert client.head("/readyz").status_code == 200


def test_docs_and_the_chat_ui_are_served_beside_the_api(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/v1/ask", "/v1/chat/completions", "/v1/sources", "/healthz"} <= set(paths)
    page = client.get("/")
    assert page.status_code == 200 and "gradio" in page.text.lower()


# --- answers --------------------------------------------------------------------------------


def test_ask_returns_the_answer_contract(client: TestClient) -> None:
    response = client.post("/v1/ask", json={"question": MINISTER, "top_k": 4})
    assert response.status_code == 200, response.text
    answer = response.json()
    check_contract(answer, MINISTER)
    assert set(answer) == CONTRACT_FIELDS  # the edge neither drops nor adds fields
    assert len(answer["retrieved"]) == 4
    assert all(isinstance(r["shown"], bool) for r in answer["retrieved"])
    assert answer["retrieved"][0]["shown"]


def test_stream_sends_tokens_then_the_verified_answer_then_done(client: TestClient) -> None:
    with client.stream("POST", "/v1/ask?stream=true", json={"question": MINISTER}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = server_sent_events(response.read().decode())
    names = [name for name, _ in events]
    tokens = names.index("answer")
    assert tokens > 0 and set(names[:tokens]) == {"token"}
    assert names[tokens:] == ["answer", "done"]
    assert "".join(data["text"] for _, data in events[:tokens]).strip()
    answer = events[tokens][1]
    check_contract(answer, MINISTER)
    assert set(answer) == CONTRACT_FIELDS


def test_a_fault_after_a_stream_began_arrives_as_an_error_event(
    client: TestClient, pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:  # a fault no handler foresaw
        raise RuntimeError("boom")

    monkeypatch.setattr(pipeline, "ask", broken)
    question = "Which question breaks the pipeline today?"
    with client.stream("POST", "/v1/ask?stream=true", json={"question": question}) as response:
        assert response.status_code == 200
        events = server_sent_events(response.read().decode())
    assert events == [("error", {"error": {"type": "InternalError", "message": "internal error"}}),
                      ("done", {})]
    with client.stream("POST", "/v1/chat/completions", json={
            "stream": True, "messages": [{"role": "user", "content": question}]}) as response:
        text = response.read().decode()
    assert '"InternalError"' in text and text.rstrip().endswith("data: [DONE]")


def test_chat_text_parts_are_joined_as_words(client: TestClient) -> None:
    parts = [{"type": "text", "text": "Who is Kenya's Interior"}, {"type": "input_text",
             "text": "Minister?"}, {"type": "image_url", "image_url": {"url": "x"}}]
    response = client.post("/v1/chat/completions",
                           json={"messages": [{"role": "user", "content": parts}]})
    assert response.status_code == 200, response.text
    assert response.json()["mss_qa"]["question"] == MINISTER
    untyped = client.post("/v1/chat/completions", json={
        "messages": [{"role": "user", "content": [{"text": MINISTER}]}]})
    assert untyped.json()["mss_qa"]["question"] == MINISTER


def test_a_follow_up_is_answered_as_a_standalone_question(client: TestClient) -> None:
    history = [
        {"role": "user", "content": "Who leads the Kenyan police in Haiti?"},
        {"role": "assistant", "content": "The sources don't say."},
        {"role": "user", "content": "Who is Kenya's Interior Minister?"},
        {"role": "assistant", "content": "Kipchumba Murkomen [1]"},
    ]
    response = client.post("/v1/ask", json={"question": "What did he say?", "history": history})
    assert response.status_code == 200, response.text
    assert response.json()["question"] == "What did Kipchumba Murkomen say?"


def test_earlier_questions_are_read_as_the_question_is(client: TestClient) -> None:
    # A greeting before the earlier question is dropped ("Haiti's" once replaced "I'm"), and
    # a question in capitals only is read with the collection's capitals.
    for first, follow_up in [("Hi, I'm a student. Who is Kenya's Interior Minister?",
                              "And Haiti's?"),
                             ("WHO IS KENYA'S INTERIOR MINISTER?", "AND HAITI'S?")]:
        history = [{"role": "user", "content": first},
                   {"role": "assistant", "content": "Kipchumba Murkomen [1]"}]
        response = client.post("/v1/ask", json={"question": follow_up, "history": history})
        assert response.status_code == 200, response.text
        assert response.json()["question"] == "Who is Haiti's Interior Minister?"


def test_only_the_first_part_of_a_question_of_several_parts_reads_the_conversation(
        client: TestClient) -> None:
    history = [{"role": "user", "content": "Who is the President of Kenya?"},
               {"role": "assistant", "content": "William Ruto [1]"}]
    response = client.post("/v1/ask", json={
        "question": "who leads the contingent and when did they land?", "history": history})
    assert response.status_code == 200, response.text
    parts = response.json()["parts"]
    # "they" is the contingent the first part asks about, not the president asked before.
    assert [p["question"] for p in parts] == ["Who leads the contingent?",
                                              "When did the contingent land?"]


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ({"question": ""}, "InvalidQuestionError"),
        ({"question": " \n\t "}, "InvalidQuestionError"),
        ({"question": "x" * 5000}, "InvalidQuestionError"),
        ({"question": 123}, "InvalidRequestError"),
        ({"question": ["who?"]}, "InvalidRequestError"),
        ({}, "InvalidRequestError"),
        ({"question": "who?", "top_k": 0}, "InvalidRequestError"),
        ({"question": "who?", "top_k": 10}, "InvalidRequestError"),
        ({"question": "who?", "top_k": "3"}, "InvalidRequestError"),
        ({"question": "who?", "history": [{"role": "bot", "content": "x"}]}, "InvalidRequestError"),
        ({"question": "who?", "extra": 1}, "InvalidRequestError"),
    ],
)
def test_bad_questions_are_422_with_a_json_error(
    client: TestClient, body: dict[str, Any], kind: str
) -> None:
    assert_error(client.post("/v1/ask", json=body), 422, kind)
    assert_error(client.post("/v1/ask?stream=true", json=body), 422, kind)


def test_a_body_that_is_not_json_is_422(client: TestClient) -> None:
    response = client.post(
        "/v1/ask", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert_error(response, 422, "InvalidRequestError")


def test_more_questions_than_the_queue_holds_are_429_and_health_stays_instant(
    pipeline: Pipeline,
) -> None:
    app = create_app(pipeline, max_waiting=0)
    app.state.service.load()

    async def scenario() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            first = asyncio.create_task(http.post("/v1/ask", json={"question": MINISTER}))
            await asyncio.sleep(0.2)  # the first question now holds the generator
            second = await http.post("/v1/ask", json={"question": MINISTER})
            # A streamed question is refused too, before its stream begins.
            body = {"question": "Which alliance have Haiti's gangs formed?"}
            streamed = await http.post("/v1/ask?stream=true", json=body)
            chat = await http.post("/v1/chat/completions", json={
                "model": "mss-qa", "stream": True,
                "messages": [{"role": "user", "content": body["question"]}]})
            health = await http.get("/healthz")
            assert not first.done()  # all were answered while the model was busy
            assert health.status_code == 200
            for response in (second, streamed, chat):
                assert_error(response, 429, "OverloadedError")
                assert response.headers["retry-after"]
            assert (await first).status_code == 200

    asyncio.run(scenario())


def test_a_follow_up_too_long_once_completed_is_422_blaming_the_history(
    client: TestClient,
) -> None:
    history = [{"role": "user", "content": "What is Kenya's population? " + "word " * 500},
               {"role": "assistant", "content": "The sources don't say."}]
    body = {"question": "And Haiti's?", "history": history}
    for url in ("/v1/ask", "/v1/ask?stream=true"):
        response = client.post(url, json=body)
        assert_error(response, 422, "InvalidQuestionError")
        assert "completed from the conversation's earlier question" in (
            response.json()["error"]["message"])


def test_a_question_that_would_wait_past_its_budget_is_429_at_once(pipeline: Pipeline) -> None:
    app = create_app(pipeline)
    service = app.state.service
    service.load()

    async def scenario() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            assert (await http.post("/v1/ask", json={"question": MINISTER})).status_code == 200
            # The budget now holds one answer and a half: a third question cannot make it.
            service.timeout_s = 1.5 * service.answer_seconds
            ahead = [asyncio.create_task(http.post("/v1/ask", json={"question": q}))
                     for q in ("Which alliance have Haiti's gangs formed?",
                               "How many officers arrived on Saturday?")]
            await asyncio.sleep(0.2)
            third = await http.post("/v1/ask", json={"question": "Who leads the mission?"})
            assert_error(third, 429, "OverloadedError")
            assert "budget" in third.json()["error"]["message"]
            assert third.headers["retry-after"]
            for task in ahead:
                assert (await task).status_code in (200, 504)

    asyncio.run(scenario())


def test_a_repeated_question_is_answered_at_once_while_the_generator_is_busy(
    pipeline: Pipeline,
) -> None:
    remembering = Pipeline(pipeline.settings.model_copy(update={"answer_cache_size": 8}),
                           embedder=pipeline.embedder, llm=pipeline.llm)
    app = create_app(remembering, max_waiting=0)
    app.state.service.load()

    async def scenario() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            first = await http.post("/v1/ask", json={"question": MINISTER})
            busy = asyncio.create_task(
                http.post("/v1/ask", json={"question": "Which alliance have the gangs formed?"}))
            await asyncio.sleep(0.2)  # that question now holds the generator
            again = await http.post("/v1/ask", json={"question": MINISTER})
            assert not busy.done()  # answered while the model was busy, not refused with 429
            assert again.status_code == 200
            assert again.json()["answer"] == first.json()["answer"]
            assert again.json()["citations"] == first.json()["citations"]
            streamed = await http.post("/v1/ask?stream=true", json={"question": MINISTER})
            assert not busy.done()
            assert "event: answer" in streamed.text
            assert (await busy).status_code == 200

    asyncio.run(scenario())


# --- sources --------------------------------------------------------------------------------


def test_sources_lists_the_collection(client: TestClient) -> None:
    assert client.get("/v1/sources").json() == {"sources": SEED_NAMES}


def test_a_source_is_returned_verbatim_with_the_quoted_span(client: TestClient) -> None:
    name = SEED_NAMES[0]
    text = (SEEDS / name).read_bytes().decode("utf-8")
    plain = client.get(f"/v1/sources/{name}").json()
    assert plain == {"name": name, "text": text}
    marked = client.get(f"/v1/sources/{name}", params={"start": 10, "end": 60}).json()
    assert marked["highlight"] == {"start": 10, "end": 60, "quote": text[10:60]}


@pytest.mark.parametrize(
    "query", ["start=5", "start=9&end=3", "start=0&end=999999", "start=-1&end=4"]
)
def test_a_bad_highlight_range_is_422(client: TestClient, query: str) -> None:
    assert_error(client.get(f"/v1/sources/{SEED_NAMES[0]}?{query}"), 422, "InvalidRequestError")


@pytest.mark.parametrize(
    "path",
    [
        "no-such-file.txt",
        "..%2Fetc%2Fpasswd",
        "%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
        "%2Fetc%2Fpasswd",
        "..%2F..%2Fseeds%2F" + SEED_NAMES[0],
    ],
)
def test_unknown_and_path_like_sources_are_404(client: TestClient, path: str) -> None:
    assert_error(client.get(f"/v1/sources/{path}"), 404, "SourceNotFoundError")


# --- feedback -------------------------------------------------------------------------------


def test_feedback_is_appended_to_the_jsonl_file(client: TestClient, feedback_path: Path) -> None:
    entry = {
        "question": MINISTER,
        "answer": "Kipchumba Murkomen [1]",
        "status": "answered",
        "rating": "up",
        "comment": "quick and right",
    }
    assert client.post("/v1/feedback", json=entry).status_code == 201
    assert_error(client.post("/v1/feedback", json={**entry, "rating": "meh"}), 422)
    lines = [json.loads(line) for line in feedback_path.read_text().splitlines()]
    assert len(lines) == 1
    assert {k: v for k, v in lines[0].items() if k != "time"} == entry
    assert lines[0]["time"].endswith("+00:00")


def test_feedback_that_cannot_be_saved_is_a_clear_503(
    client: TestClient, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    service = client.app.state.service  # type: ignore[attr-defined]
    saved = service.settings.feedback_path
    service.settings.feedback_path = blocker / "feedback.jsonl"
    try:
        response = client.post("/v1/feedback", json={
            "question": MINISTER, "answer": "x", "status": "answered", "rating": "down"})
    finally:
        service.settings.feedback_path = saved
    assert_error(response, 503, "FeedbackNotSavedError")
    assert "MSS_QA_FEEDBACK_PATH" in response.json()["error"]["message"]


# --- a real server: OpenAI client, raw paths ------------------------------------------------


@pytest.fixture(scope="module")
def server(pipeline: Pipeline) -> Iterator[str]:
    """uvicorn serving the app on 127.0.0.1 in this process; yields the base URL."""
    app: FastAPI = create_app(pipeline)
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    uvicorn_server = uvicorn.Server(config)
    thread = threading.Thread(target=uvicorn_server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"{base}/readyz").status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline and thread.is_alive()
        time.sleep(0.1)
    yield base
    uvicorn_server.should_exit = True
    thread.join(timeout=30)


def test_openai_client_gets_the_verified_answer_and_its_citations(server: str) -> None:
    client = openai.OpenAI(base_url=f"{server}/v1", api_key="unused")
    completion = client.chat.completions.create(
        model="anything", messages=[{"role": "user", "content": MINISTER}]
    )
    assert completion.object == "chat.completion" and completion.model == "anything"
    content = completion.choices[0].message.content
    assert content
    assert completion.choices[0].finish_reason == "stop"
    extra = completion.model_extra or {}
    check_contract(extra["mss_qa"], MINISTER)
    assert extra["mss_qa"]["answer"] == content


def test_openai_client_streams_the_verified_answer_with_history(server: str) -> None:
    client = openai.OpenAI(base_url=f"{server}/v1", api_key="unused")
    messages: list[Any] = [
        {"role": "system", "content": "Answer from the sources."},
        {"role": "user", "content": MINISTER},
        {"role": "assistant", "content": "Kipchumba Murkomen [1]"},
        {"role": "user", "content": "Who did he address?"},
    ]
    chunks = list(client.chat.completions.create(model="m", messages=messages, stream=True))
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    contract = (last.model_extra or {})["mss_qa"]
    assert contract["question"] == "Who did Kipchumba Murkomen address?"
    assert text == contract["answer"]


def test_openai_client_sees_a_4xx_for_a_conversation_without_a_question(server: str) -> None:
    client = openai.OpenAI(base_url=f"{server}/v1", api_key="unused", max_retries=0)
    with pytest.raises(openai.UnprocessableEntityError) as caught:
        client.chat.completions.create(
            model="m", messages=[{"role": "assistant", "content": "Hello"}]
        )
    assert "user" in caught.value.message


def test_a_raw_dot_dot_path_is_404_json(server: str) -> None:
    # http.client sends the path exactly as written (httpx would normalize the dots away).
    host, port = server.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.request("GET", "/v1/sources/../../etc/passwd")
    response = connection.getresponse()
    body = json.loads(response.read())
    connection.close()
    assert response.status == 404 and body["error"]["type"] == "SourceNotFoundError"
