"""Access control and limits of the served app: API keys, the UI login, CORS, body size, time.

Everything runs against the real app over the seeded index and the small real generator.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr, ValidationError

from mss_qa.apps.api import create_app
from mss_qa.apps.service import Deadline, QAService
from mss_qa.backends.embedders import Embedder
from mss_qa.errors import AnswerTimeoutError
from mss_qa.pipeline import Pipeline
from mss_qa.settings import Settings
from tests.test_api import MINISTER, SEED_NAMES, assert_error, wait_ready

KEYS = ("first-key-7f3a", "second-key-c21e")
BEARER = {"Authorization": f"Bearer {KEYS[1]}"}
ORIGIN = "https://qa.example.org"


def make_pipeline(small_pipeline: Pipeline, embedder: Embedder, **settings: Any) -> Pipeline:
    """The seeded pipeline (sharing the loaded generator) with other serving settings."""
    changed = small_pipeline.settings.model_copy(update=settings)
    return Pipeline(changed, embedder=embedder, llm=small_pipeline.llm)


@pytest.fixture(scope="module")
def guarded_app(small_pipeline: Pipeline, embedder: Embedder) -> FastAPI:
    pipeline = make_pipeline(
        small_pipeline,
        embedder,
        api_keys=SecretStr(",".join(KEYS)),
        cors_origins=[ORIGIN],
        max_request_bytes=4096,
    )
    return create_app(pipeline)


@pytest.fixture(scope="module")
def guarded(guarded_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(guarded_app) as client:
        wait_ready(client)
        yield client


@pytest.fixture(scope="module")
def open_client(small_pipeline: Pipeline, embedder: Embedder) -> Iterator[TestClient]:
    with TestClient(create_app(make_pipeline(small_pipeline, embedder))) as client:
        wait_ready(client)
        yield client


# --- settings -------------------------------------------------------------------------------


def test_keys_and_origins_are_read_comma_separated_and_keys_stay_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MSS_QA_API_KEYS", f" {KEYS[0]} ,{KEYS[1]},")
    monkeypatch.setenv("MSS_QA_CORS_ORIGINS", f"{ORIGIN}, http://localhost:3000")
    settings = Settings()
    assert settings.api_key_list == list(KEYS)
    assert settings.cors_origins == [ORIGIN, "http://localhost:3000"]
    shown = f"{settings!r} {settings} {settings.model_dump()} {settings.model_dump_json()}"
    assert not any(key in shown for key in KEYS)


def test_no_keys_by_default() -> None:
    assert Settings().api_key_list == []
    assert Settings(api_keys=SecretStr("")).api_key_list == []


@pytest.mark.parametrize("value", [",", " , ", " "])
def test_keys_set_to_no_key_are_refused_not_served_open(value: str) -> None:
    with pytest.raises(ValidationError, match="names no key"):
        Settings(api_keys=SecretStr(value))


# --- API keys -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/sources"),
        ("GET", f"/v1/sources/{SEED_NAMES[0]}"),
        ("POST", "/v1/ask"),
        ("POST", "/v1/ask?stream=true"),
        ("POST", "/v1/chat/completions"),
        ("POST", "/v1/feedback"),
        ("GET", "/v1/no-such-route"),
    ],
)
@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Bearer wrong-key",
        f"Bearer {KEYS[0]}x",
        f"Bearer {KEYS[0][:-1]}",
        f"Basic {KEYS[0]}",
        KEYS[0],
        f"Bearer {KEYS[0]},{KEYS[1]}",
    ],
)
def test_every_api_route_needs_a_valid_key(
    guarded: TestClient, method: str, path: str, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    body = {"question": MINISTER} if method == "POST" else None
    response = guarded.request(method, path, headers=headers, json=body)
    assert_error(response, 401, "AuthenticationError")
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert not any(key in response.text for key in KEYS)


def test_health_answers_without_a_key(guarded: TestClient) -> None:
    assert guarded.get("/healthz").json() == {"status": "ok"}
    assert guarded.get("/readyz").json() == {"status": "ready"}


@pytest.mark.parametrize("key", KEYS)
def test_any_configured_key_opens_the_api(guarded: TestClient, key: str) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    assert guarded.get("/v1/sources", headers=headers).json() == {"sources": SEED_NAMES}
    source = guarded.get(f"/v1/sources/{SEED_NAMES[0]}", headers=headers)
    assert source.status_code == 200 and source.json()["name"] == SEED_NAMES[0]


def test_the_scheme_is_case_insensitive(guarded: TestClient) -> None:
    response = guarded.get("/v1/sources", headers={"Authorization": f"bearer {KEYS[0]}"})
    assert response.status_code == 200


def test_a_question_is_answered_with_a_key(guarded: TestClient) -> None:
    response = guarded.post("/v1/ask", json={"question": MINISTER}, headers=BEARER)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "answered"


def test_the_api_is_open_when_no_key_is_set(open_client: TestClient) -> None:
    assert open_client.get("/v1/sources").json() == {"sources": SEED_NAMES}


def test_keys_never_reach_the_logs(guarded: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    guarded.get("/v1/sources", headers={"Authorization": "Bearer guessed-key-123"})
    guarded.get("/v1/sources", headers=BEARER)
    assert not any(key in caplog.text for key in (*KEYS, "guessed-key-123"))


# --- the chat UI ----------------------------------------------------------------------------


def test_the_ui_asks_for_a_key_as_its_password(guarded: TestClient) -> None:
    # A fresh client: no cookie from another test.
    with TestClient(guarded.app) as browser:
        assert browser.get("/").status_code == 200  # the page itself, which shows the login
        assert browser.get("/config").status_code == 401
        assert browser.get("/gradio_api/info").status_code == 401
        refused = browser.post("/login", data={"username": "anyone", "password": "wrong"})
        assert refused.status_code == 400
        assert browser.get("/config").status_code == 401
        accepted = browser.post("/login", data={"username": "anyone", "password": KEYS[0]})
        assert accepted.status_code == 200
        config = browser.get("/config")
        assert config.status_code == 200 and "components" in config.json()


def test_the_ui_needs_no_login_when_no_key_is_set(open_client: TestClient) -> None:
    assert open_client.get("/config").status_code == 200


# --- CORS -----------------------------------------------------------------------------------


def preflight(client: TestClient, origin: str, path: str = "/v1/ask") -> Any:
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )


@pytest.mark.parametrize("path", ["/v1/ask", "/v1/feedback", "/gradio_api/queue/join", "/"])
def test_cors_is_closed_by_default(open_client: TestClient, path: str) -> None:
    # The test client's host is not localhost: as a server reached by its public name.
    response = preflight(open_client, ORIGIN, path)
    assert "access-control-allow-origin" not in response.headers
    plain = open_client.get("/v1/sources", headers={"Origin": ORIGIN})
    assert "access-control-allow-origin" not in plain.headers


def test_cors_admits_only_the_configured_origins(guarded: TestClient) -> None:
    allowed = preflight(guarded, ORIGIN)
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    other = preflight(guarded, "https://evil.example")
    assert "access-control-allow-origin" not in other.headers
    read = guarded.get("/v1/sources", headers={**BEARER, "Origin": ORIGIN})
    assert read.headers["access-control-allow-origin"] == ORIGIN
    foreign = guarded.get("/v1/sources", headers={**BEARER, "Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in foreign.headers


# --- request size ---------------------------------------------------------------------------


def test_a_body_over_the_limit_is_413_before_it_is_read(guarded: TestClient) -> None:
    body = b'{"question": "' + b"x" * 5000 + b'"}'
    response = guarded.post(
        "/v1/ask", content=body, headers={**BEARER, "content-type": "application/json"}
    )
    assert_error(response, 413, "RequestTooLargeError")
    assert "4096" in response.json()["error"]["message"]


def test_a_chunked_body_over_the_limit_is_413(guarded: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"question": "'
        for _ in range(10):
            yield b"y" * 1000
        yield b'"}'

    response = guarded.post(
        "/v1/ask", content=chunks(), headers={**BEARER, "content-type": "application/json"}
    )
    assert_error(response, 413, "RequestTooLargeError")


def test_a_chunked_body_within_the_limit_is_read_whole(guarded: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"question": "", '
        yield b'"history": []}'

    response = guarded.post(
        "/v1/ask", content=chunks(), headers={**BEARER, "content-type": "application/json"}
    )
    # Parsed in full: the empty question is what is refused, not the framing.
    assert_error(response, 422, "InvalidQuestionError")


def test_an_unauthenticated_oversize_body_gets_401_not_413(guarded: TestClient) -> None:
    response = guarded.post("/v1/ask", content=b"z" * 10_000)
    assert_error(response, 401, "AuthenticationError")


def test_the_default_limit_is_64_kb(open_client: TestClient) -> None:
    assert Settings().max_request_bytes == 64 * 1024
    small = open_client.post("/v1/ask", json={"question": "", "pad": "p" * 60_000})
    assert_error(small, 422)  # under the limit: read, then refused for its content
    large = open_client.post("/v1/ask", json={"question": "q" * 70_000})
    assert_error(large, 413, "RequestTooLargeError")


# --- time budget ----------------------------------------------------------------------------


def test_a_question_over_its_time_budget_is_504_and_the_service_recovers(
    small_pipeline: Pipeline, embedder: Embedder
) -> None:
    app = create_app(make_pipeline(small_pipeline, embedder, request_timeout_s=0.001))
    service: QAService = app.state.service
    with TestClient(app) as client:
        wait_ready(client)
        late = client.post("/v1/ask", json={"question": MINISTER})
        assert_error(late, 504, "AnswerTimeoutError")
        assert "MSS_QA_REQUEST_TIMEOUT_S" in late.json()["error"]["message"]
        with client.stream("POST", "/v1/ask?stream=true", json={"question": MINISTER}) as stream:
            text = stream.read().decode()
        assert "event: error" in text and "AnswerTimeoutError" in text
        service.timeout_s = 600.0
        answered = client.post("/v1/ask", json={"question": MINISTER})
        assert answered.status_code == 200, answered.text
        assert answered.json()["status"] == "answered"


def test_a_cut_deadline_stops_generation_at_the_next_token(small_pipeline: Pipeline) -> None:
    service = QAService(small_pipeline)
    deadline = Deadline(600)
    tokens: list[str] = []

    def first_token_then_cut(token: str) -> None:
        tokens.append(token)
        deadline.cut()

    with pytest.raises(AnswerTimeoutError):
        service._ask_locked(MINISTER, None, first_token_then_cut, deadline)
    assert len(tokens) == 1
    # The generator's lock was released: the next question runs to the end.
    assert small_pipeline.ask(MINISTER).status == "answered"


def test_timed_out_work_still_counts_against_the_queue(
    small_pipeline: Pipeline, embedder: Embedder
) -> None:
    pipeline = make_pipeline(small_pipeline, embedder, request_timeout_s=0.001, max_waiting=0)
    app = create_app(pipeline)
    service: QAService = app.state.service
    service.load()

    async def scenario() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            with service._generation:  # the generator is busy with someone else's question
                first = await http.post("/v1/ask", json={"question": MINISTER})
                assert_error(first, 504, "AnswerTimeoutError")
                # Its worker still waits for the lock, so the one place is taken.
                second = await http.post("/v1/ask", json={"question": MINISTER})
                assert_error(second, 429, "OverloadedError")
            while service._in_flight:
                await asyncio.sleep(0.01)

    asyncio.run(scenario())
