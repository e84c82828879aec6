"""Everything the bot keeps, behind one module so PostgreSQL can take over by URL later.
Minors' data is kept to the least: a chat's role, grade band and language. Message
texts are never stored; questions, triage verdicts and feedback are counted, not kept.

`open_store(url)` picks the backend by the URL's scheme (SAFEBOT_DATABASE_URL): SQLite
(`sqlite`) today, PostgreSQL later. Code outside this package names only `Store` (the
protocol every backend implements, bot/store/protocol.py) and `open_store`, and the
records in `bot.store.records`; tests/test_store_contract.py runs against every backend."""

from collections.abc import Callable
from urllib.parse import urlparse

from bot.store.protocol import Store
from bot.store.sqlite import SqliteStore
from index.errors import BadInputError

__all__ = ["Store", "open_store"]

BACKENDS: dict[str, Callable[[str], Store]] = {"sqlite": SqliteStore}


def open_store(database_url: str) -> Store:
    """The store a database URL names, its schema migrated to the latest version."""
    backend = BACKENDS.get(urlparse(database_url).scheme)
    if backend is None:
        raise BadInputError("SAFEBOT_DATABASE_URL must start with sqlite:/// (PostgreSQL is not supported yet)")
    return backend(database_url)
