"""What every feature shares: the context of one message, the long-lived parts, the
helpers that read the knowledge, and the shape of the routing tables."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from bot.engine.answering.assistant import Assistant
from bot.engine.answering.followup import Turns
from bot.engine.callbacks import Press, encode
from bot.engine.contract import Button, Reply
from bot.lessons.maker import LessonMaker
from bot.reminders.book import ReminderBook
from bot.store import Store
from bot.store.records import Profile
from bot.texts import label, text
from index.knowledge import Document
from index.vocab import TOPIC_LABELS

DEFAULT_ROLE = "parent"

Rows = tuple[tuple[Button, ...], ...]
# (feature, context, the rest of the command line) and (feature, context, the button)
CommandHandler = Callable[[Any, "Context", str], list[Reply]]
ButtonHandler = Callable[[Any, "Context", Press], list[Reply]]


@dataclass
class Context:
    """Who wrote, as the store knows them (or as a new chat would be)."""

    profile: Profile
    lang: str = field(init=False)

    def __post_init__(self) -> None:
        self.lang = self.profile.lang


class Feature:
    """A part of the engine. The engine (`bot.engine.router.Dialogue`) is every feature at
    once and sets these attributes; a feature lists what it answers in `commands`
    (without the '/') and `buttons` (by the kind of their data)."""

    commands: ClassVar[dict[str, CommandHandler]] = {}
    buttons: ClassVar[dict[str, ButtonHandler]] = {}

    assistant: Assistant
    store: Store
    book: ReminderBook | None
    admins: frozenset[int]
    turns: Turns
    _lessons: LessonMaker | None

    @property
    def lessons(self) -> LessonMaker:
        if self._lessons is None:
            self._lessons = LessonMaker(self.assistant.knowledge, self.assistant.quizzes)
        return self._lessons

    @staticmethod
    def _gone(lang: str, edit: bool = False) -> list[Reply]:
        """What an old or forged button gets."""
        return [Reply(text("gone", lang), edit=edit)]

    def _document(self, doc_id: str) -> Document | None:
        try:
            doc = self.assistant.knowledge.document(doc_id)
        except KeyError:
            return None
        return None if doc.is_expired(self.assistant.today()) else doc

    def _topic_of(self, doc_id: str) -> str:
        doc = self._document(doc_id)
        return doc.meta.topic if doc else "unknown"

    def _title(self, doc_id: str) -> str:
        doc = self._document(doc_id)
        return doc.meta.title if doc else doc_id

    def _hotline_lines(self, lang: str, keys: list[str] | tuple[str, ...]) -> str:
        hotlines = self.assistant.knowledge.hotlines
        return "\n".join(f"📞 {hotlines.line(k, lang)}" for k in keys if k in hotlines)

    @staticmethod
    def _choices(kind: str, values: tuple[str, ...], lang: str) -> Rows:
        buttons = [Button(label(v, lang), encode(kind, v)) for v in values]
        return tuple(tuple(buttons[i : i + 3]) for i in range(0, len(buttons), 3))

    @staticmethod
    def _topic_buttons(lang: str) -> Rows:
        return tuple((Button(labels[lang], encode("topic", slug)),) for slug, labels in TOPIC_LABELS.items())

    @staticmethod
    def _hotlines_button(lang: str) -> Button:
        return Button(text("btn_hotlines", lang), encode("hotlines"))
