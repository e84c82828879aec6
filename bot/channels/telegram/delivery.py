"""Telegram as the outbox's deliverer: a reply becomes a sendMessage with its text
HTML-escaped and its buttons inline (render.py); Telegram's errors become
`bot.reminders.delivery` results.

`BadRequest` and `TimedOut` are subclasses of `NetworkError`, so the order of the
`except` clauses matters. `InvalidToken` is not mapped: a wrong token stops the sender."""

import datetime as dt
import logging

from telegram import Bot
from telegram import error as tg
from telegram.constants import ParseMode

from bot.channels.telegram.render import escape, markup
from bot.channels.telegram.request import AiohttpRequest
from bot.engine.contract import Reply
from bot.reminders.delivery import Blocked, Failed, Result, RetryAfter, Sent
from bot.settings import Settings

logger = logging.getLogger(__name__)

CHANNEL = "telegram"


def seconds_of(exc: tg.RetryAfter) -> float:
    delay = exc.retry_after
    return delay.total_seconds() if isinstance(delay, dt.timedelta) else float(delay)


class TelegramDeliverer:
    """Sends outbox rows (a Telegram chat's internal id is its Telegram id)."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def deliver(self, chat_id: int, reply: Reply) -> Result:
        try:
            await self.bot.send_message(
                chat_id, escape(reply.text), parse_mode=ParseMode.HTML, reply_markup=markup(reply.buttons)
            )
        except tg.RetryAfter as exc:
            return RetryAfter(seconds_of(exc))
        except tg.Forbidden:
            return Blocked("blocked by the user")
        except tg.BadRequest as exc:
            if "chat not found" in exc.message.lower():
                return Blocked("chat not found")
            return Failed(exc.message)
        except (tg.TimedOut, tg.NetworkError) as exc:  # TimedOut: it may have arrived anyway
            return Failed(exc.__class__.__name__, transient=True)
        return Sent()


def make_bot(settings: Settings, connections: int = 8, read_timeout: float = 5.0) -> Bot:
    """A Bot for the outbox sender (`send-due` and the bot's sender task): aiohttp
    networking with a connection for each message in flight (see bot/channels/telegram/request.py)."""
    request = AiohttpRequest(connections=connections, read_timeout=read_timeout)
    if settings.telegram_base_url:
        base = settings.telegram_base_url.rstrip("/")
        return Bot(settings.telegram_token, base_url=f"{base}/bot", base_file_url=f"{base}/file/bot", request=request)
    return Bot(settings.telegram_token, request=request)


def deliverers(bot: Bot) -> dict[str, TelegramDeliverer]:
    """The outbox sender's deliverers when Telegram is the channel that sends."""
    return {CHANNEL: TelegramDeliverer(bot)}
