"""The dialogue engine: one place decides everything the bot says, for every channel.
A channel turns what a user did into an `Incoming` and sends the `Reply`s back; the
engine never knows whether that was Telegram or a terminal, so it is tested alone.
Replies are whole: each channel splits them for its own limits and escapes them.

This module is the router. The features live in `bot/engine/features/` (onboarding and
settings, questions, browsing, reminders, admin, quiz, lessons), each naming the commands
and button kinds it answers. Button data is short and self-describing
("doc:drowning-parent-zh"), encoded and decoded in `bot.engine.callbacks` (which checks
Telegram's 64 bytes), so no conversation state has to survive between steps."""

from functools import partial

from bot.engine.answering.assistant import Assistant
from bot.engine.answering.followup import Turns
from bot.engine.callbacks import Press, decode
from bot.engine.contract import Attachment, Button, Incoming, QuizPoll, Reply
from bot.engine.features.admin import Admin
from bot.engine.features.base import DEFAULT_ROLE, Context, Feature
from bot.engine.features.browse import Browsing
from bot.engine.features.lessons import Lessons
from bot.engine.features.onboarding import Onboarding
from bot.engine.features.questions import Questions
from bot.engine.features.quiz import QUIZ_LENGTH, Quiz, QuizRun
from bot.engine.features.subscriptions import Subscriptions
from bot.lessons.maker import LessonMaker
from bot.reminders.book import ReminderBook
from bot.store import Store
from bot.store.records import Profile
from bot.texts import interface_language, text

FEATURES: tuple[type[Feature], ...] = (Onboarding, Browsing, Questions, Subscriptions, Admin, Quiz, Lessons)

__all__ = [
    "DEFAULT_ROLE",
    "QUIZ_LENGTH",
    "Attachment",
    "Button",
    "Dialogue",
    "Incoming",
    "QuizPoll",
    "QuizRun",
    "Reply",
]


class Dialogue(Onboarding, Browsing, Questions, Subscriptions, Admin, Quiz, Lessons):
    def __init__(
        self,
        assistant: Assistant,
        store: Store,
        book: ReminderBook | None = None,
        admins: frozenset[int] = frozenset(),
        lessons: LessonMaker | None = None,
    ) -> None:
        self.assistant = assistant
        self.store = store
        self.book = book
        self.admins = admins
        self._lessons = lessons
        self.turns = Turns()  # the last answered topic per chat, for follow-ups
        self._routes = {name: partial(handler, self) for f in FEATURES for name, handler in f.commands.items()}
        self._presses = {kind: partial(handler, self) for f in FEATURES for kind, handler in f.buttons.items()}

    # -- the router ----------------------------------------------------------------------

    def handle(self, incoming: Incoming) -> list[Reply]:
        ctx = Context(self._profile(incoming))
        message = incoming.text.strip()
        if incoming.button:
            press = decode(incoming.button)
            on_press = self._presses.get(press.kind, self._unknown_press)
            return on_press(ctx, press)
        if message.startswith("/"):
            word, args = [*message[1:].split(maxsplit=1), "", ""][:2]
            command = word.split("@")[0].lower()
            route = self._routes.get(command)
            if route is None:
                return [Reply(text("unknown_command", ctx.lang)), *self._help(ctx)]
            return route(ctx, args.strip())
        if not message:  # a blank message is not a question: say how to ask
            return self._help(ctx)
        return self._question(ctx, incoming.text)

    def _unknown_press(self, ctx: Context, press: Press) -> list[Reply]:
        return self._gone(ctx.lang)

    def _profile(self, incoming: Incoming) -> Profile:
        profile = self.store.profile(incoming.chat_id)
        if profile is None:
            profile = Profile(incoming.chat_id, None, None, interface_language(incoming.language))
        return profile

    # -- for channels --------------------------------------------------------------------

    def language(self, chat_id: int, hint: str | None = None) -> str:
        """The chat's interface language: its saved one, else the channel's hint."""
        profile = self.store.profile(chat_id)
        return profile.lang if profile else interface_language(hint)

    def notice(self, key: str, lang: str) -> Reply:
        """A notice a channel sends on its own ('flood': too many messages; 'error':
        something broke; 'not_text': a sticker or a photo): the engine's words, with the
        police and ambulance numbers where the notice names them."""
        hotlines = self.assistant.knowledge.hotlines
        return Reply(text(key, lang, police=hotlines["police"].number, ambulance=hotlines["ambulance"].number))

    def start_quiz(self, chat_id: int, polls: list[QuizPoll]) -> QuizRun:
        """A quiz taken one answer at a time, for a channel without native quiz polls."""
        return QuizRun(tuple(polls), self.language(chat_id))
