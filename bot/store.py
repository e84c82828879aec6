"""Everything the bot keeps, behind one module so PostgreSQL can take over by URL later.
Minors' data is kept to the least: a chat's role, grade band and language. Message
texts are never stored; questions, triage verdicts and feedback are counted, not kept.

Schema changes are numbered migrations, applied in order on open."""

import datetime as dt
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from index.errors import BadInputError

MIGRATIONS: tuple[str, ...] = (
    # 1: profiles and aggregate counters
    """
    CREATE TABLE profiles (
        chat_id INTEGER PRIMARY KEY,
        role TEXT,
        grade TEXT,
        lang TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE counters (
        day TEXT NOT NULL,
        name TEXT NOT NULL,
        value INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (day, name)
    );
    CREATE TABLE feedback (
        doc_id TEXT NOT NULL,
        section TEXT NOT NULL,
        up INTEGER NOT NULL DEFAULT 0,
        down INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (doc_id, section)
    );
    """,
)


@dataclass(frozen=True)
class Profile:
    chat_id: int
    role: str | None
    grade: str | None
    lang: str

    @property
    def onboarded(self) -> bool:
        return self.role is not None and self.grade is not None


def sqlite_path(database_url: str) -> Path:
    prefix = "sqlite:///"
    if not database_url.startswith(prefix):
        raise BadInputError(f"SAFEBOT_DATABASE_URL must start with {prefix} (PostgreSQL is not supported yet)")
    return Path(database_url[len(prefix) :])


class Store:
    """Thread-safe: the Telegram channel calls it from handlers on one event loop, the
    tests from several threads."""

    def __init__(self, database_url: str) -> None:
        path = sqlite_path(database_url)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._lock = threading.Lock()
        self._migrate()

    def _migrate(self) -> None:
        with self._lock:
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                self._db.executescript(f"BEGIN; {script} PRAGMA user_version = {number}; COMMIT;")

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
            self._db.execute("DELETE FROM profiles WHERE chat_id = ?", (chat_id,))

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
