"""The composition root: the one place that opens and closes the long-lived parts (the
store, the assistant, the reminder book, the lesson maker and the dialogue engine) for
every channel (terminal, Telegram, HTTP) and the CLI. It imports no channel.

The engine runs on a single worker thread: answering is CPU-bound (the query embedding)
and the embedding engine is not made for concurrent calls, so work queues for the worker
(at most `queue` items; more raise `EngineBusy`) while an event loop stays free for I/O.

`open(engine=False)` opens only what needs no search index (the knowledge, the reminder
book, the lesson maker, and the store when it is first used): what the `reminders` and
`lesson` commands use."""

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import TypeVar

from bot.engine.answering.assistant import Assistant
from bot.engine.contract import Incoming, Reply
from bot.engine.flood import FloodGate
from bot.engine.router import Dialogue
from bot.lessons.maker import LessonMaker
from bot.reminders.book import ReminderBook, load_reminders
from bot.reminders.queue import enqueue_due
from bot.reminders.schedule import TZ, Occurrence
from bot.settings import Settings
from bot.store import Store, open_store
from index.knowledge import Knowledge, load_knowledge
from index.quizzes import load_quizzes

logger = logging.getLogger(__name__)

T = TypeVar("T")
ENQUEUE_EVERY = 60.0  # seconds between looks for due reminders, as the Telegram bot's job


class EngineBusy(Exception):
    """Every queue slot of the engine's worker is taken."""


def load_reminder_book(knowledge: Knowledge, settings: Settings) -> ReminderBook | None:
    """Reminders are optional for a custom knowledge folder without reminders.yaml."""
    if not (settings.knowledge_dir / "reminders.yaml").exists():
        return None
    return load_reminders(knowledge, settings.calendar_file)


class Runtime:
    """`assistant`: an already loaded one (tests share theirs); else loaded on open.
    `clock`: what time it is for reminders (tests set it)."""

    def __init__(
        self,
        settings: Settings,
        assistant: Assistant | None = None,
        clock: Callable[[], dt.datetime] | None = None,
        queue: int = 64,
    ) -> None:
        self.settings = settings
        self.clock = clock or (lambda: dt.datetime.now(TZ))
        self.queue = queue
        self.waiting = 0
        self.flood = FloodGate()
        self._given = assistant
        self._executor: ThreadPoolExecutor | None = None
        self._opened = False
        self._store: Store | None = None
        self._assistant: Assistant | None = None
        self._dialogue: Dialogue | None = None
        self._lessons: LessonMaker | None = None
        self.book: ReminderBook | None = None

    # -- opening and closing -------------------------------------------------------------

    def open(self, *, engine: bool = True) -> "Runtime":
        """Open the store, the reminder book and the lesson maker, and with `engine` the
        assistant (which needs the built index) and the dialogue on its worker."""
        self._opened = True
        try:
            if engine:
                self._assistant = self._given or Assistant.open(self.settings)
                knowledge, quizzes = self._assistant.knowledge, self._assistant.quizzes
            else:
                knowledge = load_knowledge(self.settings.knowledge_dir).require_valid()
                quizzes = load_quizzes(knowledge.root, knowledge.hotlines, {d.meta.id for d in knowledge.documents})
            self.book = load_reminder_book(knowledge, self.settings)
            self._lessons = LessonMaker(knowledge, quizzes)
            if self._assistant is not None:
                self._dialogue = Dialogue(
                    self._assistant, self.store, self.book, self.settings.admin_ids, lessons=self._lessons
                )
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="engine")
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        if self._store is not None:
            self._store.close()
            self._store = None
        self._opened = False
        self._dialogue = None
        self._assistant = None
        self._lessons = None
        self.book = None

    def __enter__(self) -> "Runtime":
        return self if self._opened else self.open()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    # -- the parts -----------------------------------------------------------------------

    @property
    def ready(self) -> bool:
        return self._dialogue is not None

    @property
    def store(self) -> Store:
        """Opened with the engine, or on first use (so `safebot lesson` makes no database)."""
        if self._store is None:
            if not self._opened:
                raise RuntimeError("the runtime is not open")
            self._store = open_store(self.settings.database)
        return self._store

    @property
    def dialogue(self) -> Dialogue:
        if self._dialogue is None:
            raise RuntimeError("the runtime is not open with its engine")
        return self._dialogue

    @property
    def assistant(self) -> Assistant:
        return self.dialogue.assistant

    @property
    def lessons(self) -> LessonMaker:
        if self._lessons is None:
            raise RuntimeError("the runtime is not open")
        return self._lessons

    def enqueue_due(self) -> list[tuple[Occurrence, int]]:
        """The reminder queue's `enqueue_due` at `clock()`, with this runtime's book and store."""
        return [] if self.book is None else enqueue_due(self.book, self.store, self.clock())

    async def keep_enqueuing(self, every: float = ENQUEUE_EVERY) -> None:
        """Queue due reminders now and every `every` seconds until cancelled: the HTTP
        server's own clock, so the web page's inbox fills without Telegram or cron.
        Idempotent beside the Telegram bot's job and `send-due`."""
        while True:
            try:
                await asyncio.get_running_loop().run_in_executor(None, self.enqueue_due)
            except Exception:  # a bad minute must not stop the clock
                logger.exception("queueing due reminders failed")
            await asyncio.sleep(every)

    # -- running work on the engine's worker ---------------------------------------------

    async def run(self, work: Callable[..., T], *args: object) -> T:
        """Run `work(*args)` on the worker; EngineBusy when the queue is full."""
        if self._executor is None:
            raise RuntimeError("the runtime is not open with its engine")
        if self.waiting >= self.queue:
            raise EngineBusy
        self.waiting += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, work, *args)
        finally:
            self.waiting -= 1

    async def handle(self, incoming: Incoming) -> list[Reply]:
        return await self.run(self.dialogue.handle, incoming)
