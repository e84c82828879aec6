"""The engine behind the HTTP channel: the store, the assistant and the dialogue, run on
one worker thread. Answering is CPU-bound and the embedder is not made for concurrent
calls, so requests queue for the worker (at most `queue` of them; more get 503) while
the event loop stays free for health checks and I/O."""

import asyncio
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from bot.assistant import Assistant
from bot.dialogue import Dialogue
from bot.reminders import ReminderBook
from bot.settings import Settings
from bot.store import Store

T = TypeVar("T")


class EngineBusy(Exception):
    """Every queue slot is taken."""


def load_book(assistant: Assistant, settings: Settings) -> ReminderBook | None:
    """Reminders are optional for a custom knowledge folder without reminders.yaml."""
    from bot.reminders import load_reminders

    if not (settings.knowledge_dir / "reminders.yaml").exists():
        return None
    return load_reminders(assistant.knowledge, settings.calendar_file)


class Engine:
    def __init__(self, settings: Settings, assistant: Assistant | None = None, queue: int = 64) -> None:
        self.settings = settings
        self.queue = queue
        self.waiting = 0
        self._given = assistant
        self._executor: ThreadPoolExecutor | None = None
        self._store: Store | None = None
        self._dialogue: Dialogue | None = None

    def open(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="http-engine")
        self._store = Store(self.settings.database)
        assistant = self._given or Assistant.open(self.settings)
        self._dialogue = Dialogue(assistant, self._store, load_book(assistant, self.settings), self.settings.admin_ids)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        if self._store is not None:
            self._store.close()
            self._store = None
        self._dialogue = None

    @property
    def ready(self) -> bool:
        return self._dialogue is not None

    @property
    def store(self) -> Store:
        if self._store is None:
            raise RuntimeError("engine is not open")
        return self._store

    @property
    def dialogue(self) -> Dialogue:
        if self._dialogue is None:
            raise RuntimeError("engine is not open")
        return self._dialogue

    @property
    def assistant(self) -> Assistant:
        return self.dialogue.assistant

    async def run(self, work: Callable[..., T], *args: object) -> T:
        """Run `work(*args)` on the worker; EngineBusy when the queue is full."""
        if self._executor is None:
            raise RuntimeError("engine is not open")
        if self.waiting >= self.queue:
            raise EngineBusy
        self.waiting += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, work, *args)
        finally:
            self.waiting -= 1


@dataclass(frozen=True)
class StoredFile:
    owner: str
    filename: str
    data: bytes
    expires: float


class FileShelf:
    """Files the engine made (lesson material) kept a few minutes for their download
    link; only the principal they were made for can fetch them."""

    def __init__(self, ttl: float = 600.0, capacity: int = 200, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.capacity = capacity
        self.clock = clock
        self._files: OrderedDict[str, StoredFile] = OrderedDict()

    def put(self, owner: str, filename: str, data: bytes) -> str:
        self._expire()
        while len(self._files) >= self.capacity:
            self._files.popitem(last=False)
        token = secrets.token_urlsafe(16)
        self._files[token] = StoredFile(owner, filename, data, self.clock() + self.ttl)
        return token

    def get(self, owner: str, token: str) -> StoredFile | None:
        self._expire()
        found = self._files.get(token)
        return found if found is not None and secrets.compare_digest(found.owner, owner) else None

    def _expire(self) -> None:
        now = self.clock()
        for token in [t for t, f in self._files.items() if f.expires < now]:
            del self._files[token]
