"""Settings come from the environment and `.env`, and every one is documented."""

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.settings import Settings
from tests.conftest import CliResult
from tests.fake_telegram import TOKEN

ROOT = Path(__file__).resolve().parent.parent


def test_environment_wins_over_dotenv(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("SAFEBOT_DATA_DIR=/from/dotenv\nSAFEBOT_EMBEDDER=from-dotenv\n# comment\n")
    settings = Settings.from_env({"SAFEBOT_DATA_DIR": "/from/env", "SAFEBOT_ADMIN_IDS": "1, 22"}, dotenv)
    assert settings.data_dir == Path("/from/env")
    assert settings.embedder == "from-dotenv"
    assert settings.admin_ids == frozenset({1, 22})


def test_token_is_not_in_repr() -> None:
    assert "secret-token" not in repr(Settings.from_env({"TELEGRAM_BOT_TOKEN": "secret-token"}, Path("none")))


def test_every_setting_is_documented_in_readme_and_env_example() -> None:
    source = (ROOT / "bot" / "settings.py").read_text()
    names = set(re.findall(r'env\.get\("([A-Z_]+)"', source))
    assert len(names) >= 7
    readme = (ROOT / "README.md").read_text()
    example = (ROOT / ".env.example").read_text()
    for name in names:
        assert f"`{name}`" in readme, name
        assert name in example, name


@pytest.mark.parametrize("value", ["alice", "@alice", "123 456", "123,abc", "12.5"])
def test_bad_admin_ids_stop_the_bot_at_start(
    value: str, run_cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAFEBOT_ADMIN_IDS", value)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    result = run_cli("run")
    assert result.code == 2
    [line] = result.err.strip().splitlines()
    assert line.startswith("safebot: SAFEBOT_ADMIN_IDS must be numeric chat ids") and "is not" in line


def test_admin_ids_allow_spaces_around_commas_and_group_ids() -> None:
    settings = Settings.from_env({"SAFEBOT_ADMIN_IDS": " 42 , -100123 ,7"}, Path("none"))
    assert settings.admin_ids == frozenset({42, -100123, 7})
