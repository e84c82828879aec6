"""The durable outbox against the fake Bot API server: exactly once to every reachable
chat despite 429s, 403s, vanished chats, 500s and timeouts; a sender killed half way
finishes after a restart with no loss and a bounded number of repeats."""

import asyncio
import collections
import datetime as dt
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from telegram import Bot

from bot.channels.telegram.delivery import deliverers, make_bot
from bot.reminders.schedule import TZ
from bot.reminders.sender import OutboxSender, TokenBucket
from bot.settings import Settings
from bot.store import Store, open_store
from bot.store.records import Profile
from tests.fake_telegram import TOKEN, FakeTelegram

SUBSCRIBERS = 2000
NOON = dt.datetime(2027, 6, 26, 12, 0, tzinfo=TZ)


def add_subscribers(store: Store, count: int, first: int = 100_000) -> list[int]:
    chats = list(range(first, first + count))
    for chat in chats:
        store.save_profile(Profile(chat, "parent", "primary", "zh"))
        store.subscribe(chat, ["drowning"])
    return chats


def send_due(fake: FakeTelegram, database: Path, now: str, rate: str) -> tuple[list[str], dict[str, str]]:
    """`safebot reminders send-due` as cron runs it, against the fake and `database`."""
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "SAFEBOT_TELEGRAM_BASE_URL": fake.url,
        "SAFEBOT_DATABASE_URL": f"sqlite:///{database}",
        "SAFEBOT_DATA_DIR": str(database.parent / "var"),
    }
    return [sys.executable, "-m", "bot", "reminders", "send-due", "--now", now, "--rate", rate], env


def bot_for(fake: FakeTelegram) -> Bot:
    """The sender's own Bot, with a read timeout shorter than the fake's 'hang'."""
    settings = Settings(telegram_token=TOKEN, telegram_base_url=fake.url)
    return make_bot(settings, read_timeout=0.5)


def test_broadcast_to_2000_with_faults_delivers_exactly_once(fake: FakeTelegram, store: Store, book) -> None:
    chats = add_subscribers(store, SUBSCRIBERS)
    blocked, gone = set(chats[10:40]), set(chats[40:60])
    for chat in blocked:
        fake.fail_chat(chat, "403")
    for chat in gone:
        fake.fail_chat(chat, "notfound")
    for chat in chats[100:110]:
        fake.fail_chat(chat, "429")
    for chat in chats[200:240]:
        fake.fail_chat(chat, "500", "500")
    for chat in chats[300:305]:
        fake.fail_chat(chat, "hang")
    reminder = book.get("summer-drowning-week-before")
    queued = store.enqueue(reminder.id, "2027-06-26", "drowning", ["parent"], ["primary"], ["zh"], True)
    assert queued == SUBSCRIBERS
    assert store.enqueue(reminder.id, "2027-06-26", "drowning", ["parent"], ["primary"], ["zh"], True) == 0

    async def run():
        async with bot_for(fake) as bot:
            return await OutboxSender(
                store,
                deliverers(bot),
                book,
                rate=0,
                concurrency=8,
                now=lambda: dt.datetime(2027, 6, 26, 18, 30, tzinfo=TZ),
            ).drain()

    summary = asyncio.run(run())
    counts = collections.Counter(chat for chat, _ in fake.delivered)
    reachable = set(chats) - blocked - gone
    assert set(counts) == reachable
    assert max(counts.values()) == 1
    assert (summary.sent, summary.deactivated, summary.failed, summary.remaining) == (len(reachable), 50, 0, 0)
    assert store.outbox_counts() == {"sent": len(reachable), "blocked": 50}
    assert store.count_recipients("drowning", ["parent"], ["primary"], ["zh"]) == len(reachable)
    ack = next(c.params for c in fake.calls if c.method == "sendMessage" and "reply_markup" in c.params)
    assert ack["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == f"ack:{reminder.id}:2027-06-26"


class FakeTime:
    """A clock that only moves when the bucket sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_token_bucket_holds_the_rate_and_pauses_everyone() -> None:
    time_ = FakeTime()
    bucket = TokenBucket(rate=200, burst=1, clock=time_.clock, sleep=time_.sleep)

    async def take(n: int) -> None:
        for _ in range(n):
            await bucket.take()

    asyncio.run(take(101))
    assert time_.now - 1000.0 == pytest.approx(0.5)  # 100 intervals at 200/s
    bucket.pause(2.0)
    start = time_.now
    asyncio.run(take(1))
    assert time_.now - start >= 2.0
    unlimited = TokenBucket(rate=0, clock=time_.clock, sleep=time_.sleep)
    unlimited.pause(3.0)
    start = time_.now
    asyncio.run(unlimited_take(unlimited))
    assert time_.now - start == pytest.approx(3.0), "a pause holds even without a rate limit"


async def unlimited_take(bucket: TokenBucket) -> None:
    await bucket.take()


def test_a_429_pauses_every_worker(fake: FakeTelegram, store: Store, book) -> None:
    chats = add_subscribers(store, 400)
    store.enqueue("summer-drowning-week-before", "2027-06-26", "drowning", ["parent"], ["primary"], ["zh"], True)
    fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 2", retry_after=2)

    sender: list[OutboxSender] = []

    async def run():
        async with bot_for(fake) as bot:
            sender.append(OutboxSender(store, deliverers(bot), book, rate=0, concurrency=8, now=lambda: NOON))
            return await sender[0].drain()

    summary = asyncio.run(run())
    sends = [c.at for c in fake.calls if c.method == "sendMessage"]
    assert len(sends) == len(chats) + 1
    # Both clocks are this process's monotonic clock. The pause starts when the sender
    # reads the 429; a request already on the wire then may land a moment later.
    paused_at = sender[0].bucket.resume_at - 2.0
    assert paused_at > sends[0]
    during = [t for t in sends if paused_at + 0.25 < t < paused_at + 2.0]
    assert during == [], f"{len(during)} messages sent while Telegram asked the bot to wait"
    assert summary.rate_limited == 1 and summary.sent == len(chats)
    assert collections.Counter(chat for chat, _ in fake.delivered) == dict.fromkeys(chats, 1)


def test_quiet_hours_stop_a_long_drain_and_it_resumes_in_the_morning(fake: FakeTelegram, store: Store, book) -> None:
    chats = add_subscribers(store, 120)
    store.enqueue("summer-drowning-week-before", "2027-06-26", "drowning", ["parent"], ["primary"], ["zh"], True)
    ticks = iter(range(10_000))

    def evening() -> dt.datetime:  # a second passes with every look at the clock: 21:29:00 + n s
        return dt.datetime(2027, 6, 26, 21, 29, tzinfo=TZ) + dt.timedelta(seconds=next(ticks))

    async def run(now):
        async with bot_for(fake) as bot:
            return await OutboxSender(store, deliverers(bot), book, rate=0, concurrency=4, now=now).drain()

    first = asyncio.run(run(evening))
    assert 0 < first.sent < 70, "stopped at 21:30"
    assert len(fake.delivered) == first.sent
    assert store.outbox_counts() == {"sent": first.sent, "pending": len(chats) - first.sent}
    assert first.remaining == len(chats) - first.sent
    assert asyncio.run(run(lambda: dt.datetime(2027, 6, 26, 23, 0, tzinfo=TZ))).sent == 0
    morning = asyncio.run(run(lambda: dt.datetime(2027, 6, 27, 7, 0, tzinfo=TZ)))
    assert morning.sent == len(chats) - first.sent
    assert collections.Counter(chat for chat, _ in fake.delivered) == dict.fromkeys(chats, 1)


def test_quiet_hours_hold_the_queue_at_the_start(fake: FakeTelegram, store: Store, book) -> None:
    add_subscribers(store, 5)
    store.enqueue("summer-drowning-week-before", "2027-06-26", "drowning", ["parent"], ["primary"], ["zh"], True)

    async def run():
        async with bot_for(fake) as bot:
            return await OutboxSender(
                store, deliverers(bot), book, now=lambda: dt.datetime(2027, 6, 26, 23, 0, tzinfo=TZ)
            ).drain()

    assert asyncio.run(run()).remaining == 5
    assert fake.delivered == []


def test_sender_killed_half_way_finishes_without_loss(fake: FakeTelegram, tmp_path: Path) -> None:
    database = tmp_path / "kill.sqlite3"
    store = open_store(f"sqlite:///{database}")
    chats = add_subscribers(store, SUBSCRIBERS)
    store.close()
    command, env = send_due(fake, database, "2027-06-26T18:35", "400")
    first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        fake.wait_for(lambda f: len(f.delivered) >= SUBSCRIBERS // 2, timeout=120)
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
            first.communicate()
    assert first.returncode == -signal.SIGKILL
    assert len(fake.delivered) < SUBSCRIBERS, "killed before the end"
    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert second.returncode == 0, second.stderr
    counts = collections.Counter(fake.delivered)  # per chat and message: several reminders are due at once
    reminders_due = len({message for _, message in counts})
    assert reminders_due >= 1
    assert {chat for chat, _ in counts} == set(chats) and len(counts) == SUBSCRIBERS * reminders_due, "no loss"
    repeats = [key for key, n in counts.items() if n > 1]
    assert all(counts[key] == 2 for key in repeats)
    assert len(repeats) <= 8, "at most the rows in flight at the kill (concurrency 8) are sent twice"


ROWS = 5000


@pytest.mark.slow
def test_two_sender_processes_deliver_every_row_exactly_once(fake: FakeTelegram, tmp_path: Path) -> None:
    """cron's `send-due` beside another `send-due` (or `safebot run`): rows are claimed
    atomically, so nothing is sent twice."""
    database = tmp_path / "two.sqlite3"
    store = open_store(f"sqlite:///{database}")
    chats = add_subscribers(store, ROWS)
    broadcast = store.draft_broadcast("暑假防溺水：六不一会，记住了吗？")
    assert store.enqueue_broadcast(broadcast) == ROWS
    store.close()
    command, env = send_due(fake, database, "2027-03-03T10:00", "0")
    senders = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)
    ]
    outputs = [p.communicate(timeout=600) for p in senders]
    assert [p.returncode for p in senders] == [0, 0], outputs
    sent = [int(out.split("sent ", 1)[1].split(",")[0]) for out, _ in outputs]
    assert min(sent) > 0, f"both senders worked: {sent}"
    counts = collections.Counter(fake.delivered)
    assert {chat for chat, _ in counts} == set(chats)
    assert max(counts.values()) == 1, f"{sum(n > 1 for n in counts.values())} rows delivered twice"
