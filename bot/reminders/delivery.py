"""What the outbox sender asks of a channel: deliver one reply to one chat and say how it
went, in one small result type, so the sender never sees a channel's own errors.

- `Sent`: done.
- `RetryAfter(seconds)`: the channel asks every sender to pause (Telegram's 429 is per
  bot); the row is tried again after the pause.
- `Blocked(reason)`: the person blocked us or the chat is gone: stop sending to them.
- `Failed(reason, transient)`: this message failed; with `transient` (a timeout, a
  network fault) the row is tried again later, else it is given up."""

from dataclasses import dataclass
from typing import Protocol

from bot.engine.contract import Reply


@dataclass(frozen=True)
class Sent:
    pass


@dataclass(frozen=True)
class RetryAfter:
    seconds: float


@dataclass(frozen=True)
class Blocked:
    reason: str


@dataclass(frozen=True)
class Failed:
    reason: str
    transient: bool = False


Result = Sent | RetryAfter | Blocked | Failed


class Deliverer(Protocol):
    """One channel's way of sending a reply to a chat (its internal chat id)."""

    async def deliver(self, chat_id: int, reply: Reply) -> Result: ...
