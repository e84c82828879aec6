"""The Telegram webhook served by the same ASGI app as `safebot serve`, against the fake
Bot API: the webhook is registered with its secret, an update with the secret is
answered, one without it gets 403 and is never processed, and the API keeps working
beside it on the one shared runtime."""

import asyncio
import itertools
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from bot.channels.http import create_app
from bot.channels.http.config import HttpSettings
from bot.runtime import Runtime
from bot.settings import Settings
from tests.fake_telegram import TOKEN, FakeTelegram

pytestmark = pytest.mark.anyio

SECRET = "webhook-secret-0123456789"
URL = "https://bot.example.org/tg/hook"
FROM_TELEGRAM = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
USER, INTRUDER = 6001, 6002
_ids = itertools.count(1)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def settings(fake: FakeTelegram, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "var",
        database_url=f"sqlite:///{tmp_path / 'hook.sqlite3'}",
        telegram_token=TOKEN,
        telegram_base_url=fake.url,
        webhook_url=URL,
        webhook_secret=SECRET,
    )


@pytest.fixture
async def served(settings: Settings, real_assistant: object) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """The app with its lifespan running, as uvicorn runs it."""
    http = HttpSettings(keys={}, session_secret="s" * 32, rate_per_minute=1000)
    app = create_app(settings, http, assistant=real_assistant)  # type: ignore[arg-type]
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield app, client


async def until(condition, timeout: float = 30.0) -> None:
    """Wait without blocking the event loop the bot's handlers run on."""
    for _ in range(int(timeout / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")


def update(body: dict) -> dict:
    return {"update_id": next(_ids), **body}


async def test_the_webhook_is_registered_with_its_secret(served, fake: FakeTelegram) -> None:
    [hook] = [c.params for c in fake.calls if c.method == "setWebhook"]
    assert hook["url"] == URL and hook["secret_token"] == SECRET
    assert any(c.method == "setMyCommands" for c in fake.calls)
    assert not any(c.method == "getUpdates" for c in fake.calls), "no polling beside the webhook"


async def test_an_update_with_the_secret_is_answered_and_one_without_is_refused(served, fake: FakeTelegram) -> None:
    app, client = served
    for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
        refused = await client.post("/tg/hook", json=update(fake.text_update(INTRUDER, "/start")), headers=headers)
        assert refused.status_code == 403 and refused.json()["error"] == "forbidden"

    ok = await client.post("/tg/hook", json=update(fake.text_update(USER, "/start")), headers=FROM_TELEGRAM)
    assert ok.status_code == 200
    await until(lambda: len(fake.sent(USER)) == 1)
    [greeting] = fake.sent(USER)
    assert greeting["parse_mode"] == "HTML" and "12356" in greeting["text"]
    markup = greeting["reply_markup"]["inline_keyboard"]
    assert [b["callback_data"] for row in markup for b in row] == ["role:student", "role:parent", "role:teacher"]

    press = fake.button_update(USER, "role:parent", message_id=77)
    assert (await client.post("/tg/hook", json=update(press), headers=FROM_TELEGRAM)).status_code == 200
    await until(lambda: len(fake.sent(USER, "editMessageText")) == 1)
    assert str(fake.sent(USER, "editMessageText")[0]["message_id"]) == "77"

    assert fake.sent(INTRUDER) == [], "a refused update is never processed"
    runtime: Runtime = app.state.runtime
    profile = runtime.store.profile(USER)
    assert profile is not None and profile.role == "parent"
    assert (await client.get("/healthz")).status_code == 200


async def test_the_webhook_is_not_in_the_api_schema(served) -> None:
    _, client = served
    assert "/tg/hook" not in (await client.get("/openapi.json")).json()["paths"]
