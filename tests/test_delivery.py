"""The outbox is channel-neutral: rows name their channel, a sender claims only the
channels it has a deliverer for, and the Telegram deliverer turns Telegram's errors into
the one small result type (sent / retry after / blocked / failed)."""

import asyncio
import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from telegram import error as tg

from bot.channels.telegram.delivery import TelegramDeliverer
from bot.engine.contract import Button, Reply
from bot.reminders.delivery import Blocked, Failed, Result, RetryAfter, Sent
from bot.reminders.schedule import TZ
from bot.reminders.sender import OutboxSender
from bot.store import Store, open_store
from bot.store.migrations.sqlite import MIGRATIONS
from bot.store.records import Profile

NOON = dt.datetime(2027, 6, 26, 12, 0, tzinfo=TZ)


class RaisingBot:
    """Stands in for telegram.Bot: send_message raises what it is given, else records."""

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.sent: list[dict[str, Any]] = []

    async def send_message(self, chat_id: int, text: str, **options: Any) -> None:
        if self.error is not None:
            raise self.error
        self.sent.append({"chat_id": chat_id, "text": text, **options})


@pytest.mark.parametrize(
    ("error", "result"),
    [
        (None, Sent()),
        (tg.RetryAfter(dt.timedelta(seconds=7)), RetryAfter(7.0)),
        (tg.Forbidden("Forbidden: bot was blocked by the user"), Blocked("blocked by the user")),
        (tg.BadRequest("Bad Request: chat not found"), Blocked("chat not found")),
        (tg.BadRequest("Bad Request: message is too long"), Failed("Message is too long")),
        (tg.TimedOut(), Failed("TimedOut", transient=True)),
        (tg.NetworkError("Bad Gateway"), Failed("NetworkError", transient=True)),
    ],
)
def test_telegram_errors_become_one_small_result(error: Exception | None, result: Result) -> None:
    bot = RaisingBot(error)
    reply = Reply("<b>别下水</b> & 结伴", ((Button("已阅", "ack:r:2027-06-26"),),))
    assert asyncio.run(TelegramDeliverer(bot).deliver(42, reply)) == result  # type: ignore[arg-type]
    if error is None:
        [sent] = bot.sent
        assert sent["text"] == "&lt;b&gt;别下水&lt;/b&gt; &amp; 结伴" and sent["parse_mode"] == "HTML"
        assert sent["reply_markup"].inline_keyboard[0][0].callback_data == "ack:r:2027-06-26"


def test_an_invalid_token_is_not_mapped_it_stops_the_sender() -> None:
    with pytest.raises(tg.InvalidToken):
        asyncio.run(TelegramDeliverer(RaisingBot(tg.InvalidToken())).deliver(1, Reply("x")))  # type: ignore[arg-type]


class Recorder:
    """A deliverer for a channel that is not Telegram."""

    def __init__(self, *results: Result) -> None:
        self.results = list(results)
        self.delivered: list[tuple[int, Reply]] = []

    async def deliver(self, chat_id: int, reply: Reply) -> Result:
        self.delivered.append((chat_id, reply))
        return self.results.pop(0) if self.results else Sent()


def _rows_for(store: Store, chats: list[int], channel: str) -> None:
    """Outbox rows as a future channel's enqueue would write them."""
    with sqlite3.connect(store_path(store)) as db:
        db.executemany(
            "INSERT INTO outbox (reminder_id, occurrence, chat_id, lang, ack, channel)"
            " VALUES ('summer-drowning-week-before', '2027-06-26', ?, 'zh', 1, ?)",
            [(c, channel) for c in chats],
        )


def store_path(store: Store) -> str:
    return str(store._db.execute("PRAGMA database_list").fetchone()[2])


def test_reminders_are_queued_for_telegram_and_each_sender_claims_its_own_channel(store: Store, book) -> None:
    store.save_profile(Profile(7, "parent", "primary", "zh"))
    store.subscribe(7, ["drowning"])
    assert store.enqueue("summer-drowning-week-before", "2027-06-26", "drowning", ["parent"], ["primary"], ["zh"], True)
    _rows_for(store, [900, 901], "wecom")
    telegram, wecom = Recorder(), Recorder(Failed("busy", transient=True), Blocked("left"))

    summary = asyncio.run(OutboxSender(store, {"telegram": telegram}, book, rate=0, now=lambda: NOON).drain())
    assert [chat for chat, _ in telegram.delivered] == [7] and summary.sent == 1
    assert store.outbox_counts() == {"sent": 1, "pending": 2}, "another channel's rows are left alone"
    [(_, reply)] = telegram.delivered
    assert reply.buttons[0][0].data == "ack:summer-drowning-week-before:2027-06-26" and "溺" in reply.text

    sender = OutboxSender(store, {"wecom": wecom}, book, rate=0, now=lambda: NOON)
    summary = asyncio.run(sender.drain())
    assert (summary.sent, summary.deactivated, summary.retried) == (1, 1, 1)
    assert [chat for chat, _ in wecom.delivered] == [900, 901, 900]
    assert store.outbox_counts() == {"sent": 2, "blocked": 1}


def test_a_retry_after_pauses_the_sender_and_the_row_is_sent_after_it(store: Store, book) -> None:
    _rows_for(store, [5], "telegram")
    pauses: list[float] = []
    sender = OutboxSender(store, {"telegram": Recorder(RetryAfter(0.01))}, book, rate=0, now=lambda: NOON)
    original = sender.bucket.pause
    sender.bucket.pause = lambda seconds: (pauses.append(seconds), original(seconds))[1]  # type: ignore[method-assign]
    summary = asyncio.run(sender.drain())
    assert pauses == [0.01] and (summary.rate_limited, summary.sent) == (1, 1)


def test_rows_queued_before_the_channel_column_are_telegram_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        for _name, script in MIGRATIONS[:4]:
            for statement in script.split(";"):
                if statement.strip():
                    db.execute(statement)
        db.execute("INSERT INTO outbox (reminder_id, occurrence, chat_id, lang) VALUES ('r', 'o', 1, 'zh')")
        db.execute("PRAGMA user_version = 4")
    store = open_store(f"sqlite:///{path}")
    try:
        [row] = store.claim("w", now=1.0, limit=5, lease=10)
        assert (row.chat_id, row.channel) == (1, "telegram")
        assert store.claim("w2", now=1.0, limit=5, lease=10, channels=("web",)) == []
    finally:
        store.close()
