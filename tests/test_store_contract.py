"""The store's contract: what every backend behind `open_store(url)` must do, run against
each one. A new backend (PostgreSQL) adds its URL to BACKENDS and must pass all of it.
Schema details of one dialect (its tables, upgrading an old file, processes racing to
create it) are in that dialect's own tests (tests/test_store.py for SQLite)."""

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.store import Store, open_store
from bot.store.records import FIRST_INTERNAL_CHAT_ID, INBOX, Profile

# name -> (URL for a fresh database under a folder, whether a second open shares it)
BACKENDS: dict[str, tuple[Callable[[Path], str], bool]] = {
    "sqlite-file": (lambda folder: f"sqlite:///{folder / 'store.sqlite3'}", True),
    "sqlite-memory": (lambda folder: "sqlite:///:memory:", False),
}


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, bool]:
    url_for, shared = BACKENDS[request.param]
    return url_for(tmp_path), shared


@pytest.fixture
def store(backend: tuple[str, bool]) -> Iterator[Store]:
    s = open_store(backend[0])
    yield s
    s.close()


@pytest.fixture
def second(backend: tuple[str, bool], store: Store) -> Iterator[Store]:
    """Another store object on the same database, as a second process would open it."""
    url, shared = backend
    if not shared:
        pytest.skip("each open of this backend is a database of its own")
    s = open_store(url)
    yield s
    s.close()


def _parent(store: Store, chat: int, topics: tuple[str, ...] = ("drowning",)) -> None:
    store.save_profile(Profile(chat, "parent", "primary", "zh"))
    store.subscribe(chat, list(topics))


def _enqueue(store: Store, reminder: str, occurrence: str = "2027-07-01", ack: bool = False) -> int:
    return store.enqueue(reminder, occurrence, "drowning", ["parent"], ["primary"], ["zh"], ack)


def test_migrations_are_numbered_named_and_applied_once(store: Store, second: Store) -> None:
    applied = store.applied_migrations()
    assert [n for n, _ in applied] == list(range(1, len(applied) + 1)) and len(applied) >= 5
    assert all(name.strip() for _, name in applied)
    assert second.applied_migrations() == applied, "opening again applies nothing"


def test_an_identity_maps_to_one_internal_chat(store: Store) -> None:
    web = store.chat_for("web", "session-a")
    assert web is not None and web >= FIRST_INTERNAL_CHAT_ID, "above every Telegram chat id"
    assert store.chat_for("web", "session-a") == web
    assert store.chat_for("web", "session-a", create=False) == web
    api = store.chat_for("api", "session-a")
    assert api is not None and api != web, "the channel is part of the identity"
    assert store.chat_for("web", "session-b", create=False) is None
    assert store.identities(web) == [("web", "session-a")]
    assert store.identities(12345) == []


def test_identities_are_handed_out_once_under_concurrent_first_sight(store: Store, second: Store) -> None:
    results: list[int | None] = []

    def first_sight(s: Store) -> None:
        results.extend(s.chat_for("web", f"user-{i}") for i in range(30))

    threads = [threading.Thread(target=first_sight, args=(s,)) for s in (store, second, store, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 30, "each (channel, external id) got exactly one chat id"


def test_forget_deletes_every_identity_and_everything_about_the_chat(store: Store) -> None:
    web = store.chat_for("web", "a-session")
    assert web is not None
    _parent(store, web, ("drowning", "traffic"))
    _parent(store, 5)
    assert _enqueue(store, "r", ack=True) == 2
    store.acknowledge("r", "2027-07-01", web)
    store.forget(web)
    assert store.profile(web) is None and store.subscriptions(web) == []
    assert store.identities(web) == [] and store.chat_for("web", "a-session", create=False) is None
    assert store.take_inbox(web, now=1.0) == []
    assert store.acknowledgement_counts() == {}
    assert store.count_recipients("drowning", ["parent"], ["primary"], ["zh"]) == 1, "only the other chat"
    assert store.outbox_counts() == {"pending": 1}
    again = store.chat_for("web", "a-session")
    assert again is not None and again != web, "a forgotten chat's id is never reused"


def test_web_and_api_subscribers_get_inbox_rows_the_telegram_sender_never_claims(store: Store) -> None:
    """A chat known by an identity cannot be pushed to: its rows wait in the inbox, each
    taken once when due, and are gone with /forget."""
    web = store.chat_for("web", "a-session")
    assert web is not None
    for chat in (5, web):
        _parent(store, chat)
    assert store.count_recipients("drowning", ["parent"], ["primary"], ["zh"]) == 2
    assert _enqueue(store, "r", ack=True) == 2
    assert store.enqueue("later", "2027-07-02", "drowning", ["parent"], ["primary"], ["zh"], False, 100.0) == 2
    assert [r.chat_id for r in store.claim("w", now=1.0, limit=10, lease=10)] == [5]
    assert store.take_inbox(5, now=1.0) == [], "a Telegram chat has no inbox"
    [row] = store.take_inbox(web, now=1.0)
    assert (row.reminder_id, row.occurrence, row.channel, row.ack) == ("r", "2027-07-01", INBOX, True)
    assert store.take_inbox(web, now=1.0) == [], "each row comes once"
    store.enqueue_broadcast(store.draft_broadcast("开学提醒"))
    assert [r.reminder_id for r in store.take_inbox(web, now=200.0)] == ["later", "broadcast-1"]
    _enqueue(store, "r", "2027-07-03")
    store.forget(web)
    assert store.take_inbox(web, now=1.0) == []


def test_the_same_occurrence_is_queued_once(store: Store) -> None:
    for chat in range(1, 4):
        _parent(store, chat)
    assert _enqueue(store, "r") == 3
    assert _enqueue(store, "r") == 0
    assert _enqueue(store, "r", "2027-07-02") == 3


def test_two_claimers_never_get_the_same_row(store: Store, second: Store) -> None:
    for chat in range(1, 201):
        _parent(store, chat)
    assert _enqueue(store, "r") == 200
    claimed: dict[str, list[int]] = {"a": [], "b": []}

    def drain(s: Store, worker: str) -> None:
        while rows := s.claim(worker, now=1.0, limit=7, lease=60):
            claimed[worker] += [r.id for r in rows]

    threads = [threading.Thread(target=drain, args=(s, w)) for s, w in ((store, "a"), (second, "b"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    every = claimed["a"] + claimed["b"]
    assert len(every) == 200 and len(set(every)) == 200
    assert set(store.lease_holders()) <= {"a", "b"} and store.outbox_counts() == {"sending": 200}


def test_a_row_is_claimed_again_only_when_its_lease_ends(store: Store, second: Store) -> None:
    for chat in (1, 2):
        _parent(store, chat)
    _enqueue(store, "r")
    held = store.claim("a", now=1.0, limit=10, lease=10)
    assert len(held) == 2
    assert second.claim("b", now=5.0, limit=10, lease=10) == [], "the lease still runs"
    store.mark(held[0].id, "sent")
    again = second.claim("b", now=12.0, limit=10, lease=10)
    assert [r.id for r in again] == [held[1].id], "a sent row is never claimed again"
    assert store.release("b") == 1 and store.outbox_counts() == {"sent": 1, "pending": 1}
