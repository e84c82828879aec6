"""Draining the outbox at a steady rate. Telegram allows a bot about 30 messages a
second, so a province-wide reminder is a queue that drains over hours; the queue lives in
the database so it survives restarts.

Each row names its channel; the sender claims the rows of the channels it has a
deliverer for (`bot.reminders.delivery`) and hands each row to that channel's deliverer, which
answers in one small result type. The sender knows no channel's errors or formats.

Rows are claimed atomically with a lease (`Store.claim`), so two senders (cron
`send-due` beside `safebot run`) never hold the same row. A row stays 'sending' from its
claim until it is marked sent, so a sender killed mid-request leaves at most
`concurrency` rows in doubt; another sender reclaims them when the lease ends (at once
when the dead holder was a process on this machine) and sends them again: at most one
duplicate each, never a loss. A request that timed out may also have arrived, and is
retried: again at most one duplicate.

A channel's `RetryAfter` (Telegram's 429) is for the whole bot, so it pauses every
worker, and quiet hours are checked before every message, not only when a run starts."""

import asyncio
import dataclasses
import datetime as dt
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping

from tqdm import tqdm

from bot.engine.callbacks import encode
from bot.engine.contract import Button, Reply
from bot.reminders.book import ReminderBook
from bot.reminders.delivery import Blocked, Deliverer, Failed, RetryAfter, Sent
from bot.reminders.schedule import in_quiet_hours
from bot.store import Store
from bot.store.records import OutboxRow
from bot.texts import text

logger = logging.getLogger(__name__)

DEFAULT_RATE = 25.0  # messages a second, below Telegram's ~30
MAX_ATTEMPTS = 5
LEASE_SECONDS = 60.0  # renewed while the sender works; another sender may reclaim after it
CLAIM_BATCH = 50


@dataclasses.dataclass
class Summary:
    sent: int = 0
    failed: int = 0
    deactivated: int = 0
    retried: int = 0
    remaining: int = 0
    rate_limited: int = 0  # 429 answers, each pausing the whole sender


class TokenBucket:
    """`rate` sends a second on average, bursts of at most `burst` (rate 0: no limit).
    `pause` stops every taker until a deadline: Telegram's retry_after is per bot.
    The clock and the sleep are injected so tests need not wait."""

    def __init__(
        self,
        rate: float,
        burst: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.rate = rate
        self.capacity = burst if burst is not None else max(1.0, rate / 5)
        self._tokens = self.capacity
        self._clock = clock
        self._sleep = sleep
        self._last = clock()
        self._resume_at = 0.0
        self._lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        self._resume_at = max(self._resume_at, self._clock() + seconds)
        self._tokens = 0.0

    @property
    def resume_at(self) -> float:
        """When the last pause ends (on the bucket's clock; 0 if it never paused)."""
        return self._resume_at

    async def take(self) -> None:
        async with self._lock:
            while True:
                now = self._clock()
                if now < self._resume_at:
                    await self._sleep(self._resume_at - now)
                    self._last = self._clock()
                    continue
                if self.rate <= 0:
                    return
                self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
                self._last = now
                if self._tokens >= 1 - 1e-9:  # float sums of refills land just under 1
                    self._tokens = max(0.0, self._tokens - 1)
                    return
                await self._sleep((1 - self._tokens) / self.rate)


class OutboxReplies:
    """What an outbox row says, for the sender and for the inbox alike: the reminder's (or
    broadcast's) text in the row's language and, when the row asks for one, its 已阅
    button. Texts are cached per reminder and language: a province's rows share a few."""

    def __init__(self, store: Store, book: ReminderBook) -> None:
        self.store = store
        self.book = book
        self._texts: dict[tuple[str, str], str] = {}

    def of(self, row: OutboxRow) -> Reply | None:
        """None when the reminder or broadcast no longer exists."""
        body = self._text(row)
        if body is None:
            return None
        buttons: tuple[tuple[Button, ...], ...] = ()
        if row.ack:
            buttons = ((Button(text("btn_ack", row.lang), encode("ack", row.reminder_id, row.occurrence)),),)
        return Reply(body, buttons)

    def _text(self, row: OutboxRow) -> str | None:
        key = (row.reminder_id, row.lang)
        if key not in self._texts:
            if row.reminder_id.startswith("broadcast-"):
                found = self.store.broadcast(int(row.reminder_id.removeprefix("broadcast-")))
                if found is None:
                    return None
                self._texts[key] = found[0]
            else:
                reminder = self.book.get(row.reminder_id)
                if reminder is None:
                    return None
                self._texts[key] = self.book.render(reminder, row.lang)
        return self._texts[key]


class OutboxSender:
    def __init__(
        self,
        store: Store,
        deliverers: Mapping[str, Deliverer],
        book: ReminderBook,
        rate: float = DEFAULT_RATE,
        concurrency: int = 8,
        max_attempts: int = MAX_ATTEMPTS,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        bucket: TokenBucket | None = None,
        lease: float = LEASE_SECONDS,
    ) -> None:
        self.store = store
        self.deliverers = dict(deliverers)
        self.channels = tuple(sorted(self.deliverers))
        self.book = book
        self.bucket = bucket or TokenBucket(rate)
        self.concurrency = concurrency
        self.max_attempts = max_attempts
        self.now = now
        self.lease = lease
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.summary = Summary()
        self.replies = OutboxReplies(store, book)
        self._quiet = False

    async def drain(self, show_progress: bool = False, wait_for_retries: bool = True) -> Summary:
        """Send every due row; with `wait_for_retries`, also wait out backoffs so the
        run ends with every row sent, failed or blocked. Stops, giving its rows back,
        as soon as quiet hours begin."""
        self._quiet = in_quiet_hours(self.now())
        self._reclaim_from_dead_senders()
        total = self.store.outbox_counts().get("pending", 0)
        with tqdm(total=total, unit="msg", desc="sending", disable=not show_progress) as bar:
            while not self._quiet:
                rows = self.store.claim(self.worker, time.time(), CLAIM_BATCH, self.lease, self.channels)
                if not rows:
                    next_due = self.store.next_due_at(self.channels)
                    if next_due is None or not wait_for_retries:
                        break
                    await asyncio.sleep(max(0.0, min(next_due - time.time(), 5.0)))
                    continue
                queue: asyncio.Queue[OutboxRow] = asyncio.Queue()
                for row in rows:
                    queue.put_nowait(row)
                await asyncio.gather(*(self._worker(queue, bar) for _ in range(self.concurrency)))
        self.store.release(self.worker)
        self.summary.remaining = self.store.outbox_counts().get("pending", 0)
        return self.summary

    def _reclaim_from_dead_senders(self) -> None:
        """A sender on this machine whose process is gone will never finish its rows."""
        host = socket.gethostname()
        dead = []
        for holder in self.store.lease_holders():
            name, _, rest = holder.partition(":")
            pid = rest.partition(":")[0]
            if name == host and pid.isdigit() and not _alive(int(pid)):
                dead.append(holder)
        if dead:
            self.store.expire_leases(dead)

    async def _worker(self, queue: "asyncio.Queue[OutboxRow]", bar: tqdm) -> None:
        while not queue.empty():
            row = queue.get_nowait()
            done = await self._deliver(row)
            if done:
                bar.update(1)

    async def _deliver(self, row: OutboxRow) -> bool:
        """Returns True when the row is finished (sent, failed or blocked)."""
        if self._quiet or in_quiet_hours(self.now()):
            self._quiet = True
            self.store.release(self.worker, [row.id])
            return False
        reply = self.replies.of(row)
        if reply is None:
            self.store.mark(row.id, "failed", error="reminder no longer exists")
            self.summary.failed += 1
            return True
        deliverer = self.deliverers[row.channel]
        while True:
            await self.bucket.take()
            result = await deliverer.deliver(row.chat_id, reply)
            match result:
                case RetryAfter(seconds):
                    logger.warning("rate limited by %s: every worker pauses %.1f s", row.channel, seconds)
                    self.summary.rate_limited += 1
                    self.bucket.pause(seconds)
                    self.store.renew_leases(self.worker, time.time() + seconds + self.lease)
                    continue
                case Blocked(reason):
                    return self._blocked(row, reason)
                case Failed(reason, transient=True):  # e.g. a timeout: it may have arrived; see above
                    return self._retry_later(row, reason)
                case Failed(reason):
                    self.store.mark(row.id, "failed", error=reason[:200])
                    self.summary.failed += 1
                    return True
                case Sent():
                    self.store.mark(row.id, "sent")
                    self.summary.sent += 1
                    return True

    def _blocked(self, row: OutboxRow, reason: str) -> bool:
        self.store.deactivate(row.chat_id)
        self.store.mark(row.id, "blocked", error=reason)
        self.summary.deactivated += 1
        return True

    def _retry_later(self, row: OutboxRow, reason: str) -> bool:
        if row.attempts + 1 >= self.max_attempts:
            self.store.mark(row.id, "failed", error=reason)
            self.summary.failed += 1
            return True
        backoff = min(60.0, 0.5 * 2**row.attempts)
        self.store.mark(row.id, "pending", error=reason, retry_at=time.time() + backoff)
        self.summary.retried += 1
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
