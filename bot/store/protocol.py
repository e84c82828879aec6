"""`Store`: what the engine, the reminders, the channels and the CLI may ask of a store,
whatever the database. SQLite implements it today (bot/store/sqlite.py); a PostgreSQL
backend implements the same methods and passes the same contract tests
(tests/test_store_contract.py)."""

import datetime as dt
from typing import Protocol

from bot.store.records import INBOX_LIMIT, TELEGRAM, OutboxRow, Profile


class Store(Protocol):
    def applied_migrations(self) -> list[tuple[int, str]]:
        """(number, name) of every migration this database recorded, in order."""
        ...

    def close(self) -> None: ...

    # -- chats ---------------------------------------------------------------------------

    def profile(self, chat_id: int) -> Profile | None: ...

    def save_profile(self, profile: Profile) -> None: ...

    def forget(self, chat_id: int) -> None:
        """Delete everything kept about a chat, its identities too."""
        ...

    def chat_for(self, channel: str, external_id: str, *, create: bool = True) -> int | None:
        """The internal chat id of (channel, external id), made on first sight unless
        `create` is false; never reused after /forget."""
        ...

    def identities(self, chat_id: int) -> list[tuple[str, str]]:
        """Every (channel, external id) that is this chat."""
        ...

    # -- subscriptions -------------------------------------------------------------------

    def subscribe(self, chat_id: int, topics: list[str]) -> None: ...

    def unsubscribe(self, chat_id: int, topics: list[str] | None = None) -> None: ...

    def subscriptions(self, chat_id: int) -> list[str]: ...

    def count_recipients(self, topic: str, audiences: list[str], grades: list[str], langs: list[str]) -> int: ...

    def deactivate(self, chat_id: int) -> None:
        """The user blocked the bot, or the chat is gone: stop sending."""
        ...

    # -- the outbox ----------------------------------------------------------------------

    def enqueue(
        self,
        reminder_id: str,
        occurrence: str,
        topic: str,
        audiences: list[str],
        grades: list[str],
        langs: list[str],
        ack: bool,
        not_before: float = 0.0,
    ) -> int:
        """One row per matching subscriber; the same occurrence twice adds nothing."""
        ...

    def enqueue_broadcast(self, broadcast_id: int) -> int: ...

    def claim(
        self, worker: str, now: float, limit: int, lease: float, channels: tuple[str, ...] = (TELEGRAM,)
    ) -> list[OutboxRow]:
        """Up to `limit` due rows for `worker`, atomically: two claimers never hold the
        same row; a row whose lease ended is claimed again."""
        ...

    def take_inbox(self, chat_id: int, now: float, limit: int = INBOX_LIMIT) -> list[OutboxRow]: ...

    def renew_leases(self, worker: str, until: float) -> None: ...

    def release(self, worker: str, row_ids: list[int] | None = None) -> int: ...

    def expire_leases(self, workers: list[str]) -> int: ...

    def lease_holders(self) -> list[str]: ...

    def mark(self, row_id: int, status: str, *, error: str | None = None, retry_at: float | None = None) -> None: ...

    def outbox_counts(self) -> dict[str, int]: ...

    def next_due_at(self, channels: tuple[str, ...] = (TELEGRAM,)) -> float | None: ...

    # -- acknowledgements, broadcasts, figures ------------------------------------------

    def acknowledge(self, reminder_id: str, occurrence: str, chat_id: int) -> None: ...

    def acknowledgement_counts(self) -> dict[tuple[str, str], int]: ...

    def draft_broadcast(self, text: str) -> int: ...

    def broadcast(self, broadcast_id: int) -> tuple[str, str] | None: ...

    def subscriber_figures(self) -> dict[str, dict[str, int]]: ...

    def count(self, name: str, day: dt.date | None = None, by: int = 1) -> None: ...

    def counters(self, prefix: str = "") -> dict[str, int]: ...

    def feedback(self, doc_id: str, section: str, useful: bool) -> None: ...

    def feedback_counts(self, doc_id: str, section: str) -> tuple[int, int]: ...
