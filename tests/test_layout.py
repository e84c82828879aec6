"""Imports run downward only (DESIGN.md, "Layout"): channels -> runtime -> engine ->
services (reminders, lessons) -> store -> index. Every import in bot/ and index/ is read,
including those inside functions, so a shortcut upward fails here and not in review."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The engine's vocabulary: the reply types and the button-data codec. Both import nothing
# from bot, so the outbox and the channels may use them without pulling in the engine.
ENGINE_VOCABULARY = ("bot.engine.contract", "bot.engine.callbacks")

# (importer, what it may not import, exceptions)
RULES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("index", ("bot",), ()),
    ("bot.settings", ("bot",), ("bot.logs",)),
    ("bot.logs", ("bot",), ("bot.settings",)),
    ("bot.texts", ("bot",), ()),
    ("bot.store", ("bot",), ("bot.store", "bot.settings", "bot.logs")),
    ("bot.reminders", ("bot.engine", "bot.runtime", "bot.channels", "bot.cli"), ENGINE_VOCABULARY),
    ("bot.lessons", ("bot.engine", "bot.runtime", "bot.channels", "bot.cli"), ENGINE_VOCABULARY),
    ("bot.engine", ("bot.runtime", "bot.channels", "bot.cli"), ()),
    ("bot.runtime", ("bot.channels", "bot.cli"), ()),
    ("bot.channels", ("bot.cli",), ()),
)


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _imports() -> list[tuple[str, str]]:
    """(importing module, imported module) for every absolute import in bot/ and index/."""
    found = []
    for top in ("bot", "index"):
        for path in sorted((ROOT / top).rglob("*.py")):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    found += [(module, alias.name) for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    found.append((module, node.module))
    return found


def _upward(imports: list[tuple[str, str]]) -> set[tuple[str, str]]:
    return {
        (importer, imported)
        for importer, imported in imports
        for package, forbidden, allowed in RULES
        if _within(importer, package)
        and any(_within(imported, f) for f in forbidden)
        and not any(_within(imported, a) for a in allowed)
    }


def test_imports_run_downward_only() -> None:
    imports = _imports()
    assert len(imports) > 100, "the walk found too few imports to mean anything"
    assert _upward(imports) == set()


def test_the_rules_catch_an_upward_import() -> None:
    assert _upward([("bot.store.sqlite", "bot.engine.router"), ("index.build", "bot.settings")]) == {
        ("bot.store.sqlite", "bot.engine.router"),
        ("index.build", "bot.settings"),
    }
    assert _upward([("bot.runtime", "bot.channels.telegram.app"), ("bot.engine.router", "bot.channels")]) != set()
    assert _upward([("bot.reminders.sender", "bot.engine.contract"), ("bot.channels.terminal", "bot.runtime")]) == set()


def test_kb_check_imports_nothing_from_the_engine_or_the_services() -> None:
    """The schemas of every knowledge file live in index/ (DESIGN.md), so `safebot kb
    check` validates them without loading the engine, the reminders or the lessons."""
    code = (
        "import sys\nfrom bot.cli import cli\ncli.main(['kb', 'check'], standalone_mode=False)\n"
        "print(sorted({m for m in sys.modules if m.startswith(('bot.engine', 'bot.reminders', 'bot.lessons'))}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    out = done.stdout.strip().splitlines()
    assert out[0].startswith("ok: ") and out[-1] == "[]"
