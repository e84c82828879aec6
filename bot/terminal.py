"""The terminal channel: the same dialogue on stdin and stdout. Buttons become numbered
choices; answering with the number presses the button. On a pipe each input line is
echoed, so `printf '/start\\n2\\n…' | safebot chat` reads as a transcript."""

import os
from collections.abc import Iterable
from typing import TextIO

from bot.dialogue import Button, Dialogue, Incoming, Reply

TERMINAL_CHAT_ID = 0


def render(reply: Reply, first_number: int = 1) -> tuple[str, list[Button]]:
    buttons = [b for row in reply.buttons for b in row]
    lines = [reply.text]
    if buttons:
        lines.append("  ".join(f"[{first_number + i}] {b.label}" for i, b in enumerate(buttons)))
    return "\n".join(lines), buttons


def run_chat(dialogue: Dialogue, lines: Iterable[str], out: TextIO, echo: bool) -> None:
    lang = os.environ.get("LANG", "")
    hint = lang[:2] if lang[:2] in ("zh", "en") else None
    choices: list[Button] = []
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        if echo:
            out.write(f"> {line}\n")
        if line.isdigit() and 1 <= int(line) <= len(choices):
            incoming = Incoming(TERMINAL_CHAT_ID, button=choices[int(line) - 1].data, language=hint)
        else:
            incoming = Incoming(TERMINAL_CHAT_ID, text=line, language=hint)
        choices = []
        for reply in dialogue.handle(incoming):
            shown, buttons = render(reply, len(choices) + 1)
            choices += buttons
            out.write(shown + "\n\n")
        out.flush()
