"""Latency of the HTTP API over real HTTP: `safebot serve` runs in its own process and
clients post questions to POST /api/v1/message; first one client at a time, then 50
clients at once (each its own user). While the 50 run, /healthz is timed too: the engine
works on one worker thread, so health checks must stay fast while questions queue.
Last, the web page's transfer size (gzip, as a browser fetches it).

    python benchmarks/http_latency.py [--questions 200] [--clients 50] [--per-client 6]
"""

import argparse
import asyncio
import hashlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.evaluate import load_questions  # noqa: E402

KEY = "benchmark-key-0123456789abcdef"
ERRORS: list[int] = []  # status codes other than 200, 0 for a broken connection (still timed)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(port: int, data: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SAFEBOT_HTTP_API_KEYS": f"bench:{hashlib.sha256(KEY.encode()).hexdigest()}",
        "SAFEBOT_HTTP_RATE": "100000",
        "SAFEBOT_DATABASE_URL": f"sqlite:///{data / 'bench.sqlite3'}",
    }
    command = [sys.executable, "-m", "bot", "serve", "--port", str(port)]
    return subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def wait_ready(client: httpx.AsyncClient, deadline_s: float = 300) -> None:
    give_up = time.monotonic() + deadline_s
    while time.monotonic() < give_up:
        try:
            if (await client.get("/readyz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.5)
    raise SystemExit("the server did not become ready")


async def ask(client: httpx.AsyncClient, user: str, question: str) -> float:
    started = time.perf_counter()
    try:
        response = await client.post(
            "/api/v1/message", json={"text": question}, headers={"X-API-Key": KEY, "X-SafeBot-User": user}
        )
    except httpx.TransportError:
        ERRORS.append(0)
        return (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        ERRORS.append(response.status_code)
    return (time.perf_counter() - started) * 1000


async def run(args: argparse.Namespace, base: str) -> None:
    questions = [q.q for q in load_questions(ROOT / "tests" / "eval" / "questions.yaml")]
    limits = httpx.Limits(max_connections=args.clients + 10)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:
        await wait_ready(client)
        for i in range(5):  # warm up
            await ask(client, "warm", questions[i])
        single = [await ask(client, f"one-{i}", questions[i % len(questions)]) for i in range(args.questions)]

        health: list[float] = []
        stop = asyncio.Event()

        async def probe() -> None:
            while not stop.is_set():
                started = time.perf_counter()
                await client.get("/healthz")
                health.append((time.perf_counter() - started) * 1000)
                await asyncio.sleep(0.05)

        async def user(n: int) -> list[float]:
            return [
                await ask(client, f"many-{n}", questions[(n * args.per_client + j) % len(questions)])
                for j in range(args.per_client)
            ]

        prober = asyncio.create_task(probe())
        started = time.perf_counter()
        many = [ms for batch in await asyncio.gather(*(user(n) for n in range(args.clients))) for ms in batch]
        wall = time.perf_counter() - started
        stop.set()
        await prober

        page = raw = 0
        for path in ("/", "/static/app.js", "/static/style.css"):
            zipped = await client.get(path, headers={"Accept-Encoding": "gzip"})
            page += int(zipped.headers.get("content-length") or len(zipped.content))
            raw += len((await client.get(path, headers={"Accept-Encoding": "identity"})).content)

    print("| clients | requests | p50 ms | p95 ms | max ms | requests/s |")
    print("| --- | --- | --- | --- | --- | --- |")
    print(
        f"| 1 | {len(single)} | {percentile(single, 50):.0f} | {percentile(single, 95):.0f} | {max(single):.0f} | "
        f"{len(single) / (sum(single) / 1000):.1f} |"
    )
    print(
        f"| {args.clients} | {len(many)} | {percentile(many, 50):.0f} | {percentile(many, 95):.0f} | {max(many):.0f} | "
        f"{len(many) / wall:.1f} |"
    )
    print(
        f"\n/healthz during the {args.clients}-client run: p50 {percentile(health, 50):.1f} ms, "
        f"p95 {percentile(health, 95):.1f} ms, max {max(health):.1f} ms ({len(health)} probes)"
    )
    if ERRORS:
        print(f"not 200: {len(ERRORS)} responses ({', '.join(sorted({str(c) for c in ERRORS}))})")
    print(f"web page (/, app.js, style.css): {page / 1024:.1f} KiB transferred with gzip, {raw / 1024:.1f} KiB raw")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--per-client", type=int, default=6)
    args = parser.parse_args()
    port = free_port()
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(port, Path(tmp))
        try:
            asyncio.run(run(args, f"http://127.0.0.1:{port}"))
        finally:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    main()
