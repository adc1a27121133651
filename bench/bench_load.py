"""The served app under load: concurrent clients on /v1/ask and a health probe, on loopback.

Starts the real server (`mss-qa serve`, its own process) over the seeds indexed in a
temporary folder, then runs `--clients` clients for `--duration` seconds. Each client asks
one question after another, half of them from a few repeated questions and half distinct
(the gold set's, then numbered variants); a client refused with 429 waits for its
Retry-After, as a polite client would. Meanwhile a probe calls /healthz every 250 ms.
Records latency percentiles, throughput, every status class and connection errors.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import _common
import httpx

REPEATED = [
    "Who is Kenya's Interior Minister?",
    "How many Haitians have been displaced?",
    "Which alliance have Haiti's gangs formed?",
    "What is the population of Kenya?",
]
HEALTH_EVERY_S = 0.25
SLOW_HEALTH_MS = 100.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, help="concurrent clients (default 20; --quick 4)")
    parser.add_argument("--duration", type=float, help="seconds of load (default 60; --quick 10)")
    parser.add_argument(
        "--generator",
        choices=["qwen-0.5b", "qwen-1.5b"],
        default="qwen-0.5b",
        help="the served generator (default: %(default)s, the small one)",
    )
    parser.add_argument(
        "--max-waiting", type=int, default=8, help="the server's queue (default: %(default)s)"
    )
    parser.add_argument(
        "--request-timeout",
        type=float,
        default=60.0,
        help="the server's time budget per question, s (default: %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=7)
    _common.add_common_arguments(parser)
    args = parser.parse_args(argv)
    args.clients = args.clients or (4 if args.quick else 20)
    args.duration = args.duration or (10.0 if args.quick else 60.0)
    return args


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def distinct_questions() -> list[str]:
    gold = [json.loads(line)["question"] for line in _common.GOLD.read_text().splitlines() if line]
    return gold + [f"What happened at checkpoint {n} in Port-au-Prince?" for n in range(1000)]


@dataclass
class Tally:
    """What the clients and the probe saw."""

    ask_ms: list[float] = field(default_factory=list)  # 2xx answers only
    statuses: Counter[str] = field(default_factory=Counter)
    answer_status: Counter[str] = field(default_factory=Counter)
    connection_errors: int = 0
    connection_error_kinds: Counter[str] = field(default_factory=Counter)
    health_ms: list[float] = field(default_factory=list)
    health_failures: int = 0


async def client_loop(
    http: httpx.AsyncClient,
    questions: list[str],
    repeated_share: float,
    rng: random.Random,
    until: float,
    tally: Tally,
) -> None:
    while time.monotonic() < until:
        repeat = rng.random() < repeated_share
        question = rng.choice(REPEATED) if repeat else questions.pop(0)
        started = time.perf_counter()
        try:
            response = await http.post("/v1/ask", json={"question": question})
        except httpx.TransportError as exc:
            tally.connection_errors += 1
            tally.connection_error_kinds[type(exc).__name__] += 1
            continue
        elapsed_ms = (time.perf_counter() - started) * 1000
        tally.statuses[f"{response.status_code // 100}xx"] += 1
        tally.statuses[str(response.status_code)] += 1
        if response.is_success:
            tally.ask_ms.append(elapsed_ms)
            tally.answer_status[response.json()["status"]] += 1
        elif response.status_code == 429:
            wait = float(response.headers.get("retry-after", "1"))
            await asyncio.sleep(min(wait, max(0.0, until - time.monotonic())))


async def health_loop(http: httpx.AsyncClient, until: float, tally: Tally) -> None:
    while time.monotonic() < until:
        started = time.perf_counter()
        try:
            response = await http.get("/healthz")
            ok = response.status_code == 200
        except httpx.TransportError:
            ok = False
        tally.health_ms.append((time.perf_counter() - started) * 1000)
        tally.health_failures += 0 if ok else 1
        await asyncio.sleep(HEALTH_EVERY_S)


async def run_load(base: str, args: argparse.Namespace) -> tuple[Tally, float]:
    tally = Tally()
    rng = random.Random(args.seed)
    questions = distinct_questions()
    # Idle connections are dropped before uvicorn's 5 s keep-alive ends: reusing one it is
    # closing at that moment (after a 5 s Retry-After) would fail on the client's side.
    limits = httpx.Limits(
        max_connections=args.clients + 2, max_keepalive_connections=None, keepalive_expiry=2.0
    )
    # Generous: the server's own budget decides when a question is given up.
    timeout = httpx.Timeout(args.request_timeout + 30, connect=10)
    started = time.monotonic()
    until = started + args.duration
    async with (
        httpx.AsyncClient(base_url=base, limits=limits, timeout=timeout) as http,
        httpx.AsyncClient(base_url=base, timeout=10) as probe,
    ):
        await asyncio.gather(
            health_loop(probe, until, tally),
            *(
                client_loop(http, questions, 0.5, random.Random(rng.random()), until, tally)
                for _ in range(args.clients)
            ),
        )
    # The last answers arrive after `until`: throughput is over the whole time taken.
    return tally, time.monotonic() - started


def start_server(folder: Path, port: int, args: argparse.Namespace) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "MSS_QA_INDEX_DIR": str(folder / "index"),
        "MSS_QA_COLLECTION": "bench",
        "MSS_QA_GENERATOR": args.generator,
        "MSS_QA_MAX_WAITING": str(args.max_waiting),
        "MSS_QA_REQUEST_TIMEOUT_S": str(args.request_timeout),
        "MSS_QA_FEEDBACK_PATH": str(folder / "feedback.jsonl"),
    }
    cli = [sys.executable, "-m", "mss_qa.apps.cli"]
    subprocess.run([*cli, "ingest", str(_common.ROOT / "seeds")], env=env, check=True)
    return subprocess.Popen(
        [*cli, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_ready(base: str, server: subprocess.Popen[bytes], timeout_s: float = 600) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}")
        try:
            if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                return time.monotonic() - started
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server was not ready in time")


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="mss-qa-load-") as tmp:
        server = start_server(Path(tmp), port, args)
        try:
            ready_s = wait_ready(base, server)
            tally, seconds = asyncio.run(run_load(base, args))
            server_mib = server_memory_mib(server.pid)
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
    record(args, tally, seconds, ready_s, server_mib)


def server_memory_mib(pid: int) -> dict[str, float]:
    """The serving process's peak and current resident memory, and its proportional share
    (shared pages divided among the processes that map them), in MiB (Linux)."""
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text()
                  .splitlines() if ":" in line)
    rollup = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/smaps_rollup").read_text()
                  .splitlines()[1:] if ":" in line)

    def mib(value: str) -> float:
        return int(value.split()[0]) / 1024

    return {"peak RSS MiB": mib(status["VmHWM"]), "RSS MiB": mib(status["VmRSS"]),
            "PSS MiB": mib(rollup["Pss"])}


def record(args: argparse.Namespace, tally: Tally, seconds: float, ready_s: float,
           server_mib: dict[str, float]) -> None:
    p = _common.percentile
    asks = sum(tally.statuses[k] for k in ("2xx", "4xx", "5xx")) + tally.connection_errors
    ask_table = _common.table(
        [
            "clients",
            "s",
            "requests",
            "2xx",
            "429",
            "other 4xx",
            "5xx",
            "conn. errors",
            "answers/s",
            "p50 s",
            "p95 s",
            "p99 s",
            "max s",
        ],
        [
            [
                args.clients,
                seconds,
                asks,
                tally.statuses["2xx"],
                tally.statuses["429"],
                tally.statuses["4xx"] - tally.statuses["429"],
                tally.statuses["5xx"],
                tally.connection_errors,
                tally.statuses["2xx"] / seconds,
                p(tally.ask_ms, 50) / 1000,
                p(tally.ask_ms, 95) / 1000,
                p(tally.ask_ms, 99) / 1000,
                max(tally.ask_ms, default=float("nan")) / 1000,
            ]
        ],
    )
    health_table = _common.table(
        [
            "health checks",
            "failed",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "max ms",
            f"> {SLOW_HEALTH_MS:g} ms",
        ],
        [
            [
                len(tally.health_ms),
                tally.health_failures,
                p(tally.health_ms, 50),
                p(tally.health_ms, 95),
                p(tally.health_ms, 99),
                max(tally.health_ms, default=float("nan")),
                sum(1 for ms in tally.health_ms if ms > SLOW_HEALTH_MS),
            ]
        ],
    )
    memory_table = _common.table(["server " + k for k in server_mib], [list(server_mib.values())])
    answers = ", ".join(f"{k} {v}" for k, v in sorted(tally.answer_status.items()))
    codes = ", ".join(
        f"{k}: {v}" for k, v in sorted(tally.statuses.items()) if not k.endswith("xx")
    )
    _common.report(
        "bench_load",
        {
            "generator": args.generator,
            "clients": args.clients,
            "duration_s": args.duration,
            "max_waiting": args.max_waiting,
            "request_timeout_s": args.request_timeout,
            "repeated_share": 0.5,
        },
        ask_table + "\n\n" + health_table + "\n\n" + memory_table,
        args,
        notes=[
            f"server ready (index, models, warm-up) after {ready_s:.1f} s; then load",
            f"answers: {answers or 'none'}; status codes: {codes or 'none'}; connection "
            f"errors: {dict(tally.connection_error_kinds) or 'none'}",
            "latencies are of 2xx answers, queueing included; 429s were retried after Retry-After",
        ],
        extra_packages=("fastapi", "uvicorn", "httpx"),
    )


if __name__ == "__main__":
    main()
