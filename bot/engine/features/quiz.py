"""Quizzes: /quiz → a topic → five questions for the chat's school stage. A channel with
native quiz polls (Telegram) lets its client judge them; any other channel takes the
quiz through a `QuizRun`, so the engine judges each answer and keeps the score."""

from dataclasses import dataclass
from typing import ClassVar

from bot.engine.callbacks import Press, encode
from bot.engine.contract import Button, QuizPoll, Reply
from bot.engine.features.base import ButtonHandler, CommandHandler, Context, Feature
from bot.texts import text
from index.vocab import TOPIC_LABELS

QUIZ_LENGTH = 5


@dataclass
class QuizRun:
    """A quiz in progress: the engine says whether each answer is right and gives the
    score at the end; the channel only shows the questions and passes on the choices."""

    polls: tuple[QuizPoll, ...]
    lang: str
    asked: int = 0
    right: int = 0

    @property
    def current(self) -> QuizPoll | None:
        return self.polls[self.asked] if self.asked < len(self.polls) else None

    def answer(self, choice: int) -> list[Reply]:
        """`choice` counts from 0. The verdict with the explanation, then the score once
        the last question is answered."""
        poll = self.current
        if poll is None:
            return []
        if choice == poll.correct:
            self.right += 1
            verdict = text("quiz_right", self.lang)
        else:
            verdict = text("quiz_wrong", self.lang, answer=f"[{poll.correct + 1}] {poll.options[poll.correct]}")
        self.asked += 1
        replies = [Reply(f"{verdict}{poll.explanation}")]
        if self.current is None:
            replies.append(Reply(text("quiz_score", self.lang, right=str(self.right), total=str(len(self.polls)))))
        return replies


class Quiz(Feature):
    def _quiz_menu(self, ctx: Context, args: str) -> list[Reply]:
        buttons = tuple((Button(labels[ctx.lang], encode("quiz", slug)),) for slug, labels in TOPIC_LABELS.items())
        return [Reply(text("quiz_topics", ctx.lang), buttons)]

    def _on_quiz(self, ctx: Context, press: Press) -> list[Reply]:
        topic = press.rest
        if topic not in TOPIC_LABELS:
            return self._gone(ctx.lang)
        seed = int(self.assistant.today().strftime("%j")) + ctx.profile.chat_id
        questions = self.assistant.quizzes.pick(topic, ctx.profile.grade, ctx.lang, QUIZ_LENGTH, seed=seed)
        if not questions:
            return self._gone(ctx.lang)
        intro = Reply(text("quiz_intro", ctx.lang, topic=TOPIC_LABELS[topic][ctx.lang], count=str(len(questions))))
        polls = [Reply("", poll=QuizPoll(q.question, tuple(q.options), q.answer, q.explanation)) for q in questions]
        return [intro, *polls]

    commands: ClassVar[dict[str, CommandHandler]] = {"quiz": _quiz_menu}
    buttons: ClassVar[dict[str, ButtonHandler]] = {"quiz": _on_quiz}
