"""What the store keeps and hands back, the same for every backend: a chat's profile, an
outbox row, and the ids and channel names the rows use."""

from dataclasses import dataclass

# Internal chat ids given to identities start above every Telegram chat id (Telegram's
# fit in 52 bits; groups are negative), so a web user never shares a Telegram user's row.
FIRST_INTERNAL_CHAT_ID = 2**53
# Each outbox row names its channel. A Telegram chat's internal id is its Telegram id, and
# the sender pushes its rows. A chat known by an identity (the web page, a school system
# calling the API) cannot be pushed to: its rows wait in the "inbox" channel, which no
# sender claims, until the caller fetches them (`take_inbox`, GET /api/v1/inbox).
TELEGRAM = "telegram"
INBOX = "inbox"
INBOX_LIMIT = 20  # a fetch returns at most this many; the rest come with the next one

OUTBOX_STATES = ("pending", "sending", "sent", "failed", "blocked")


@dataclass(frozen=True)
class OutboxRow:
    id: int
    reminder_id: str
    occurrence: str
    chat_id: int
    lang: str
    ack: bool
    attempts: int
    channel: str = TELEGRAM


@dataclass(frozen=True)
class Profile:
    chat_id: int
    role: str | None
    grade: str | None
    lang: str
