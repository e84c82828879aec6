"""The reminder outbox: enqueueing one occurrence for 100,000 subscribers (time and peak
Python memory: the database streams the rows, Python never holds them), then sender
throughput against the fake Bot API server of the tests, with the rate limit lifted and
with the default limit.

    python benchmarks/outbox.py [--subscribers 100000] [--unlimited 5000] [--limited 300]
"""

import argparse
import asyncio
import datetime as dt
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


from bot.reminders import TZ, load_reminders  # noqa: E402
from bot.sender import DEFAULT_RATE, OutboxSender  # noqa: E402
from bot.settings import REPO_KNOWLEDGE, Settings  # noqa: E402
from bot.store import Store  # noqa: E402
from bot.telegram import make_bot  # noqa: E402
from index.knowledge import load_knowledge  # noqa: E402
from tests.fake_telegram import TOKEN  # noqa: E402

SERVE = (
    "import time; from tests.fake_telegram import FakeTelegram; "
    "print(FakeTelegram().start(), flush=True); time.sleep(3600)"
)

NOW = dt.datetime(2027, 6, 26, 18, 35, tzinfo=TZ)


def add_subscribers(store: Store, count: int, first: int) -> None:
    rows = [(chat, "parent", "primary", "zh", "", "") for chat in range(first, first + count)]
    with store._lock:  # bulk load for the benchmark only
        store._db.executemany(
            "INSERT INTO profiles (chat_id, role, grade, lang, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)", rows
        )
        store._db.executemany(
            "INSERT INTO subscriptions (chat_id, topic) VALUES (?, 'drowning')", [(r[0],) for r in rows]
        )


async def send(store: Store, book, url: str, rate: float) -> tuple[int, float, float]:  # type: ignore[no-untyped-def]
    async with make_bot(Settings(telegram_token=TOKEN, telegram_base_url=url)) as bot:
        sender = OutboxSender(store, bot, book, rate=rate, concurrency=8, now=lambda: NOW)
        start, cpu = time.perf_counter(), time.process_time()
        summary = await sender.drain()
        return summary.sent, time.perf_counter() - start, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--unlimited", type=int, default=5000)
    parser.add_argument("--limited", type=int, default=300)
    args = parser.parse_args()
    book = load_reminders(load_knowledge(REPO_KNOWLEDGE))
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{tmp}/bench.sqlite3")
        add_subscribers(store, args.subscribers, 1)
        tracemalloc.start()
        start = time.perf_counter()
        queued = store.enqueue(
            "summer-drowning-week-before", "2027-06-26", "drowning", ["parent"], ["primary"], ["zh"], True
        )
        enqueue_s = time.perf_counter() - start
        peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        store.close()

        # The fake server runs in its own process, as Telegram would: in this one it would
        # compete with the sender for the interpreter lock and measure itself.
        server = subprocess.Popen([sys.executable, "-c", SERVE], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        results = []
        for label, count, rate in (
            ("rate limit lifted", args.unlimited, 0.0),
            (f"default limit ({DEFAULT_RATE:g}/s)", args.limited, DEFAULT_RATE),
        ):
            small = Store(f"sqlite:///{tmp}/{count}-{rate}.sqlite3")
            add_subscribers(small, count, 10_000_000)
            small.enqueue(
                "summer-drowning-week-before", "2027-06-26", "drowning", ["parent"], ["primary"], ["zh"], True
            )
            sent, seconds, cpu = asyncio.run(send(small, book, url, rate))
            small.close()
            results.append((label, sent, seconds, cpu))
        server.terminate()
        server.wait()
    print(
        f"enqueue one occurrence for {args.subscribers:,} subscribers: {queued:,} rows in {enqueue_s:.2f} s, "
        f"peak Python memory {peak_mb:.2f} MB\n"
    )
    print(f"{'sender':<28} {'messages':>9} {'seconds':>8} {'msg/s':>8} {'sender CPU ms/msg':>18}")
    for label, sent, seconds, cpu in results:
        print(f"{label:<28} {sent:>9} {seconds:>8.2f} {sent / seconds:>8.1f} {cpu * 1000 / sent:>18.2f}")
    print(
        "\n(the fake server runs in its own process on the same 2 cores; 1000 / (sender CPU ms/msg) is what\n"
        " the sender alone could push through one core)"
    )


if __name__ == "__main__":
    main()
