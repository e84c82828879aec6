"""No secret reaches a log, and only Telegram can post updates to the webhook: the real
`safebot run` in a subprocess, against the fake Bot API."""

import json
import logging
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bot.logs import REDACTED, RedactSecrets
from tests.fake_telegram import TOKEN, FakeTelegram
from tests.test_telegram import USER, _env, _safebot

pytestmark = pytest.mark.slow


def _verbose_run(fake: FakeTelegram, data_dir: Path, tmp_path: Path, **settings: str) -> subprocess.Popen[str]:
    """`safebot -v run` against the fake Bot API, with the shared real index."""
    env = _env(
        TELEGRAM_BOT_TOKEN=TOKEN,
        SAFEBOT_TELEGRAM_BASE_URL=fake.url,
        SAFEBOT_DATA_DIR=str(data_dir),
        SAFEBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        **settings,
    )
    return _safebot(env, "-v", "run")


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGTERM)
    try:
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return err


def test_verbose_run_logs_no_token(fake: FakeTelegram, real_data_dir: Path, tmp_path: Path) -> None:
    log_file = tmp_path / "safebot.log"
    proc = _verbose_run(fake, real_data_dir, tmp_path, SAFEBOT_LOG_FILE=str(log_file))
    try:
        fake.wait_for(lambda f: any(c.method == "deleteWebhook" for c in f.calls), timeout=90)
        fake.push_text(USER, "/help")
        fake.wait_sent(USER, 1)
    finally:
        err = _stop(proc)
    logged = err + log_file.read_text(encoding="utf-8")
    assert "INFO" in logged, "-v logs at INFO"
    secret_part = TOKEN.split(":", 1)[1]
    assert TOKEN not in logged and secret_part not in logged


def test_redaction_covers_arguments_tracebacks_and_configured_secrets(caplog: pytest.LogCaptureFixture) -> None:
    redact = RedactSecrets()
    redact.add(["wecom-secret-value"])
    record = logging.LogRecord(
        "httpx",
        logging.DEBUG,
        __file__,
        1,
        "POST %s with %s",
        (f"https://api.telegram.org/bot{TOKEN}/getMe", "wecom-secret-value"),
        None,
    )
    try:
        raise RuntimeError(f"failed at /bot{TOKEN}/sendMessage")
    except RuntimeError:
        record.exc_info = sys.exc_info()
    assert redact.filter(record)
    message = record.getMessage()
    assert TOKEN not in message and "wecom-secret-value" not in message
    assert message.count(REDACTED) == 3 and "RuntimeError" in message


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _post_update(url: str, update: dict[str, object], secret: str | None) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    request = urllib.request.Request(url, json.dumps(update).encode(), headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except urllib.error.URLError:
        return 0  # not listening yet


def test_webhook_sets_a_secret_and_refuses_updates_without_it(
    fake: FakeTelegram, real_data_dir: Path, tmp_path: Path
) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}/tg"
    proc = _verbose_run(fake, real_data_dir, tmp_path, SAFEBOT_WEBHOOK_URL=url, SAFEBOT_WEBHOOK_PORT=str(port))
    try:
        fake.wait_for(lambda f: any(c.method == "setWebhook" for c in f.calls), timeout=90)
        secret = next(c.params for c in fake.calls if c.method == "setWebhook").get("secret_token", "")
        assert len(secret) >= 32, "a secret is set even when none is configured"
        update = {"update_id": 1, "message": fake._message(USER, "private", "zh-hans", text="/help")}
        deadline = time.monotonic() + 30
        while (status := _post_update(url, update, None)) not in (403,) and time.monotonic() < deadline:
            time.sleep(0.2)  # the webhook server is still starting
        assert status == 403
        assert _post_update(url, {**update, "update_id": 2}, "wrong-secret") == 403
        time.sleep(0.5)
        assert fake.sent(USER) == [], "an update without the secret was processed"
        assert _post_update(url, {**update, "update_id": 3}, secret) == 200
        fake.wait_sent(USER, 1)
    finally:
        err = _stop(proc)
    assert secret not in err
