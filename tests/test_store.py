"""The SQLite store's own schema: its numbered, named migrations applied once, under a
lock, even when several processes open a new file at the same moment; an old database is
upgraded. What every backend must do is tests/test_store_contract.py."""

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.store import open_store
from bot.store.migrations.sqlite import MIGRATIONS
from bot.store.sqlite import SqliteStore
from index.errors import BadInputError


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_a_new_database_gets_every_migration_once_with_its_name(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    open_store(url).close()
    store = open_store(url)
    assert store.applied_migrations() == [(i, name) for i, (name, _) in enumerate(MIGRATIONS, 1)]
    store.close()
    assert {"profiles", "outbox", "subscriptions", "acknowledgements", "schema_migrations"} <= _tables(
        tmp_path / "db.sqlite3"
    )
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        columns = {r[1] for r in db.execute("PRAGMA table_info(outbox)")}
    assert {"lease_until", "worker"} <= columns


def test_a_version_2_database_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        for _name, script in MIGRATIONS[:2]:
            db.executescript(script)
        db.execute("INSERT INTO outbox (reminder_id, occurrence, chat_id, lang) VALUES ('r', 'o', 1, 'zh')")
        db.execute("PRAGMA user_version = 2")
    store = open_store(f"sqlite:///{path}")
    assert store.schema_version == len(MIGRATIONS)
    assert [n for n, _ in store.applied_migrations()] == list(range(3, len(MIGRATIONS) + 1))
    assert [r.chat_id for r in store.claim("w", now=1.0, limit=5, lease=10)] == [1]
    store.close()


RACE = """
import sys
from bot.store import open_store
open_store(sys.argv[1]).close()
"""


def test_processes_racing_on_a_fresh_file_all_open_it(tmp_path: Path) -> None:
    for attempt in range(4):
        url = f"sqlite:///{tmp_path / f'race{attempt}.sqlite3'}"
        procs = [
            subprocess.Popen([sys.executable, "-c", RACE, url], stderr=subprocess.PIPE, text=True) for _ in range(6)
        ]
        errors = [p.communicate(timeout=120)[1] for p in procs]
        assert [p.returncode for p in procs] == [0] * 6, errors
        store = open_store(url)
        assert len(store.applied_migrations()) == len(MIGRATIONS)
        store.close()


def test_the_store_is_chosen_by_the_url_scheme_and_an_unknown_one_is_refused(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert isinstance(store, SqliteStore)
    store.close()
    with pytest.raises(BadInputError, match=r"must start with sqlite:/// \(PostgreSQL is not supported yet\)"):
        open_store("postgresql://safebot@localhost/safebot")
