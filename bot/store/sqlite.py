"""The SQLite store, the embedded default (a file under the data dir).

Schema changes are the numbered, named migrations in `bot.store.migrations.sqlite`, applied
in order on open under a write lock (two processes opening a new file at once must not both
migrate it), each recorded with its name and time in `schema_migrations`.

SQL is kept portable where SQLite allows (`ON CONFLICT DO NOTHING`, `UPDATE … RETURNING`)
so PostgreSQL can take over with the same statements."""

import datetime as dt
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from bot.store.migrations.sqlite import MIGRATIONS
from bot.store.records import FIRST_INTERNAL_CHAT_ID, INBOX, INBOX_LIMIT, OUTBOX_STATES, TELEGRAM, OutboxRow, Profile
from index.errors import BadInputError

CHANNEL_OF = f"CASE WHEN p.chat_id < {FIRST_INTERNAL_CHAT_ID} THEN '{TELEGRAM}' ELSE '{INBOX}' END"
OUTBOX_COLUMNS = "id, reminder_id, occurrence, chat_id, lang, ack, attempts, channel"  # an OutboxRow's fields


def _outbox_rows(rows: list[tuple[Any, ...]]) -> list["OutboxRow"]:
    """Rows returned with OUTBOX_COLUMNS, oldest first (RETURNING keeps no order)."""
    return [OutboxRow(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6], r[7]) for r in sorted(rows)]


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def sqlite_path(database_url: str) -> Path:
    prefix = "sqlite:///"
    if not database_url.startswith(prefix):
        raise BadInputError(f"SAFEBOT_DATABASE_URL: a SQLite URL is {prefix}PATH, not '{database_url}'")
    return Path(database_url[len(prefix) :])


class SqliteStore:
    """Thread-safe: the Telegram channel calls it from handlers on one event loop, the
    tests from several threads."""

    def __init__(self, database_url: str) -> None:
        path = sqlite_path(database_url)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA busy_timeout=30000")
        self._switch_to_wal()
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._lock = threading.Lock()
        self._migrate()

    def _switch_to_wal(self, deadline_s: float = 30.0) -> None:
        """Retried by hand: SQLite answers "database is locked" at once, without its busy
        handler, when another process is switching a new file to WAL at the same moment
        (waiting there could deadlock), so the busy timeout alone does not cover it."""
        give_up = time.monotonic() + deadline_s
        while True:
            try:
                self._db.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() > give_up:
                    raise
                time.sleep(0.05)

    def _migrate(self) -> None:
        """The version is read inside the write transaction, so a second process waits
        for the first and then finds nothing left to do."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations (number INTEGER PRIMARY KEY,"
                    " name TEXT NOT NULL, applied_at TEXT NOT NULL)"
                )
                version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
                for number, (name, script) in enumerate(MIGRATIONS[version:], start=version + 1):
                    for statement in script.split(";"):
                        if statement.strip():
                            self._db.execute(statement)
                    self._db.execute(
                        "INSERT INTO schema_migrations (number, name, applied_at) VALUES (?, ?, ?)",
                        (number, name, _now_iso()),
                    )
                    self._db.execute(f"PRAGMA user_version = {number}")
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def applied_migrations(self) -> list[tuple[int, str]]:
        """(number, name) of every migration this database recorded, in order."""
        with self._lock:
            rows = self._db.execute("SELECT number, name FROM schema_migrations ORDER BY number").fetchall()
        return [(int(n), str(name)) for n, name in rows]

    @property
    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def close(self) -> None:
        self._db.close()

    def profile(self, chat_id: int) -> Profile | None:
        with self._lock:
            row = self._db.execute(
                "SELECT chat_id, role, grade, lang FROM profiles WHERE chat_id = ?", (chat_id,)
            ).fetchone()
        return Profile(*row) if row else None

    def save_profile(self, profile: Profile) -> None:
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with self._lock:
            self._db.execute(
                "INSERT INTO profiles (chat_id, role, grade, lang, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (chat_id) DO UPDATE SET role = excluded.role, grade = excluded.grade,"
                " lang = excluded.lang, updated_at = excluded.updated_at",
                (profile.chat_id, profile.role, profile.grade, profile.lang, now, now),
            )

    def forget(self, chat_id: int) -> None:
        """Delete everything kept about a chat (counters and feedback hold no chat id)."""
        with self._lock:
            for table in ("profiles", "subscriptions", "outbox", "acknowledgements", "identities"):
                self._db.execute(f"DELETE FROM {table} WHERE chat_id = ?", (chat_id,))

    # -- identities ----------------------------------------------------------------------

    def chat_for(self, channel: str, external_id: str, *, create: bool = True) -> int | None:
        """The internal chat id of (channel, external id), made on first sight unless
        `create` is false. Ids come from the AUTOINCREMENT key, so two processes never
        hand out the same one and a forgotten identity's id is never reused."""
        with self._lock:
            row = self._db.execute(
                "SELECT chat_id FROM identities WHERE channel = ? AND external_id = ?", (channel, external_id)
            ).fetchone()
            if row is not None or not create:
                return int(row[0]) if row else None
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "INSERT INTO identities (channel, external_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                    (channel, external_id, _now_iso()),
                )
                self._db.execute(
                    "UPDATE identities SET chat_id = ? + id WHERE channel = ? AND external_id = ? AND chat_id IS NULL",
                    (FIRST_INTERNAL_CHAT_ID, channel, external_id),
                )
                row = self._db.execute(
                    "SELECT chat_id FROM identities WHERE channel = ? AND external_id = ?", (channel, external_id)
                ).fetchone()
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return int(row[0])

    def identities(self, chat_id: int) -> list[tuple[str, str]]:
        """Every (channel, external id) that is this chat."""
        with self._lock:
            rows = self._db.execute(
                "SELECT channel, external_id FROM identities WHERE chat_id = ? ORDER BY id", (chat_id,)
            ).fetchall()
        return [(str(c), str(e)) for c, e in rows]

    # -- subscriptions -----------------------------------------------------------------

    def subscribe(self, chat_id: int, topics: list[str]) -> None:
        with self._lock:
            self._db.executemany(
                "INSERT INTO subscriptions (chat_id, topic) VALUES (?, ?) ON CONFLICT DO NOTHING",
                [(chat_id, t) for t in topics],
            )
            self._db.execute("UPDATE profiles SET blocked = 0 WHERE chat_id = ?", (chat_id,))

    def unsubscribe(self, chat_id: int, topics: list[str] | None = None) -> None:
        with self._lock:
            if topics is None:
                self._db.execute("DELETE FROM subscriptions WHERE chat_id = ?", (chat_id,))
            else:
                self._db.executemany(
                    "DELETE FROM subscriptions WHERE chat_id = ? AND topic = ?", [(chat_id, t) for t in topics]
                )

    def subscriptions(self, chat_id: int) -> list[str]:
        with self._lock:
            rows = self._db.execute("SELECT topic FROM subscriptions WHERE chat_id = ? ORDER BY topic", (chat_id,))
            return [r[0] for r in rows]

    def _recipients_sql(self, audiences: list[str], grades: list[str], langs: list[str]) -> tuple[str, list[object]]:
        marks = lambda values: ",".join("?" * len(values))  # noqa: E731
        sql = (
            " FROM subscriptions s JOIN profiles p ON p.chat_id = s.chat_id"
            " WHERE s.topic = ? AND p.blocked = 0"
            f" AND COALESCE(p.role, 'parent') IN ({marks(audiences)})"
            f" AND (p.grade IS NULL OR p.grade IN ({marks(grades)}))"
            f" AND p.lang IN ({marks(langs)})"
        )
        return sql, [*audiences, *grades, *langs]

    def count_recipients(self, topic: str, audiences: list[str], grades: list[str], langs: list[str]) -> int:
        where, params = self._recipients_sql(audiences, grades, langs)
        with self._lock:
            return int(self._db.execute(f"SELECT COUNT(*){where}", [topic, *params]).fetchone()[0])

    def deactivate(self, chat_id: int) -> None:
        """The user blocked the bot, or the chat is gone: stop sending, keep nothing new."""
        with self._lock:
            self._db.execute("UPDATE profiles SET blocked = 1 WHERE chat_id = ?", (chat_id,))

    # -- the outbox --------------------------------------------------------------------

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
        """One row per matching subscriber, in one statement: the database streams the
        subscribers, and the unique key makes a second enqueue of the same occurrence a
        no-op (restarts, re-runs of send-due, two schedulers)."""
        where, params = self._recipients_sql(audiences, grades, langs)
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO outbox (reminder_id, occurrence, chat_id, lang, ack, next_attempt_at, channel)"
                f" SELECT ?, ?, p.chat_id, p.lang, ?, ?, {CHANNEL_OF}{where} ON CONFLICT DO NOTHING",
                [reminder_id, occurrence, int(ack), not_before, topic, *params],
            )
            return cursor.rowcount

    def enqueue_broadcast(self, broadcast_id: int) -> int:
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO outbox (reminder_id, occurrence, chat_id, lang, ack, channel)"
                f" SELECT ?, 'broadcast', p.chat_id, p.lang, 0, {CHANNEL_OF} FROM profiles p WHERE p.blocked = 0"
                " AND EXISTS (SELECT 1 FROM subscriptions s WHERE s.chat_id = p.chat_id) ON CONFLICT DO NOTHING",
                (f"broadcast-{broadcast_id}",),
            )
            self._db.execute("UPDATE broadcasts SET status = 'sent' WHERE id = ?", (broadcast_id,))
            return cursor.rowcount

    def claim(
        self, worker: str, now: float, limit: int, lease: float, channels: tuple[str, ...] = (TELEGRAM,)
    ) -> list[OutboxRow]:
        """Take up to `limit` due rows of `channels` for `worker` in one statement, so two
        senders never hold the same row: pending rows that are due, and rows whose
        holder's lease ended (it died or hung; those may have been delivered, so they can
        arrive twice)."""
        marks = ",".join("?" * len(channels))
        with self._lock:
            rows = self._db.execute(
                "UPDATE outbox SET status = 'sending', worker = ?, lease_until = ? WHERE id IN ("
                f" SELECT id FROM outbox WHERE channel IN ({marks}) AND ((status = 'pending' AND next_attempt_at <= ?)"
                " OR (status = 'sending' AND lease_until < ?)) ORDER BY id LIMIT ?)"
                " RETURNING " + OUTBOX_COLUMNS,
                (worker, now + lease, *channels, now, now, limit),
            ).fetchall()
        return _outbox_rows(rows)

    def take_inbox(self, chat_id: int, now: float, limit: int = INBOX_LIMIT) -> list[OutboxRow]:
        """The chat's due inbox rows, oldest first, marked sent as they are taken: a
        fetch that never reaches the caller loses them (a reminder, not a message the
        person wrote), and two fetches never both get one."""
        with self._lock:
            rows = self._db.execute(
                "UPDATE outbox SET status = 'sent', sent_at = ? WHERE id IN ("
                " SELECT id FROM outbox WHERE chat_id = ? AND channel = ? AND status = 'pending'"
                " AND next_attempt_at <= ? ORDER BY id LIMIT ?)"
                " RETURNING " + OUTBOX_COLUMNS,
                (_now_iso(), chat_id, INBOX, now, limit),
            ).fetchall()
        return _outbox_rows(rows)

    def renew_leases(self, worker: str, until: float) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE outbox SET lease_until = ? WHERE status = 'sending' AND worker = ?", (until, worker)
            )

    def release(self, worker: str, row_ids: list[int] | None = None) -> int:
        """Give rows back unsent (quiet hours began, or the sender stops)."""
        sql = (
            "UPDATE outbox SET status = 'pending', worker = NULL, lease_until = NULL WHERE status = 'sending'"
            " AND worker = ?"
        )
        with self._lock:
            if row_ids is None:
                return self._db.execute(sql, (worker,)).rowcount
            return sum(self._db.execute(f"{sql} AND id = ?", (worker, i)).rowcount for i in row_ids)

    def expire_leases(self, workers: list[str]) -> int:
        """End the leases of senders known to be dead, so their rows are reclaimed now."""
        with self._lock:
            return sum(
                self._db.execute(
                    "UPDATE outbox SET lease_until = 0 WHERE status = 'sending' AND worker = ?", (w,)
                ).rowcount
                for w in workers
            )

    def lease_holders(self) -> list[str]:
        with self._lock:
            rows = self._db.execute("SELECT DISTINCT worker FROM outbox WHERE status = 'sending'").fetchall()
        return [str(r[0]) for r in rows if r[0]]

    def mark(self, row_id: int, status: str, *, error: str | None = None, retry_at: float | None = None) -> None:
        assert status in OUTBOX_STATES
        sent_at = _now_iso() if status == "sent" else None
        with self._lock:
            if retry_at is not None:
                self._db.execute(
                    "UPDATE outbox SET status = 'pending', attempts = attempts + 1, next_attempt_at = ?,"
                    " error = ?, worker = NULL, lease_until = NULL WHERE id = ?",
                    (retry_at, error, row_id),
                )
            else:
                self._db.execute(
                    "UPDATE outbox SET status = ?, error = ?, sent_at = COALESCE(?, sent_at),"
                    " worker = NULL, lease_until = NULL WHERE id = ?",
                    (status, error, sent_at, row_id),
                )

    def outbox_counts(self) -> dict[str, int]:
        with self._lock:
            rows = self._db.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status").fetchall()
        return {status: int(n) for status, n in rows}

    def next_due_at(self, channels: tuple[str, ...] = (TELEGRAM,)) -> float | None:
        marks = ",".join("?" * len(channels))
        with self._lock:
            row = self._db.execute(
                f"SELECT MIN(next_attempt_at) FROM outbox WHERE status = 'pending' AND channel IN ({marks})", channels
            ).fetchone()
        return float(row[0]) if row and row[0] is not None else None

    # -- acknowledgements, broadcasts, figures ------------------------------------------

    def acknowledge(self, reminder_id: str, occurrence: str, chat_id: int) -> None:
        profile = self.profile(chat_id)
        audience = profile.role if profile and profile.role else "parent"
        with self._lock:
            self._db.execute(
                "INSERT INTO acknowledgements (reminder_id, occurrence, chat_id, audience)"
                " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (reminder_id, occurrence, chat_id, audience),
            )

    def acknowledgement_counts(self) -> dict[tuple[str, str], int]:
        """Counts per reminder and audience only, never who."""
        with self._lock:
            rows = self._db.execute(
                "SELECT reminder_id, audience, COUNT(*) FROM acknowledgements GROUP BY reminder_id, audience"
            ).fetchall()
        return {(r, a): int(n) for r, a, n in rows}

    def draft_broadcast(self, text: str) -> int:
        with self._lock:
            cursor = self._db.execute("INSERT INTO broadcasts (text, created_at) VALUES (?, ?)", (text, _now_iso()))
            return int(cursor.lastrowid or 0)

    def broadcast(self, broadcast_id: int) -> tuple[str, str] | None:
        with self._lock:
            row = self._db.execute("SELECT text, status FROM broadcasts WHERE id = ?", (broadcast_id,)).fetchone()
        return (row[0], row[1]) if row else None

    def subscriber_figures(self) -> dict[str, dict[str, int]]:
        with self._lock:
            by_role = self._db.execute(
                "SELECT COALESCE(p.role, 'parent'), COUNT(DISTINCT p.chat_id) FROM profiles p JOIN subscriptions s"
                " ON s.chat_id = p.chat_id WHERE p.blocked = 0 GROUP BY 1"
            ).fetchall()
            by_topic = self._db.execute(
                "SELECT s.topic, COUNT(*) FROM subscriptions s JOIN profiles p ON p.chat_id = s.chat_id"
                " WHERE p.blocked = 0 GROUP BY 1"
            ).fetchall()
        return {"role": {r: int(n) for r, n in by_role}, "topic": {t: int(n) for t, n in by_topic}}

    def count(self, name: str, day: dt.date | None = None, by: int = 1) -> None:
        day = day or dt.date.today()
        with self._lock:
            self._db.execute(
                "INSERT INTO counters (day, name, value) VALUES (?, ?, ?)"
                " ON CONFLICT (day, name) DO UPDATE SET value = value + excluded.value",
                (day.isoformat(), name, by),
            )

    def counters(self, prefix: str = "") -> dict[str, int]:
        with self._lock:
            rows = self._db.execute(
                "SELECT name, SUM(value) FROM counters WHERE name LIKE ? GROUP BY name", (prefix + "%",)
            ).fetchall()
        return {name: int(value) for name, value in rows}

    def feedback(self, doc_id: str, section: str, useful: bool) -> None:
        column = "up" if useful else "down"
        with self._lock:
            self._db.execute(
                f"INSERT INTO feedback (doc_id, section, {column}) VALUES (?, ?, 1)"
                f" ON CONFLICT (doc_id, section) DO UPDATE SET {column} = {column} + 1",
                (doc_id, section),
            )

    def feedback_counts(self, doc_id: str, section: str) -> tuple[int, int]:
        with self._lock:
            row = self._db.execute(
                "SELECT up, down FROM feedback WHERE doc_id = ? AND section = ?", (doc_id, section)
            ).fetchone()
        return (int(row[0]), int(row[1])) if row else (0, 0)
