"""The engine's router: each feature names its commands and button kinds in one table;
no two features claim the same one, every command the bot registers with Telegram is
routed, and no feature module grows past about 300 lines."""

from collections import Counter
from pathlib import Path

from bot.engine.router import FEATURES
from bot.texts import COMMANDS


def test_no_two_features_claim_a_command_or_a_button_kind() -> None:
    commands = Counter(name for f in FEATURES for name in f.commands)
    kinds = Counter(kind for f in FEATURES for kind in f.buttons)
    assert [n for n, c in commands.items() if c > 1] == [] and [k for k, c in kinds.items() if c > 1] == []
    assert {"start", "broadcast", "quiz", "lesson", "subscribe", "forget"} <= set(commands)
    assert {"role", "doc", "sec", "full", "fb", "chk", "sub", "ack", "bc", "quiz", "ls"} <= set(kinds)


def test_every_registered_command_is_routed() -> None:
    routed = {name for f in FEATURES for name in f.commands}
    for lang in ("zh", "en"):
        assert {name for name, _ in COMMANDS[lang]} <= routed


def test_engine_modules_stay_small() -> None:
    engine = Path(__file__).resolve().parent.parent / "bot" / "engine"
    sizes = {p.name: len(p.read_text().splitlines()) for p in [engine / "router.py", *engine.glob("features/*.py")]}
    assert max(sizes.values()) <= 300, sizes
