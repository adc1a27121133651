"""Chroma server mode (`MSS_QA_CHROMA_URL`) against a real `chroma run` started by the test."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mss_qa.backends.chroma_store import ChromaStore
from mss_qa.backends.embedders import Embedder
from mss_qa.errors import BackendUnavailableError
from mss_qa.index import ingest, load_index, open_store
from mss_qa.pipeline import Pipeline
from mss_qa.settings import Settings
from tests.conftest import SEEDS, free_port, make_settings, stop_process
from tests.test_pipeline import assert_citations_verbatim

READY_DEADLINE_S = 60.0


def start_chroma(data_dir: Path, port: int | None = None
                 ) -> tuple[subprocess.Popen[bytes], str]:
    """`chroma run` (the CLI installed with chromadb) on `port` (default: a free one); the
    process and its URL."""
    chroma = Path(sys.executable).with_name("chroma")
    port = port or free_port()
    log_path = data_dir.with_suffix(".log")
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [str(chroma), "run", "--path", str(data_dir), "--host", "127.0.0.1",
             "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    import httpx

    deadline = time.monotonic() + READY_DEADLINE_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"chroma run exited:\n{log_path.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/api/v2/heartbeat", timeout=2.0).status_code == 200:
                return server, url
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    stop_process(server)
    pytest.fail(f"chroma run not ready in {READY_DEADLINE_S:.0f} s:\n{log_path.read_text()}")


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server, url = start_chroma(tmp_path_factory.mktemp("chroma-server") / "data")
    yield url
    stop_process(server)


@pytest.fixture(scope="module")
def server_settings(
    tmp_path_factory: pytest.TempPathFactory, chroma_url: str, embedder: Embedder
) -> Settings:
    """The seeds ingested into the Chroma server, once for this module."""
    settings = make_settings(tmp_path_factory.mktemp("server-index"), chroma_url=chroma_url,
                             collection="seeds-on-server")
    report = ingest([SEEDS], settings, embedder)
    assert len(report.added) == 5 and report.chunks_embedded > 20
    return settings


def test_ingest_writes_to_the_server_not_a_local_database(server_settings: Settings) -> None:
    assert not (server_settings.index_dir / "chroma").exists()
    assert open_store(server_settings).count() > 20
    # Another client of the same server sees the same collection.
    url = server_settings.chroma_url
    assert url is not None
    assert ChromaStore(server_settings.collection, url=url).count() == \
        open_store(server_settings).count()


def test_reingest_against_the_server_is_idempotent(
    server_settings: Settings, embedder: Embedder
) -> None:
    before = {c.chunk.id for c in open_store(server_settings).all_chunks()}
    report = ingest([SEEDS], server_settings, embedder)
    assert report.chunks_embedded == 0
    assert len(report.unchanged) == 5 and not report.added and not report.removed
    assert {c.chunk.id for c in open_store(server_settings).all_chunks()} == before


def test_collections_live_side_by_side_on_one_server(
    server_settings: Settings, embedder: Embedder, tmp_path: Path
) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.md").write_text("The review board met in Lisbon on 3 March 2025.\n")
    mine = make_settings(server_settings.index_dir.parent, chroma_url=server_settings.chroma_url,
                         collection="my-notes")
    ingest([folder], mine, embedder)
    assert {c.chunk.source for c in open_store(mine).all_chunks()} == {"notes.md"}
    assert "notes.md" not in {c.chunk.source for c in open_store(server_settings).all_chunks()}


def test_ask_answers_from_the_server(
    server_settings: Settings, embedder: Embedder, small_pipeline: Pipeline
) -> None:
    # The loaded small generator is shared; retrieval goes through the server.
    pipeline = Pipeline(server_settings, embedder=embedder, llm=small_pipeline.llm)
    answer = pipeline.ask("Who is Kenya's Interior Minister?")
    assert answer.status == "answered"
    assert "Murkomen" in answer.answer
    assert_citations_verbatim(answer)
    assert all(e.chunk.source in {p.name for p in SEEDS.iterdir()} for e in answer.retrieved)


def test_an_unreachable_server_is_a_clear_error(tmp_path: Path, embedder: Embedder) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    with pytest.raises(BackendUnavailableError, match=f"Chroma store at {url}") as raised:
        ingest([SEEDS], make_settings(tmp_path / "ingest", chroma_url=url), embedder)
    assert raised.value.http_status == 503
    with pytest.raises(BackendUnavailableError, match=f"Chroma store at {url}"):
        load_index(make_settings(tmp_path / "ask", chroma_url=url), embedder.name)


def test_the_cli_reports_an_unreachable_server_in_one_line(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    env = {**os.environ, "MSS_QA_CHROMA_URL": url, "MSS_QA_INDEX_DIR": str(tmp_path / "index")}
    result = subprocess.run([sys.executable, "-m", "mss_qa.apps.cli", "ingest", str(SEEDS)],
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 1
    assert f"Chroma store at {url}" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_server_that_goes_away_is_a_clear_error(tmp_path: Path) -> None:
    server, url = start_chroma(tmp_path / "data")
    try:
        store = ChromaStore("going", url=url)
        assert store.count() == 0
    finally:
        stop_process(server)
    with pytest.raises(BackendUnavailableError, match=f"lost the connection.*{url}"):
        store.count()


def test_the_api_answers_503_while_the_server_is_away_and_recovers_when_it_returns(
    tmp_path: Path, embedder: Embedder, small_pipeline: Pipeline
) -> None:
    from fastapi.testclient import TestClient

    from mss_qa.apps.api import create_app

    data = tmp_path / "data"
    server, url = start_chroma(data)
    settings = make_settings(tmp_path / "index", chroma_url=url, collection="outage")
    ingest([SEEDS], settings, embedder)
    question = {"question": "Who is Kenya's Interior Minister?"}
    pipeline = Pipeline(settings, embedder=embedder, llm=small_pipeline.llm)
    with TestClient(create_app(pipeline)) as client:
        deadline = time.monotonic() + 120
        while client.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline, client.get("/readyz").json()
            time.sleep(0.1)
        assert client.post("/v1/ask", json=question).json()["status"] == "answered"

        stop_process(server)
        away = client.post("/v1/ask", json=question)
        assert away.status_code == 503
        assert url in away.json()["error"]["message"]
        assert client.get("/healthz").status_code == 200

        server, _ = start_chroma(data, port=int(url.rsplit(":", 1)[1]))
        try:
            back = client.post("/v1/ask", json=question)
            assert back.status_code == 200, back.json()
            assert "Murkomen" in back.json()["answer"]
        finally:
            stop_process(server)
