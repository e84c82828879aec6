"""What the engine and every channel agree on: an `Incoming` message (who, text or a
button's data, the channel's language hint) and the `Reply`s the engine returns (text,
buttons, a quiz question or a file). Replies are whole; a channel splits and escapes
them for its own limits. Nothing here knows a channel."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Button:
    label: str
    data: str


@dataclass(frozen=True)
class QuizPoll:
    question: str
    options: tuple[str, ...]
    correct: int
    explanation: str


@dataclass(frozen=True)
class Attachment:
    filename: str
    data: bytes


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    edit: bool = False  # replace the message whose button was pressed
    poll: QuizPoll | None = None  # a quiz question: the text is its introduction, if any
    document: Attachment | None = None  # a file, with the text as its caption


@dataclass(frozen=True)
class Incoming:
    chat_id: int
    text: str = ""
    button: str = ""
    language: str | None = None  # the channel's hint, e.g. Telegram's "zh-hans" or "en"
