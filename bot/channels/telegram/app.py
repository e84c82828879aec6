"""The Telegram channel. It only translates: an update becomes an `Incoming`, each
`Reply` is split to Telegram's limit and becomes a sendMessage or editMessageText with
every string HTML-escaped. What to say, and the flood and error notices, are decided by
the dialogue engine; the store, the engine's worker and flood control come from the
runtime (`bot.runtime`).

One wiring function, `build_application`, registers every handler in one ordered block.
Updates come by long polling (`safebot run`) or through the HTTP app's webhook route
(`Webhook`)."""

import asyncio
import datetime as dt
import logging
import secrets
from collections.abc import Awaitable, Callable
from contextlib import suppress
from functools import partial

from telegram import Bot, BotCommand, InputFile, Message, Poll, Update
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

from bot.channels.telegram.delivery import deliverers, escape, make_bot, markup, seconds_of
from bot.channels.textsplit import split_text
from bot.engine.contract import Incoming, Reply
from bot.logs import keep_secret
from bot.reminders.book import ReminderBook
from bot.reminders.sender import OutboxSender
from bot.runtime import Runtime
from bot.settings import Settings
from bot.texts import COMMANDS, interface_language

logger = logging.getLogger(__name__)

SEND_ATTEMPTS = 4
TEXT_LIMIT = 4000  # Telegram's limit is 4,096 characters; leave room for escaping


async def _with_retry(call: Callable[[], Awaitable[object]]) -> None:
    """Honour Telegram's 429 `retry_after`; other errors reach the error handler."""
    for attempt in range(SEND_ATTEMPTS):
        try:
            await call()
            return
        except RetryAfter as exc:
            if attempt == SEND_ATTEMPTS - 1:
                raise
            seconds = seconds_of(exc)
            logger.warning("rate limited by Telegram: waiting %.1f s", seconds)
            await asyncio.sleep(seconds)


def split_reply(reply: Reply) -> list[Reply]:
    """A reply too long for one message becomes several: the buttons go with the last
    part, and only the first replaces the message whose button was pressed."""
    chunks = split_text(reply.text, TEXT_LIMIT)
    if len(chunks) == 1 or reply.poll or reply.document:
        return [reply]
    last = len(chunks) - 1
    return [Reply(c, reply.buttons if i == last else (), reply.edit and i == 0) for i, c in enumerate(chunks)]


async def send_replies(bot: Bot, chat_id: int, replies: list[Reply], editable: Message | None = None) -> None:
    """Each reply split to Telegram's limit and HTML-escaped."""
    parts = [part for reply in replies for part in split_reply(reply)]
    for i, reply in enumerate(parts):
        body, keyboard = escape(reply.text), markup(reply.buttons)
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
                    bot.send_document, chat_id, document, caption=body, parse_mode=ParseMode.HTML, reply_markup=keyboard
                )
            )
        elif reply.edit and editable is not None and i == 0:
            await _with_retry(partial(editable.edit_text, body, parse_mode=ParseMode.HTML, reply_markup=keyboard))
        else:
            await _with_retry(
                partial(bot.send_message, chat_id, body, parse_mode=ParseMode.HTML, reply_markup=keyboard)
            )


class TelegramChannel:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.sender_task: asyncio.Task[None] | None = None

    async def enqueue_due(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Every minute: queue the reminders that are due. Idempotent, so a late or
        repeated run never sends twice."""
        for occ, added in await asyncio.get_running_loop().run_in_executor(None, self.runtime.enqueue_due):
            if added:
                logger.info("queued reminder %s for %d chats", occ.reminder.id, added)

    async def send_outbox(self, bot: Bot) -> None:
        """Runs for the life of the bot: drains the outbox, then looks again shortly."""
        runtime = self.runtime
        book = runtime.book
        assert book is not None
        async with bot:
            await self._send_forever(bot, book)

    async def _send_forever(self, bot: Bot, book: ReminderBook) -> None:
        runtime = self.runtime
        while True:
            try:
                sender = OutboxSender(
                    runtime.store, deliverers(bot), book, rate=runtime.settings.send_rate, now=runtime.clock
                )
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
        verdict = self.runtime.flood.check(user.id)
        if verdict == "ok":
            return
        if verdict == "notice":
            await send_replies(context.bot, chat.id, [self._notice("flood", user.language_code)])
        raise ApplicationHandlerStop

    def _notice(self, key: str, language: str | None) -> Reply:
        return self.runtime.dialogue.notice(key, interface_language(language))

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A question or a command from a private chat."""
        message = update.effective_message
        user = update.effective_user
        assert message is not None and message.text is not None
        incoming = Incoming(message.chat_id, text=message.text, language=user.language_code if user else None)
        await send_replies(context.bot, message.chat_id, await self.runtime.handle(incoming))

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A press on an inline button."""
        query = update.callback_query
        assert query is not None
        await query.answer()
        message = query.message if isinstance(query.message, Message) else None
        if message is None or not query.data:
            return
        incoming = Incoming(message.chat_id, button=query.data, language=query.from_user.language_code)
        await send_replies(context.bot, message.chat_id, await self.runtime.handle(incoming), editable=message)

    async def on_other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Stickers, photos, voice and the like in a private chat."""
        message = update.effective_message
        user = update.effective_user
        assert message is not None
        await send_replies(
            context.bot, message.chat_id, [self._notice("not_text", user.language_code if user else None)]
        )

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


def build_application(
    settings: Settings,
    clock: Callable[[], dt.datetime] | None = None,
    runtime: Runtime | None = None,
    webhook: bool = False,
) -> Application:
    """The one wiring function: every handler, in the order they run. `runtime`: one
    that another host (the HTTP app) opens and closes; else the bot opens its own.
    `webhook`: updates arrive from outside (`Webhook`), so no polling updater."""
    owned = runtime is None
    runtime = runtime or Runtime(settings, clock=clock)
    channel = TelegramChannel(runtime)

    async def post_init(app: Application) -> None:
        if owned:
            await asyncio.get_running_loop().run_in_executor(None, runtime.open)
        if runtime.book is not None and app.job_queue is not None:
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
        if owned:
            runtime.close()

    builder = ApplicationBuilder().token(settings.telegram_token).concurrent_updates(8)
    if webhook:
        builder = builder.updater(None)
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


class Webhook:
    """The Telegram channel inside the HTTP app (`safebot serve`, and `safebot run` with
    SAFEBOT_WEBHOOK_URL), instead of python-telegram-bot's own webhook server: the app's
    route checks Telegram's secret token and puts each update on the Application's queue.
    The Application shares the HTTP app's runtime (one store, one engine worker)."""

    HEADER = "X-Telegram-Bot-Api-Secret-Token"

    def __init__(self, settings: Settings, runtime: Runtime, clock: Callable[[], dt.datetime] | None = None) -> None:
        self.settings = settings
        self.app = build_application(settings, clock, runtime=runtime, webhook=True)
        # Telegram sends the secret back with every update; without it an update gets 403
        self.secret = settings.webhook_secret or secrets.token_urlsafe(32)
        keep_secret([self.secret])
        self.path = "/" + settings.webhook_path

    def accepts(self, token: str | None) -> bool:
        return token is not None and secrets.compare_digest(token.encode(), self.secret.encode())

    async def put(self, data: object) -> None:
        """Queue one update (a JSON object from Telegram) for the handlers."""
        update = Update.de_json(data, self.app.bot)  # type: ignore[arg-type]
        await self.app.update_queue.put(update)

    async def start(self) -> None:
        """What `run_webhook` did before serving: initialize, post_init, register the
        webhook with its secret, start the handlers and the job queue."""
        app = self.app
        await app.initialize()
        if app.post_init is not None:
            await app.post_init(app)
        await app.bot.set_webhook(self.settings.webhook_url, secret_token=self.secret, allowed_updates=Update.ALL_TYPES)
        await app.start()

    async def stop(self) -> None:
        app = self.app
        if app.running:
            await app.stop()
        if app.post_stop is not None:
            await app.post_stop(app)
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)
