"""The Telegram update handlers: each update becomes an engine `Incoming`, the runtime's
dialogue answers, and each `Reply` goes back as a sendMessage, editMessageText, quiz poll
or document (render.py escapes and splits it). What to say, and the flood and error
notices, are decided by the dialogue engine; flood control comes from the runtime."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from functools import partial

from telegram import Bot, InputFile, Message, Poll, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import RetryAfter
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.channels.telegram.delivery import seconds_of
from bot.channels.telegram.render import escape, markup, split_reply
from bot.engine.contract import Incoming, Reply
from bot.runtime import Runtime
from bot.texts import interface_language

logger = logging.getLogger(__name__)

SEND_ATTEMPTS = 4


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


class Handlers:
    """The handlers `build_application` registers, sharing one runtime."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

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
