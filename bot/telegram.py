"""The Telegram channel. It only translates: an update becomes an `Incoming`, each
`Reply` becomes a sendMessage or editMessageText with every string HTML-escaped. What
to say is decided by the dialogue engine.

One wiring function, `build_application`, registers every handler in one ordered block.
The engine runs on a single worker thread: answering is CPU-bound (the query embedding)
and the embedding engine is not made for concurrent calls, while the event loop stays
free for network I/O."""

import asyncio
import datetime as dt
import html
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field
from functools import partial

from telegram import Bot, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message, Poll, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.aiohttp_request import AiohttpRequest
from bot.assistant import Assistant
from bot.dialogue import Dialogue, Incoming, Reply
from bot.messages import COMMANDS, interface_language, text
from bot.reminders import TZ, ReminderBook, due
from bot.sender import OutboxSender
from bot.settings import Settings
from bot.store import Store

logger = logging.getLogger(__name__)

FLOOD_LIMIT = 20  # messages a minute from one user before the bot pauses for them
FLOOD_WINDOW = 60.0
SEND_ATTEMPTS = 4


@dataclass
class FloodGate:
    """Per-user sliding window: over the limit, one polite notice, then silence until
    the window has room again. Takes the clock so tests need not sleep."""

    limit: int = FLOOD_LIMIT
    window: float = FLOOD_WINDOW
    clock: Callable[[], float] = time.monotonic
    _seen: dict[int, deque[float]] = field(default_factory=dict)
    _noticed: set[int] = field(default_factory=set)

    def check(self, user_id: int) -> str:
        """'ok', 'notice' (send the notice once) or 'drop'."""
        now = self.clock()
        seen = self._seen.setdefault(user_id, deque())
        while seen and now - seen[0] > self.window:
            seen.popleft()
        if len(seen) < self.limit:
            seen.append(now)
            self._noticed.discard(user_id)
            return "ok"
        if user_id in self._noticed:
            return "drop"
        self._noticed.add(user_id)
        return "notice"


class Services:
    """The long-lived parts, opened in post_init and closed in post_shutdown."""

    def __init__(self, settings: Settings, clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(TZ)) -> None:
        self.settings = settings
        self.clock = clock  # what time it is for reminders; tests set it
        self.flood = FloodGate()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dialogue")
        self._dialogue: Dialogue | None = None
        self._store: Store | None = None
        self.book: ReminderBook | None = None

    def open(self) -> None:
        self._store = Store(self.settings.database)
        assistant = Assistant.open(self.settings)
        self.book = load_reminder_book(assistant, self.settings)
        self._dialogue = Dialogue(assistant, self._store, self.book, self.settings.admin_ids)

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        if self._store is not None:
            self._store.close()

    @property
    def store(self) -> Store:
        if self._store is None:
            raise RuntimeError("services are not open")
        return self._store

    @property
    def dialogue(self) -> Dialogue:
        if self._dialogue is None:
            raise RuntimeError("services are not open")
        return self._dialogue

    async def handle(self, incoming: Incoming) -> list[Reply]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self.dialogue.handle, incoming)


def _markup(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in reply.buttons]
    )


async def _with_retry(call: Callable[[], Awaitable[object]]) -> None:
    """Honour Telegram's 429 `retry_after`; other errors reach the error handler."""
    for attempt in range(SEND_ATTEMPTS):
        try:
            await call()
            return
        except RetryAfter as exc:
            if attempt == SEND_ATTEMPTS - 1:
                raise
            delay = exc.retry_after
            seconds = delay.total_seconds() if isinstance(delay, dt.timedelta) else float(delay)
            logger.warning("rate limited by Telegram: waiting %.1f s", seconds)
            await asyncio.sleep(seconds)


async def send_replies(bot: Bot, chat_id: int, replies: list[Reply], editable: Message | None = None) -> None:
    for i, reply in enumerate(replies):
        body, markup = html.escape(reply.text, quote=False), _markup(reply)
        if reply.poll:
            poll = reply.poll
            await _with_retry(
                partial(
                    bot.send_poll,
                    chat_id,
                    poll.question,
                    list(poll.options),
                    type=Poll.QUIZ,
                    correct_option_ids=[poll.correct],  # type: ignore[list-item]  # 0-9, checked on load
                    explanation=poll.explanation,
                    is_anonymous=True,
                )
            )
        elif reply.document:
            document = InputFile(reply.document.data, filename=reply.document.filename)
            await _with_retry(
                partial(
                    bot.send_document, chat_id, document, caption=body, parse_mode=ParseMode.HTML, reply_markup=markup
                )
            )
        elif reply.edit and editable is not None and i == 0:
            await _with_retry(partial(editable.edit_text, body, parse_mode=ParseMode.HTML, reply_markup=markup))
        else:
            await _with_retry(partial(bot.send_message, chat_id, body, parse_mode=ParseMode.HTML, reply_markup=markup))


class TelegramChannel:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.sender_task: asyncio.Task[None] | None = None

    async def enqueue_due(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Every minute: queue the reminders that are due. Idempotent, so a late or
        repeated run never sends twice."""
        book = self.services.book
        if book is None:
            return
        for occ in due(book.reminders, book.calendar, self.services.clock()):
            r = occ.reminder
            added = self.services.store.enqueue(
                r.id, occ.key, r.topic, list(r.audiences), list(r.grades), list(r.langs), r.ack
            )
            if added:
                logger.info("queued reminder %s for %d chats", r.id, added)

    async def send_outbox(self, bot: Bot) -> None:
        """Runs for the life of the bot: drains the outbox, then looks again shortly."""
        services = self.services
        book = services.book
        assert book is not None
        async with bot:
            await self._send_forever(bot, book)

    async def _send_forever(self, bot: Bot, book: ReminderBook) -> None:
        services = self.services
        while True:
            try:
                sender = OutboxSender(services.store, bot, book, rate=services.settings.send_rate, now=services.clock)
                await sender.drain(wait_for_retries=False)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("outbox sender failed; trying again")
            await asyncio.sleep(5)

    async def guard_flood(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Runs first for every update; stops further handling for a flooding user."""
        user = update.effective_user
        chat = update.effective_chat
        if user is None or chat is None or chat.type != ChatType.PRIVATE:
            return
        if update.message is None and update.callback_query is None:
            return
        verdict = self.services.flood.check(user.id)
        if verdict == "ok":
            return
        if verdict == "notice":
            await send_replies(context.bot, chat.id, [self._notice("flood", user.language_code)])
        raise ApplicationHandlerStop

    def _notice(self, key: str, language: str | None) -> Reply:
        """A notice that always names the police and ambulance numbers."""
        hotlines = self.services.dialogue.assistant.knowledge.hotlines
        return Reply(
            text(
                key,
                interface_language(language),
                police=hotlines["police"].number,
                ambulance=hotlines["ambulance"].number,
            )
        )

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A question or a command from a private chat."""
        message = update.effective_message
        user = update.effective_user
        assert message is not None and message.text is not None
        incoming = Incoming(message.chat_id, text=message.text, language=user.language_code if user else None)
        await send_replies(context.bot, message.chat_id, await self.services.handle(incoming))

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A press on an inline button."""
        query = update.callback_query
        assert query is not None
        await query.answer()
        message = query.message if isinstance(query.message, Message) else None
        if message is None or not query.data:
            return
        incoming = Incoming(message.chat_id, button=query.data, language=query.from_user.language_code)
        await send_replies(context.bot, message.chat_id, await self.services.handle(incoming), editable=message)

    async def on_other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Stickers, photos, voice and the like in a private chat."""
        message = update.effective_message
        user = update.effective_user
        assert message is not None
        lang = interface_language(user.language_code if user else None)
        await send_replies(context.bot, message.chat_id, [Reply(text("not_text", lang))])

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """No update may crash the bot: log it, and tell the user something went wrong."""
        logger.error("error while handling an update", exc_info=context.error)
        if not isinstance(update, Update) or update.effective_chat is None:
            return
        if update.effective_chat.type != ChatType.PRIVATE:
            return
        user = update.effective_user
        try:
            await send_replies(
                context.bot, update.effective_chat.id, [self._notice("error", user.language_code if user else None)]
            )
        except Exception:
            logger.exception("could not send the error notice")


def load_reminder_book(assistant: Assistant, settings: Settings) -> ReminderBook | None:
    """Reminders are optional for a custom knowledge folder without reminders.yaml."""
    from bot.reminders import load_reminders

    if not (settings.knowledge_dir / "reminders.yaml").exists():
        return None
    return load_reminders(assistant.knowledge, settings.calendar_file)


def make_bot(settings: Settings, connections: int = 8, read_timeout: float = 5.0) -> Bot:
    """A Bot for the outbox sender (`send-due` and the bot's sender task): aiohttp
    networking with a connection for each message in flight (see bot/aiohttp_request.py)."""
    request = AiohttpRequest(connections=connections, read_timeout=read_timeout)
    if settings.telegram_base_url:
        base = settings.telegram_base_url.rstrip("/")
        return Bot(settings.telegram_token, base_url=f"{base}/bot", base_file_url=f"{base}/file/bot", request=request)
    return Bot(settings.telegram_token, request=request)


def build_application(settings: Settings, clock: Callable[[], dt.datetime] | None = None) -> Application:
    """The one wiring function: every handler, in the order they run."""
    services = Services(settings, clock) if clock else Services(settings)
    channel = TelegramChannel(services)

    async def post_init(app: Application) -> None:
        await asyncio.get_running_loop().run_in_executor(None, services.open)
        if services.book is not None and app.job_queue is not None:
            # the job only enqueues; the sender task drains the outbox at its own rate
            app.job_queue.run_repeating(
                channel.enqueue_due, interval=60, first=1, job_kwargs={"misfire_grace_time": 3600, "coalesce": True}
            )
            channel.sender_task = asyncio.create_task(channel.send_outbox(make_bot(settings)))
        for lang in ("zh", "en"):
            commands = [BotCommand(name, description) for name, description in COMMANDS[lang]]
            await app.bot.set_my_commands(commands, language_code=lang)
        await app.bot.set_my_commands([BotCommand(n, d) for n, d in COMMANDS["zh"]])
        logger.info("running as @%s (%s)", app.bot.username, "webhook" if settings.webhook_url else "polling")

    async def post_shutdown(app: Application) -> None:
        if channel.sender_task is not None:
            channel.sender_task.cancel()
            with suppress(asyncio.CancelledError):
                await channel.sender_task  # lets the sender close its HTTP session
        services.close()

    builder = ApplicationBuilder().token(settings.telegram_token).concurrent_updates(8)
    if settings.telegram_base_url:
        base = settings.telegram_base_url.rstrip("/")
        builder = builder.base_url(f"{base}/bot").base_file_url(f"{base}/file/bot")
    app = builder.post_init(post_init).post_shutdown(post_shutdown).build()

    private = filters.ChatType.PRIVATE
    app.add_handler(TypeHandler(Update, channel.guard_flood), group=-1)
    app.add_handler(MessageHandler(private & filters.UpdateType.MESSAGE & filters.TEXT, channel.on_text))
    app.add_handler(CallbackQueryHandler(channel.on_button))
    app.add_handler(MessageHandler(private & filters.UpdateType.MESSAGE & ~filters.TEXT, channel.on_other))
    # Edited messages, channel posts and group chats fall through: silence.
    app.add_error_handler(channel.on_error)
    return app
