"""The terminal channel: the same dialogue on stdin and stdout. Buttons become numbered
choices; answering with the number presses the button. A quiz is shown as numbered
questions, scored at the end; a document is saved to a folder and its path printed. On a
pipe each input line is echoed, so `printf '/start\\n2\\n…' | safebot chat` reads as a
transcript."""

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from bot.dialogue import Button, Dialogue, Incoming, QuizPoll, Reply
from bot.messages import text

TERMINAL_CHAT_ID = 0


@dataclass
class _Session:
    """What the terminal shows is numbered; this remembers what the numbers mean."""

    choices: list[Button] = field(default_factory=list)
    polls: list[QuizPoll] = field(default_factory=list)
    right: int = 0
    asked: int = 0


def render(reply: Reply, first_number: int = 1) -> tuple[str, list[Button]]:
    buttons = [b for row in reply.buttons for b in row]
    lines = [reply.text] if reply.text else []
    if buttons:
        lines.append("  ".join(f"[{first_number + i}] {b.label}" for i, b in enumerate(buttons)))
    return "\n".join(lines), buttons


def _show_poll(poll: QuizPoll, number: int, total: int) -> str:
    options = "  ".join(f"[{i + 1}] {option}" for i, option in enumerate(poll.options))
    return f"({number}/{total}) {poll.question}\n{options}"


def run_chat(dialogue: Dialogue, lines: Iterable[str], out: TextIO, echo: bool, files: Path) -> None:
    lang_env = os.environ.get("LANG", "")
    hint = lang_env[:2] if lang_env[:2] in ("zh", "en") else None
    session = _Session()
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        if echo:
            out.write(f"> {line}\n")
        if session.polls and line.isdigit():
            _answer_poll(session, int(line) - 1, dialogue, out)
            continue
        session.polls = []
        if line.isdigit() and 1 <= int(line) <= len(session.choices):
            incoming = Incoming(TERMINAL_CHAT_ID, button=session.choices[int(line) - 1].data, language=hint)
        else:
            incoming = Incoming(TERMINAL_CHAT_ID, text=line, language=hint)
        session.choices = []
        for reply in dialogue.handle(incoming):
            if reply.poll:
                session.polls.append(reply.poll)
                continue
            if reply.document:
                files.mkdir(parents=True, exist_ok=True)
                path = files / reply.document.filename
                path.write_bytes(reply.document.data)
                reply = Reply(f"{reply.text}\n{text('saved_file', _lang(dialogue, hint), path=str(path))}")
            shown, buttons = render(reply, len(session.choices) + 1)
            session.choices += buttons
            out.write(shown + "\n\n")
        if session.polls:
            session.right = session.asked = 0
            out.write(_show_poll(session.polls[0], 1, len(session.polls)) + "\n\n")
        out.flush()


def _answer_poll(session: _Session, choice: int, dialogue: Dialogue, out: TextIO) -> None:
    poll = session.polls[session.asked]
    lang = _lang(dialogue, None)
    if choice == poll.correct:
        session.right += 1
        verdict = text("quiz_right", lang)
    else:
        verdict = text("quiz_wrong", lang, answer=f"[{poll.correct + 1}] {poll.options[poll.correct]}")
    session.asked += 1
    out.write(f"{verdict}{poll.explanation}\n\n")
    if session.asked < len(session.polls):
        out.write(_show_poll(session.polls[session.asked], session.asked + 1, len(session.polls)) + "\n\n")
    else:
        out.write(text("quiz_score", lang, right=str(session.right), total=str(len(session.polls))) + "\n\n")
        session.polls = []
    out.flush()


def _lang(dialogue: Dialogue, hint: str | None) -> str:
    profile = dialogue.store.profile(TERMINAL_CHAT_ID)
    return profile.lang if profile else (hint if hint == "en" else "zh")
