"""The chat UI in a real browser: `mss-qa serve` as a process, headless Debian Chromium."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from mss_qa.settings import ROOT, Settings
from tests.conftest import SEEDS, free_port

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOT = ROOT / "tests" / "output" / "ui.png"

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (make test installs it)"
)
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).is_file(),
    reason="Debian chromium is not installed and `make test` could not install it",
)


@pytest.fixture(scope="module")
def served(
    seeded_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    """`mss-qa serve` on a free port over the seeded index; yields (base URL, feedback file)."""
    port = free_port()
    feedback = tmp_path_factory.mktemp("ui-feedback") / "feedback.jsonl"
    log = tmp_path_factory.mktemp("ui-log") / "serve.log"
    env = {
        **os.environ,
        "MSS_QA_INDEX_DIR": str(seeded_settings.index_dir),
        "MSS_QA_COLLECTION": seeded_settings.collection,
        "MSS_QA_GENERATOR": seeded_settings.generator,
        "MSS_QA_FEEDBACK_PATH": str(feedback),
    }
    command = [sys.executable, "-m", "mss_qa.apps.cli", "serve", "--port", str(port)]
    with log.open("w") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            assert process.poll() is None, f"mss-qa serve exited:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"not ready in time:\n{log.read_text()}"
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        yield base, feedback
    finally:
        process.terminate()
        process.wait(timeout=30)


@contextmanager
def chat_page(base: str) -> Iterator[Any]:
    """The chat UI at `base`, open in headless Chromium; the browser closes afterwards."""
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(base)
            yield page
        finally:
            browser.close()


def test_ask_read_a_citation_rate_the_answer_and_follow_up(
    served: tuple[str, Path],
) -> None:
    base, feedback = served
    with chat_page(base) as page:
        page.fill("#mss-qa-question textarea", "Who is Kenya's Interior Minister?")
        page.click("#mss-qa-ask")

        # A draft shows at once; the verified answer replaces it, with numbered quotes.
        page.wait_for_selector("#mss-qa-chat .mss-draft", timeout=30_000)
        page.wait_for_selector("#mss-qa-chat .mss-draft", state="detached", timeout=180_000)
        chat = page.inner_text("#mss-qa-chat")
        try:
            page.locator("#mss-qa-citations input[type=radio]").first.wait_for(timeout=10_000)
        except sync_api.TimeoutError:
            pytest.fail(f"the answer came without citations to show:\n{chat}")
        assert "Murkomen" in chat and "[1]" in chat and ".txt" in chat

        # Choosing a citation opens its article with the quote highlighted.
        choice = page.locator("#mss-qa-citations label").first
        source = choice.inner_text().split("]", 1)[1].split(":", 1)[0].strip()
        choice.click()
        highlight = page.wait_for_selector("#mss-qa-highlight", timeout=30_000)
        assert highlight is not None
        quote = highlight.inner_text()
        assert "Murkomen" in quote
        article = (SEEDS / source).read_bytes().decode("utf-8")
        assert " ".join(quote.split()) in " ".join(article.split())
        assert highlight.is_visible()
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)

        # A thumbs up with a comment lands in the feedback file.
        page.fill("#mss-qa-comment textarea", "clear answer")
        page.locator("#mss-qa-chat button[aria-label='Like']").last.click()
        deadline = time.monotonic() + 30
        while not (feedback.is_file() and feedback.read_text().strip()):
            assert time.monotonic() < deadline, "no feedback written"
            time.sleep(0.1)

        # A follow-up is answered as a standalone question, and the reading is shown.
        page.fill("#mss-qa-question textarea", "What did he say?")
        page.click("#mss-qa-ask")
        read_as = page.wait_for_selector("#mss-qa-chat .mss-read-as", timeout=180_000)
        assert read_as is not None
        assert read_as.inner_text() == "Read as: What did Kipchumba Murkomen say?"
    entry = json.loads(feedback.read_text().splitlines()[0])
    assert entry["rating"] == "up" and entry["comment"] == "clear answer"
    assert entry["status"] == "answered" and "Murkomen" in entry["answer"]
    assert entry["question"] == "Who is Kenya's Interior Minister?"


def test_typed_text_is_shown_as_typed_and_kept_while_an_answer_comes(
    served: tuple[str, Path],
) -> None:
    base, _ = served
    with chat_page(base) as page:
        box = "#mss-qa-question textarea"

        # Too long: refused with a warning, and the text stays to be shortened.
        long_question = "Who is Kenya's Interior Minister? " * 70
        page.fill(box, long_question)
        page.click("#mss-qa-ask")
        page.get_by_text("the limit is 2000").first.wait_for(timeout=30_000)
        assert page.input_value(box) == long_question

        # HTML and Markdown in a question are shown as typed, not rendered.
        typed = "<img src=x> **Who** is Kenya's Interior Minister?"
        page.fill(box, typed)
        page.click("#mss-qa-ask")
        page.wait_for_selector("#mss-qa-chat .mss-draft", timeout=30_000)
        assert page.is_disabled("#mss-qa-ask")  # one question at a time
        # What is typed while the answer comes is the next question, and stays.
        page.fill(box, "When did he visit Haiti?")
        page.wait_for_selector("#mss-qa-chat .mss-draft", state="detached", timeout=180_000)
        page.wait_for_function(
            "!document.querySelector('#mss-qa-ask').disabled", timeout=30_000)
        assert page.input_value(box) == "When did he visit Haiti?"
        chat = page.inner_text("#mss-qa-chat")
        assert typed in chat
        assert page.locator("#mss-qa-chat img[src='x']").count() == 0
