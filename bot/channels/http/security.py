"""Who is calling: a school system with an API key (`Authorization: Bearer KEY` or
`X-API-Key`), or the web page with its signed session cookie. Each caller has its own
rate limit. Keys are compared as SHA-256 hashes and never logged."""

import base64
import hashlib
import hmac
import math
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.channels.http.config import HttpSettings

COOKIE = "safebot_session"
WEB_CHANNEL = "web"


@dataclass(frozen=True)
class Principal:
    """`channel` and `user` name the identity whose data a request reads or changes;
    `user` is None for a key caller that named no user."""

    kind: str  # "key" or "session"
    name: str  # the client's name, or the session id
    channel: str
    user: str | None

    @property
    def limit_key(self) -> str:
        return f"{self.kind}:{self.name}"

    @property
    def owner(self) -> str:
        return f"{self.channel}\x1f{self.user or ''}"


class Sessions:
    """Cookie value: `<random id>.<HMAC-SHA256 of it>`; the id is the web identity."""

    def __init__(self, secret: str) -> None:
        self._secret = hashlib.sha256(secret.encode()).digest()

    def _sign(self, sid: str) -> str:
        mac = hmac.new(self._secret, sid.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def issue(self) -> tuple[str, str]:
        sid = secrets.token_urlsafe(18)
        return sid, f"{sid}.{self._sign(sid)}"

    def verify(self, cookie: str | None) -> str | None:
        if not cookie or cookie.count(".") != 1:
            return None
        sid, mac = cookie.split(".")
        return sid if sid and hmac.compare_digest(mac, self._sign(sid)) else None


@dataclass
class RateLimiter:
    """A token bucket per caller: `per_minute` requests a minute, bursts up to the same."""

    per_minute: int
    clock: Callable[[], float] = time.monotonic
    max_callers: int = 50_000
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)

    def take(self, key: str) -> float:
        """0 when the request may go ahead, else the seconds to wait."""
        now = self.clock()
        rate = self.per_minute / 60.0
        tokens, then = self._buckets.get(key, (float(self.per_minute), now))
        tokens = min(float(self.per_minute), tokens + (now - then) * rate)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)
            if len(self._buckets) > self.max_callers:
                self._prune(now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (1.0 - tokens) / rate

    def _prune(self, now: float) -> None:
        full = self.per_minute * 60.0 / max(self.per_minute, 1)
        for key in [k for k, (_, then) in self._buckets.items() if now - then > full]:
            del self._buckets[key]


def retry_after(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))


def key_from_headers(authorization: str | None, api_key: str | None) -> str | None:
    if api_key:
        return api_key
    if authorization and authorization[:7].lower() == "bearer ":
        return authorization[7:].strip() or None
    return None


def find_principal(
    settings: HttpSettings, sessions: Sessions, key: str | None, cookie: str | None, user: str | None
) -> Principal | None:
    if key is not None:
        client = settings.client_for(key)
        if client is None:
            return None
        return Principal("key", client, f"api:{client}", user)
    if settings.public:
        sid = sessions.verify(cookie)
        if sid is not None:
            return Principal("session", sid, WEB_CHANNEL, sid)
    return None
