"""The terminal channel: the same dialogue on stdin and stdout. Buttons become numbered
choices; answering with the number presses the button. A quiz is shown as numbered
questions, one at a time (the engine judges each answer and keeps the score); a document
is saved to a folder and its path printed. On a pipe each input line is echoed, so
`printf '/start\\n2\\n…' | safebot chat` reads as a transcript."""

import os
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TextIO

from bot.engine.contract import Button, Incoming, QuizPoll, Reply
from bot.engine.router import Dialogue, QuizRun
from bot.store.protocol import Store
from bot.store.records import Profile
from bot.texts import interface_language, text

TERMINAL_CHAT_ID = 0


@dataclass
class _Session:
    """What the terminal shows is numbered; this remembers what the numbers mean."""

    choices: list[Button] = field(default_factory=list)
    quiz: QuizRun | None = None


def render(reply: Reply, first_number: int = 1) -> tuple[str, list[Button]]:
    buttons = [b for row in reply.buttons for b in row]
    lines = [reply.text] if reply.text else []
    if buttons:
        lines.append("  ".join(f"[{first_number + i}] {b.label}" for i, b in enumerate(buttons)))
    return "\n".join(lines), buttons


def _show_poll(poll: QuizPoll, number: int, total: int) -> str:
    options = "  ".join(f"[{i + 1}] {option}" for i, option in enumerate(poll.options))
    return f"({number}/{total}) {poll.question}\n{options}"


def _language_hint() -> str | None:
    lang_env = os.environ.get("LANG", "")
    return lang_env[:2] if lang_env[:2] in ("zh", "en") else None


def choose_role(store: Store, role: str) -> None:
    """Chat as a parent, student or teacher from the first message, as if the role had
    been picked after /start (an outside tester's chats ran with no role, and a
    parent's follow-up came back worded for a child)."""
    old = store.profile(TERMINAL_CHAT_ID)
    profile = Profile(TERMINAL_CHAT_ID, role, None, interface_language(_language_hint()))
    store.save_profile(replace(old, role=role) if old else profile)


def run_chat(dialogue: Dialogue, lines: Iterable[str], out: TextIO, echo: bool, files: Path) -> None:
    hint = _language_hint()
    session = _Session()
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        if echo:
            out.write(f"> {line}\n")
        if session.quiz is not None and line.isdigit():
            _answer_poll(session.quiz, int(line) - 1, out)
            if session.quiz.current is None:
                session.quiz = None
            continue
        session.quiz = None
        if line.isdigit() and 1 <= int(line) <= len(session.choices):
            incoming = Incoming(TERMINAL_CHAT_ID, button=session.choices[int(line) - 1].data, language=hint)
        else:
            incoming = Incoming(TERMINAL_CHAT_ID, text=line, language=hint)
        session.choices = []
        polls: list[QuizPoll] = []
        for reply in dialogue.handle(incoming):
            if reply.poll:
                polls.append(reply.poll)
                continue
            if reply.document:
                files.mkdir(parents=True, exist_ok=True)
                path = files / reply.document.filename
                path.write_bytes(reply.document.data)
                saved = text("saved_file", dialogue.language(TERMINAL_CHAT_ID, hint), path=str(path))
                reply = Reply(f"{reply.text}\n{saved}")
            shown, buttons = render(reply, len(session.choices) + 1)
            session.choices += buttons
            out.write(shown + "\n\n")
        if polls:
            session.quiz = dialogue.start_quiz(TERMINAL_CHAT_ID, polls)
            out.write(_show_poll(polls[0], 1, len(polls)) + "\n\n")
        out.flush()


def _answer_poll(quiz: QuizRun, choice: int, out: TextIO) -> None:
    for reply in quiz.answer(choice):
        out.write(reply.text + "\n\n")
    if quiz.current is not None:
        out.write(_show_poll(quiz.current, quiz.asked + 1, len(quiz.polls)) + "\n\n")
    out.flush()
