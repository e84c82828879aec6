"""One settings object, read from the environment (and an optional `.env`) at the entry
point and passed down, so tests point every path at a temporary directory."""

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from index.embedders import DEFAULT_EMBEDDER
from index.errors import BadInputError

REPO_KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"


def _load_dotenv(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip().strip("'\"")
    return values


def _port(value: str) -> int:
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise BadInputError(f"SAFEBOT_WEBHOOK_PORT must be a port number, not '{value}'")
    return int(value)


def _rate(value: str) -> float:
    try:
        rate = float(value)
    except ValueError:
        rate = -1.0
    if rate < 0:
        raise BadInputError(f"SAFEBOT_SEND_RATE must be messages a second (0 for no limit), not '{value}'")
    return rate


def _admin_ids(value: str) -> frozenset[int]:
    """Numeric chat ids only: a username or "123 456" (a typo that would join two ids)
    must stop the bot at start, not silently make nobody, or somebody else, an admin."""
    parts = [part.strip() for part in value.split(",")]
    if value.strip() and not all(re.fullmatch(r"-?\d+", part) for part in parts):
        bad = next(part for part in parts if not re.fullmatch(r"-?\d+", part))
        raise BadInputError(
            f"SAFEBOT_ADMIN_IDS must be numeric chat ids separated by commas; '{bad}' is not "
            "(a username does not work: ask the admin to send /start and use their chat id)"
        )
    return frozenset(int(part) for part in parts if part)


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("var")
    knowledge_dir: Path = REPO_KNOWLEDGE
    embedder: str = DEFAULT_EMBEDDER
    database_url: str = ""
    telegram_token: str = field(default="", repr=False)
    telegram_base_url: str = ""
    admin_ids: frozenset[int] = frozenset()
    webhook_url: str = ""
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_secret: str = field(default="", repr=False)
    calendar_file: Path | None = None
    send_rate: float = 25.0
    log_file: Path | None = None

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every configured value that must never appear in a log."""
        return tuple(s for s in (self.telegram_token, self.webhook_secret) if s)

    @property
    def webhook_path(self) -> str:
        """The local path Telegram posts to: the path part of the public URL."""
        from urllib.parse import urlsplit

        return urlsplit(self.webhook_url).path.lstrip("/")

    @property
    def database(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'safebot.sqlite3'}"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, dotenv: Path = Path(".env")) -> "Settings":
        """Environment variables win over `.env`, which wins over defaults."""
        env = {**_load_dotenv(dotenv), **(os.environ if environ is None else environ)}
        return cls(
            data_dir=Path(env.get("SAFEBOT_DATA_DIR") or "var"),
            knowledge_dir=Path(env.get("SAFEBOT_KNOWLEDGE_DIR") or REPO_KNOWLEDGE),
            embedder=env.get("SAFEBOT_EMBEDDER") or DEFAULT_EMBEDDER,
            database_url=env.get("SAFEBOT_DATABASE_URL", ""),
            telegram_token=env.get("TELEGRAM_BOT_TOKEN", ""),
            telegram_base_url=env.get("SAFEBOT_TELEGRAM_BASE_URL", ""),
            admin_ids=_admin_ids(env.get("SAFEBOT_ADMIN_IDS", "")),
            webhook_url=env.get("SAFEBOT_WEBHOOK_URL", ""),
            webhook_listen=env.get("SAFEBOT_WEBHOOK_LISTEN") or "127.0.0.1",
            webhook_port=_port(env.get("SAFEBOT_WEBHOOK_PORT") or "8443"),
            webhook_secret=env.get("SAFEBOT_WEBHOOK_SECRET", ""),
            calendar_file=Path(env["SAFEBOT_CALENDAR_FILE"]) if env.get("SAFEBOT_CALENDAR_FILE") else None,
            send_rate=_rate(env.get("SAFEBOT_SEND_RATE") or "25"),
            log_file=Path(env["SAFEBOT_LOG_FILE"]) if env.get("SAFEBOT_LOG_FILE") else None,
        )
