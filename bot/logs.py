"""Logging for every `safebot` command. Secrets never reach a log: the Telegram token is
part of every Bot API URL, and libraries (httpx, python-telegram-bot) log URLs at INFO,
so a redacting filter sits on every handler and chatty libraries stay at WARNING."""

import logging
import re
from collections.abc import Iterable
from pathlib import Path

# Anything shaped like a Telegram bot token (bot id, colon, 35-ish url-safe characters).
TOKEN_SHAPE = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")
REDACTED = "[REDACTED]"
QUIET_LOGGERS = ("httpx", "httpcore", "apscheduler", "telegram", "aiohttp", "hpack")


class RedactSecrets(logging.Filter):
    """Rewrites each record's final message with secrets replaced. Attached to handlers,
    not loggers, so records propagated from any library pass through it."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: list[str] = []

    def add(self, secrets: Iterable[str]) -> None:
        self._secrets = sorted({*self._secrets, *(s for s in secrets if len(s) >= 6)}, key=len, reverse=True)

    def redact(self, message: str) -> str:
        for secret in self._secrets:
            message = message.replace(secret, REDACTED)
        return TOKEN_SHAPE.sub(REDACTED, message)

    def filter(self, record: logging.LogRecord) -> bool:
        message = self.redact(record.getMessage())
        if record.exc_info:
            # format the traceback now, through the same redaction, and drop the original
            formatter = logging.Formatter()
            message = f"{message}\n{self.redact(formatter.formatException(record.exc_info))}"
            record.exc_info = None
            record.exc_text = None
        if record.stack_info:
            message = f"{message}\n{self.redact(record.stack_info)}"
            record.stack_info = None
        record.msg, record.args = message, None
        return True


def setup_logging(verbose: bool, secrets: Iterable[str] = (), log_file: Path | None = None) -> None:
    """Root at INFO with -v (WARNING otherwise), libraries at WARNING, every handler
    redacting; with `log_file`, records also go there, with times. Called once at the
    entry point."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s", force=True
    )
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        to_file = logging.FileHandler(log_file, encoding="utf-8")
        to_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logging.getLogger().addHandler(to_file)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    keep_secret(secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(_REDACT)


_REDACT = RedactSecrets()


def keep_secret(secrets: Iterable[str]) -> None:
    """Redact these values from every log record from now on (secrets made at run time,
    such as a generated webhook secret)."""
    _REDACT.add(secrets)
