"""The HTTP channel's settings, read from `SAFEBOT_HTTP_*` in the style of
bot/settings.py (environment over `.env` over defaults). API keys are kept only as
SHA-256 hashes: a keys file or the environment names each client and its key's hash."""

import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from bot.settings import _load_dotenv
from index.errors import BadInputError

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_CLIENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def parse_keys(text: str, where: str) -> dict[str, str]:
    """`client:sha256hex` entries, one a line or separated by commas; `#` starts a
    comment. Returns hash -> client. A malformed entry stops the server at start."""
    keys: dict[str, str] = {}
    for raw in re.split(r"[,\n]", text):
        entry = raw.split("#", 1)[0].strip()
        if not entry:
            continue
        client, _, digest = entry.partition(":")
        client, digest = client.strip(), digest.strip().lower().removeprefix("sha256:")
        if not _CLIENT.match(client) or not _HEX64.match(digest):
            raise BadInputError(
                f"{where}: each API key entry must be 'client-name:<sha256 of the key in hex>' "
                "(hash a key with: printf %s KEY | sha256sum)"
            )
        keys[digest] = client
    return keys


@dataclass(frozen=True)
class HttpSettings:
    """`keys` maps a key's SHA-256 hex digest to the client's name."""

    keys: dict[str, str] = field(default_factory=dict, repr=False)
    session_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    session_days: int = 180
    cookie_secure: bool = False
    rate_per_minute: int = 60
    max_body: int = 16 * 1024
    queue: int = 64
    public: bool = True  # the web page and its session cookie; off: API keys only

    def client_for(self, key: str) -> str | None:
        digest = hash_key(key)
        for known, client in self.keys.items():
            if hmac.compare_digest(known, digest):
                return client
        return None

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, dotenv: Path = Path(".env")) -> "HttpSettings":
        env = {**_load_dotenv(dotenv), **(os.environ if environ is None else environ)}
        keys: dict[str, str] = {}
        keys_file = env.get("SAFEBOT_HTTP_KEYS_FILE", "")
        if keys_file:
            path = Path(keys_file)
            if not path.is_file():
                raise BadInputError(f"SAFEBOT_HTTP_KEYS_FILE: no file {path}")
            keys.update(parse_keys(path.read_text(encoding="utf-8"), "SAFEBOT_HTTP_KEYS_FILE"))
        keys.update(parse_keys(env.get("SAFEBOT_HTTP_API_KEYS", ""), "SAFEBOT_HTTP_API_KEYS"))
        secret = env.get("SAFEBOT_HTTP_SESSION_SECRET", "")
        if secret and len(secret) < 16:
            raise BadInputError("SAFEBOT_HTTP_SESSION_SECRET must be at least 16 characters")
        return cls(
            keys=keys,
            session_secret=secret or secrets.token_urlsafe(32),
            session_days=_number(env, "SAFEBOT_HTTP_SESSION_DAYS", 180, 1, 3650),
            cookie_secure=_flag(env, "SAFEBOT_HTTP_COOKIE_SECURE", False),
            rate_per_minute=_number(env, "SAFEBOT_HTTP_RATE", 60, 1, 100_000),
            max_body=_number(env, "SAFEBOT_HTTP_MAX_BODY", 16 * 1024, 256, 10 * 1024 * 1024),
            queue=_number(env, "SAFEBOT_HTTP_QUEUE", 64, 1, 10_000),
            public=_flag(env, "SAFEBOT_HTTP_WEB", True),
        )


def _number(env: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    value = env.get(name) or str(default)
    if not value.isdigit() or not low <= int(value) <= high:
        raise BadInputError(f"{name} must be a whole number from {low} to {high}, not '{value}'")
    return int(value)


def _flag(env: dict[str, str], name: str, default: bool) -> bool:
    value = (env.get(name) or "").strip().lower()
    if not value:
        return default
    if value not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
        raise BadInputError(f"{name} must be 1 or 0, not '{value}'")
    return value in ("1", "true", "yes", "on")
