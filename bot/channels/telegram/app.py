"""The Telegram channel's wiring. It only translates: the handlers (handlers.py) turn
updates into `Incoming`s and send the engine's replies, rendered for Telegram
(render.py). The store, the engine's worker and flood control come from the runtime
(`bot.runtime`); the outbox's Telegram deliverer is delivery.py.

One wiring function, `build_application`, registers every handler in one ordered block
and starts the reminder job and the outbox sender with the bot. Updates come by long
polling (`safebot run`) or through the HTTP app's webhook route (`Webhook`)."""

import asyncio
import datetime as dt
import logging
import secrets
from collections.abc import Callable
from contextlib import suppress

from telegram import Bot, BotCommand, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.channels.telegram.delivery import deliverers, make_bot
from bot.channels.telegram.handlers import Handlers
from bot.logs import keep_secret
from bot.reminders.book import ReminderBook
from bot.reminders.sender import OutboxSender
from bot.runtime import Runtime
from bot.settings import Settings
from bot.texts import COMMANDS

logger = logging.getLogger(__name__)


class Outbox:
    """The bot's reminder work: a job that queues what is due, and a task that sends."""

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
    outbox, handlers = Outbox(runtime), Handlers(runtime)

    async def post_init(app: Application) -> None:
        if owned:
            await asyncio.get_running_loop().run_in_executor(None, runtime.open)
        if runtime.book is not None and app.job_queue is not None:
            # the job only enqueues; the sender task drains the outbox at its own rate
            app.job_queue.run_repeating(
                outbox.enqueue_due, interval=60, first=1, job_kwargs={"misfire_grace_time": 3600, "coalesce": True}
            )
            outbox.sender_task = asyncio.create_task(outbox.send_outbox(make_bot(settings)))
        for lang in ("zh", "en"):
            commands = [BotCommand(name, description) for name, description in COMMANDS[lang]]
            await app.bot.set_my_commands(commands, language_code=lang)
        await app.bot.set_my_commands([BotCommand(n, d) for n, d in COMMANDS["zh"]])
        logger.info("running as @%s (%s)", app.bot.username, "webhook" if settings.webhook_url else "polling")

    async def post_shutdown(app: Application) -> None:
        if outbox.sender_task is not None:
            outbox.sender_task.cancel()
            with suppress(asyncio.CancelledError):
                await outbox.sender_task  # lets the sender close its HTTP session
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
    app.add_handler(TypeHandler(Update, handlers.guard_flood), group=-1)
    app.add_handler(MessageHandler(private & filters.UpdateType.MESSAGE & filters.TEXT, handlers.on_text))
    app.add_handler(CallbackQueryHandler(handlers.on_button))
    app.add_handler(MessageHandler(private & filters.UpdateType.MESSAGE & ~filters.TEXT, handlers.on_other))
    # Edited messages, channel posts and group chats fall through: silence.
    app.add_error_handler(handlers.on_error)
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
