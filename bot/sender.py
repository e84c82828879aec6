"""Draining the outbox to Telegram at a steady rate. Telegram allows a bot about 30
messages a second, so a province-wide reminder is a queue that drains over hours; the
queue lives in the database so it survives restarts.

Each row is marked 'sending' just before its request and 'sent' right after, so a
sender killed in between leaves at most `concurrency` rows in doubt; those are sent
again on restart (`Store.recover_in_flight`): at most one duplicate each, never a loss."""

import asyncio
import dataclasses
import datetime as dt
import html
import logging
import time
from collections.abc import Callable

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from tqdm import tqdm

from bot.messages import text
from bot.reminders import ReminderBook, in_quiet_hours
from bot.store import OutboxRow, Store

logger = logging.getLogger(__name__)

DEFAULT_RATE = 25.0  # messages a second, below Telegram's ~30
MAX_ATTEMPTS = 5


@dataclasses.dataclass
class Summary:
    sent: int = 0
    failed: int = 0
    deactivated: int = 0
    retried: int = 0
    remaining: int = 0


class TokenBucket:
    """`rate` sends a second on average, bursts of at most `burst`."""

    def __init__(self, rate: float, burst: float | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.capacity = burst if burst is not None else max(1.0, rate / 5)
        self._tokens = self.capacity
        self._clock = clock
        self._last = clock()
        self._lock = asyncio.Lock()

    async def take(self) -> None:
        if self.rate <= 0:
            return
        async with self._lock:
            while True:
                now = self._clock()
                self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
                self._last = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await asyncio.sleep((1 - self._tokens) / self.rate)


class OutboxSender:
    def __init__(self, store: Store, bot: Bot, book: ReminderBook, rate: float = DEFAULT_RATE,
                 concurrency: int = 8, max_attempts: int = MAX_ATTEMPTS,
                 now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)) -> None:
        self.store = store
        self.bot = bot
        self.book = book
        self.bucket = TokenBucket(rate)
        self.concurrency = concurrency
        self.max_attempts = max_attempts
        self.now = now
        self.summary = Summary()
        self._texts: dict[tuple[str, str], str] = {}

    async def drain(self, show_progress: bool = False, wait_for_retries: bool = True) -> Summary:
        """Send every due row; with `wait_for_retries`, also wait out backoffs so the
        run ends with every row sent, failed or blocked."""
        if in_quiet_hours(self.now()):
            self.summary.remaining = self.store.outbox_counts().get("pending", 0)
            return self.summary
        self.store.recover_in_flight()
        total = self.store.outbox_counts().get("pending", 0)
        with tqdm(total=total, unit="msg", desc="sending", disable=not show_progress) as bar:
            while True:
                rows = self.store.due_rows(time.time(), limit=500)
                if not rows:
                    next_due = self.store.next_due_at()
                    if next_due is None or not wait_for_retries:
                        break
                    await asyncio.sleep(max(0.0, min(next_due - time.time(), 5.0)))
                    continue
                queue: asyncio.Queue[OutboxRow] = asyncio.Queue()
                for row in rows:
                    queue.put_nowait(row)
                await asyncio.gather(*(self._worker(queue, bar) for _ in range(self.concurrency)))
        self.summary.remaining = self.store.outbox_counts().get("pending", 0)
        return self.summary

    async def _worker(self, queue: "asyncio.Queue[OutboxRow]", bar: tqdm) -> None:
        while not queue.empty():
            row = queue.get_nowait()
            done = await self._deliver(row)
            if done:
                bar.update(1)

    async def _deliver(self, row: OutboxRow) -> bool:
        """Returns True when the row is finished (sent, failed or blocked)."""
        body = self._text(row)
        if body is None:
            self.store.mark(row.id, "failed", error="reminder no longer exists")
            self.summary.failed += 1
            return True
        markup = None
        if row.ack:
            label = text("btn_ack", row.lang)
            markup = InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=f"ack:{row.reminder_id}:"
                                                                 f"{row.occurrence}")]])
        self.store.mark(row.id, "sending")
        while True:
            await self.bucket.take()
            try:
                await self.bot.send_message(row.chat_id, html.escape(body, quote=False), parse_mode=ParseMode.HTML,
                                            reply_markup=markup)
            except RetryAfter as exc:
                delay = exc.retry_after
                seconds = delay.total_seconds() if isinstance(delay, dt.timedelta) else float(delay)
                logger.warning("rate limited by Telegram: pausing %.1f s", seconds)
                await asyncio.sleep(seconds)
                continue
            except Forbidden:
                return self._blocked(row, "blocked by the user")
            except BadRequest as exc:
                if "chat not found" in exc.message.lower():
                    return self._blocked(row, "chat not found")
                self.store.mark(row.id, "failed", error=exc.message[:200])
                self.summary.failed += 1
                return True
            except (TimedOut, NetworkError) as exc:  # TimedOut: it may have arrived; see the module docstring
                return self._retry_later(row, exc.__class__.__name__)
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
        backoff = min(60.0, 0.5 * 2 ** row.attempts)
        self.store.mark(row.id, "pending", error=reason, retry_at=time.time() + backoff)
        self.summary.retried += 1
        return False

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
