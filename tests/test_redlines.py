"""Red lines: for questions where a wrong answer can kill, what the reply must say and
what it must never say (tests/eval/redlines.yaml), checked on the real answers."""

import re
from pathlib import Path

import pytest
import yaml

from bot.engine.router import DEFAULT_ROLE
from index import Preferences

CASES = yaml.safe_load((Path(__file__).resolve().parent / "eval" / "redlines.yaml").read_text(encoding="utf-8"))


def test_set_is_large_enough() -> None:
    assert len(CASES) >= 120


def _marked(case: dict) -> object:
    """A red line the bot is known to cross is an open bug, listed in the file with its
    reason: strict, so the test turns red the day it passes and the mark must go."""
    reason = case.get("known_failure")
    return pytest.param(case, marks=pytest.mark.xfail(strict=True, reason=reason)) if reason else case


@pytest.mark.parametrize("case", [_marked(c) for c in CASES], ids=lambda c: c["q"][:40])
def test_reply_keeps_the_red_lines(real_assistant, case: dict) -> None:
    # asked as the bot asks: a user who has not said who they are is taken for a parent
    prefs = Preferences(audience=case.get("audience", DEFAULT_ROLE))
    reply = real_assistant.answer(case["q"], prefs).reply
    for pattern in case["must"]:
        assert re.search(pattern, reply, re.IGNORECASE), f"missing {pattern!r} in:\n{reply}"
    for pattern in case.get("must_not", []):
        found = re.search(pattern, reply, re.IGNORECASE)
        assert not found, f"forbidden {pattern!r} ({found.group(0)!r}) in:\n{reply}"
