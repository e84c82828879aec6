"""An engine `Reply` as Telegram shows it: the text HTML-escaped (every string we send is
plain text to Telegram's HTML parse mode), the buttons as an inline keyboard, and a reply
too long for one message split at Telegram's limit (bot/channels/textsplit.py)."""

import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.channels.textsplit import split_text
from bot.engine.contract import Button, Reply

TEXT_LIMIT = 4000  # Telegram's limit is 4,096 characters; leave room for escaping


def escape(message: str) -> str:
    """Every string we send is plain text to Telegram's HTML parse mode."""
    return html.escape(message, quote=False)


def markup(buttons: tuple[tuple[Button, ...], ...]) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in buttons])


def split_reply(reply: Reply) -> list[Reply]:
    """A reply too long for one message becomes several: the buttons go with the last
    part, and only the first replaces the message whose button was pressed."""
    chunks = split_text(reply.text, TEXT_LIMIT)
    if len(chunks) == 1 or reply.poll or reply.document:
        return [reply]
    last = len(chunks) - 1
    return [Reply(c, reply.buttons if i == last else (), reply.edit and i == 0) for i, c in enumerate(chunks)]
