"""The reminder outbox: enqueueing one occurrence for 100,000 subscribers (time and peak
Python memory: the database streams the rows, Python never holds them), then sender
throughput against the fake Bot API server of the tests, with the rate limit lifted and
with the default limit; then the delivery guarantees under faults, counted at the fake:
two concurrent sender processes, a 429, a sender killed mid-drain, and timeouts on
messages that did arrive.

    python benchmarks/outbox.py [--subscribers 100000] [--unlimited 5000] [--limited 300] [--faults 2000]
"""

import argparse
import asyncio
import collections
import datetime as dt
import os
import signal
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


from bot.channels.telegram.delivery import deliverers, make_bot  # noqa: E402
from bot.reminders.book import load_reminders  # noqa: E402
from bot.reminders.schedule import TZ  # noqa: E402
from bot.reminders.sender import DEFAULT_RATE, OutboxSender  # noqa: E402
from bot.settings import REPO_KNOWLEDGE, Settings  # noqa: E402
from bot.store import Store, open_store  # noqa: E402
from index.knowledge import load_knowledge  # noqa: E402
from tests.fake_telegram import TOKEN, FakeTelegram  # noqa: E402

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


async def send(store: Store, book, url: str, rate: float) -> tuple[int, float, float]:
    async with make_bot(Settings(telegram_token=TOKEN, telegram_base_url=url)) as bot:
        sender = OutboxSender(store, deliverers(bot), book, rate=rate, concurrency=8, now=lambda: NOW)
        start, cpu = time.perf_counter(), time.process_time()
        summary = await sender.drain()
        return summary.sent, time.perf_counter() - start, time.process_time() - cpu


def _sender_processes(fake: FakeTelegram, database: Path, count: int) -> list[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "SAFEBOT_TELEGRAM_BASE_URL": fake.url,
        "SAFEBOT_DATABASE_URL": f"sqlite:///{database}",
        "SAFEBOT_DATA_DIR": str(database.parent / "var"),
    }
    command = [sys.executable, "-m", "bot", "reminders", "send-due", "--now", "2027-03-03T10:00", "--rate", "0"]
    return [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(count)
    ]


def _broadcast_store(path: Path, rows: int) -> None:
    store = open_store(f"sqlite:///{path}")
    add_subscribers(store, rows, 1)
    store.enqueue_broadcast(store.draft_broadcast("暑假防溺水"))
    store.close()


def _twice(fake: FakeTelegram) -> int:
    return sum(n - 1 for n in collections.Counter(fake.delivered).values() if n > 1)


def faults(tmp: Path, rows: int, book) -> list[tuple[str, int, str]]:
    """Each fault against an in-process fake (speed does not matter here, counts do)."""
    results = []
    fake = FakeTelegram()
    fake.start()
    try:
        _broadcast_store(tmp / "two.sqlite3", rows)
        for proc in _sender_processes(fake, tmp / "two.sqlite3", 2):
            proc.wait(timeout=600)
        results.append((f"two sender processes, {rows} rows: delivered twice", _twice(fake), "0"))

        fake.delivered.clear(), fake.calls.clear()
        store = open_store(f"sqlite:///{tmp / '429.sqlite3'}")
        add_subscribers(store, 400, 1)
        store.enqueue("summer-drowning-week-before", "2027-06-26", "drowning", ["parent"], ["primary"], ["zh"], True)
        fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 2", retry_after=2)
        asyncio.run(send(store, book, fake.url, 0.0))
        store.close()
        sends = [c.at for c in fake.calls if c.method == "sendMessage"]
        during = sum(sends[0] + 0.5 < t < sends[0] + 2.0 for t in sends)  # 0.5 s: requests already on the wire
        results.append(("one 429 (retry_after 2 s): messages sent in the window", during, "0"))

        fake.delivered.clear()
        _broadcast_store(tmp / "kill.sqlite3", rows)
        [first] = _sender_processes(fake, tmp / "kill.sqlite3", 1)
        fake.wait_for(lambda f: len(f.delivered) >= rows // 2, timeout=300)
        first.send_signal(signal.SIGKILL)
        first.wait()
        [second] = _sender_processes(fake, tmp / "kill.sqlite3", 1)
        second.wait(timeout=600)
        lost = rows - len(set(fake.delivered))
        results.append(
            (f"SIGKILL half way, restarted: delivered twice (lost {lost})", _twice(fake), "<= 8 (concurrency)")
        )

        fake.delivered.clear()
        store = open_store(f"sqlite:///{tmp / 'late.sqlite3'}")
        chats = list(range(1, 301))
        add_subscribers(store, len(chats), 1)
        for chat in chats[:20]:
            fake.fail_chat(chat, "late")
        store.enqueue("summer-drowning-week-before", "2027-06-26", "drowning", ["parent"], ["primary"], ["zh"], True)

        async def late() -> None:
            async with make_bot(Settings(telegram_token=TOKEN, telegram_base_url=fake.url), read_timeout=0.5) as bot:
                await OutboxSender(store, deliverers(bot), book, rate=0, concurrency=8, now=lambda: NOW).drain()

        asyncio.run(late())
        store.close()
        results.append(
            ("20 timeouts on messages that arrived: delivered twice", _twice(fake), "<= 20 (one per timeout)")
        )
    finally:
        fake.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--unlimited", type=int, default=5000)
    parser.add_argument("--limited", type=int, default=300)
    parser.add_argument("--faults", type=int, default=2000, help="rows for the fault runs")
    args = parser.parse_args()
    book = load_reminders(load_knowledge(REPO_KNOWLEDGE))
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{tmp}/bench.sqlite3")
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
            small = open_store(f"sqlite:///{tmp}/{count}-{rate}.sqlite3")
            add_subscribers(small, count, 10_000_000)
            small.enqueue(
                "summer-drowning-week-before", "2027-06-26", "drowning", ["parent"], ["primary"], ["zh"], True
            )
            sent, seconds, cpu = asyncio.run(send(small, book, url, rate))
            small.close()
            results.append((label, sent, seconds, cpu))
        server.terminate()
        server.wait()
        guarantees = faults(Path(tmp), args.faults, book)
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
    print(f"\n{'fault':<62} {'count':>6}  bound")
    for label, count, bound in guarantees:
        print(f"{label:<62} {count:>6}  {bound}")


if __name__ == "__main__":
    main()
