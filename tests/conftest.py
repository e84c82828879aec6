"""Every test gets its own data directory; the real-model index is built once per run
and shared read-only by the tests that need real embeddings."""

import io
import logging
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bot.settings import REPO_KNOWLEDGE
from tests.fake_telegram import FakeTelegram

if TYPE_CHECKING:
    from bot.reminders.book import ReminderBook
    from bot.store import Store
from tests.fakes import FakeEmbedder

TESTS = Path(__file__).resolve().parent


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # every setting, so a developer's environment can never change a test's result
    for name in [n for n in os.environ if n.startswith("SAFEBOT_")] + ["TELEGRAM_BOT_TOKEN"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SAFEBOT_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.chdir(tmp_path)


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """In-process CLI runs configure the root logger on pytest's captured stderr, which is
    closed after the test; later tests must not log into it."""
    handlers, level = logging.root.handlers[:], logging.root.level
    yield
    logging.root.handlers[:] = handlers
    logging.root.setLevel(level)


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    """The fake Bot API server, on a free port of 127.0.0.1."""
    server = FakeTelegram()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped knowledge, for tests that break it."""
    target = tmp_path / "knowledge"
    shutil.copytree(REPO_KNOWLEDGE, target)
    return target


@pytest.fixture
def store(tmp_path: Path) -> Iterator["Store"]:
    """An empty store of its own (modules that need another kind define their own)."""
    from bot.store import open_store

    s = open_store(f"sqlite:///{tmp_path / 'outbox.sqlite3'}")
    yield s
    s.close()


@pytest.fixture(scope="session")
def book() -> "ReminderBook":
    """The shipped reminders and school calendar."""
    from bot.reminders.book import load_reminders
    from index.knowledge import load_knowledge

    return load_reminders(load_knowledge(REPO_KNOWLEDGE))


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture(scope="session")
def real_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped knowledge indexed with the default embedder (real weights)."""
    from index import build_index
    from index.embedders import get_embedder

    data_dir = tmp_path_factory.mktemp("real-var")
    build_index(REPO_KNOWLEDGE, data_dir, get_embedder("e5-small-int4"), show_progress=False)
    return data_dir


@pytest.fixture(scope="session")
def real_index(real_data_dir: Path):
    from index import SearchIndex
    from index.build import index_path
    from index.embedders import get_embedder

    return SearchIndex.load(index_path(real_data_dir), get_embedder("e5-small-int4"))


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run `safebot ARGS` in process, with `stdin` bytes, and return its exit code and
    output, exactly as the console script would."""
    from bot.cli import main

    def run(*args: str, stdin: bytes = b"") -> CliResult:
        monkeypatch.setattr(sys, "argv", ["safebot", *args])
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
        capsys.readouterr()
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@pytest.fixture(scope="session")
def real_assistant(real_index):
    from bot.engine.answering.assistant import Assistant
    from bot.engine.triage import Triager
    from index.knowledge import load_knowledge

    knowledge = load_knowledge(REPO_KNOWLEDGE)
    return Assistant(knowledge, real_index, Triager.from_knowledge(knowledge, real_index.triage))


_REAL = {"real_data_dir", "real_index", "real_assistant"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that needs the real-model index is slow (the shared build takes about
    100 s): `make test-fast` leaves those out, CI runs everything."""
    for item in items:
        if _REAL & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
