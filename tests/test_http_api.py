"""The HTTP API against the ASGI app in process (httpx), for every endpoint and every
error: auth by key or session cookie, rate limits, body limits, malformed JSON, unknown
fields, the engine's queue, identities and deleting everything about a caller."""

import asyncio
import base64
import datetime as dt
import hashlib
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from bot.channels.http import create_app
from bot.channels.http.config import HttpSettings, parse_keys
from bot.channels.http.files import FileShelf
from bot.channels.http.security import RateLimiter, Sessions
from bot.reminders.schedule import Occurrence, upcoming
from bot.runtime import Runtime
from bot.settings import Settings
from bot.store import open_store
from bot.store.records import FIRST_INTERNAL_CHAT_ID, Profile
from index.errors import BadInputError
from index.vocab import TOPIC_LABELS

KEY = "school-key-0123456789abcdef"
OTHER_KEY = "other-key-0123456789abcdef"
KEYS = {hashlib.sha256(KEY.encode()).hexdigest(): "school", hashlib.sha256(OTHER_KEY.encode()).hexdigest(): "bureau"}
AS_SCHOOL = {"X-API-Key": KEY, "X-SafeBot-User": "parent-1"}

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def http_settings(**overrides: object) -> HttpSettings:
    values: dict[str, object] = {"keys": KEYS, "session_secret": "s" * 32, "rate_per_minute": 1000}
    values.update(overrides)
    return HttpSettings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "var", database_url=f"sqlite:///{tmp_path / 'http.sqlite3'}")


def make_app(settings: Settings, assistant: object, **overrides: object) -> FastAPI:
    return create_app(settings, http_settings(**overrides), assistant=assistant)  # type: ignore[arg-type]


def engine_of(app: FastAPI) -> Runtime:
    engine: Runtime = app.state.runtime
    return engine


@pytest.fixture
def app(settings: Settings, real_assistant: object) -> Iterator[FastAPI]:
    made = make_app(settings, real_assistant)
    engine_of(made).open()
    yield made
    engine_of(made).close()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


def datas(reply: dict[str, object]) -> list[str]:
    return [b["data"] for row in reply["buttons"] for b in row]  # type: ignore[attr-defined, index, union-attr]


# -- health ------------------------------------------------------------------------------


async def test_health_and_readiness(client: httpx.AsyncClient, app: FastAPI) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok", "queued": 0}
    assert (await client.get("/readyz")).status_code == 200
    engine_of(app).close()
    assert (await client.get("/readyz")).status_code == 503
    assert (await client.get("/healthz")).status_code == 200


async def test_health_answers_while_the_engine_is_busy(client: httpx.AsyncClient, app: FastAPI) -> None:
    release = threading.Event()
    blocked = asyncio.ensure_future(engine_of(app).run(release.wait, 10))
    await asyncio.sleep(0.05)
    health = await asyncio.wait_for(client.get("/healthz"), 2)
    assert health.json()["queued"] == 1
    release.set()
    await blocked


async def test_a_full_queue_gets_503_with_retry_after(settings: Settings, real_assistant: object) -> None:
    app = make_app(settings, real_assistant, queue=1)
    engine_of(app).open()
    release = threading.Event()
    try:
        blocked = asyncio.ensure_future(engine_of(app).run(release.wait, 10))
        await asyncio.sleep(0.05)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            response = await c.post("/api/v1/message", json={"text": "你好"}, headers=AS_SCHOOL)
            assert response.status_code == 503 and response.headers["Retry-After"] == "1"
            assert (await c.get("/readyz")).status_code == 503
        release.set()
        await blocked
    finally:
        release.set()
        engine_of(app).close()


async def test_an_engine_fault_is_a_500_with_a_json_body(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(incoming: object) -> list[object]:
        raise IndexError("a bug")

    monkeypatch.setattr(engine_of(app).dialogue, "handle", broken)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        response = await c.post("/api/v1/message", json={"text": "你好"}, headers=AS_SCHOOL)
        assert (await c.get("/healthz")).status_code == 200, "the worker survives"
    assert response.status_code == 500 and response.json()["error"] == "internal"
    assert "110" in response.json()["message"]


# -- who may call ------------------------------------------------------------------------


async def test_no_credentials_or_a_wrong_key_is_401(client: httpx.AsyncClient) -> None:
    for headers in ({}, {"X-API-Key": "wrong"}, {"Authorization": "Bearer wrong"}):
        response = await client.get("/api/v1/topics", headers=headers)
        assert response.status_code == 401 and response.json()["error"] == "unauthorized"
    client.cookies.set("safebot_session", "abc.def")
    assert (await client.get("/api/v1/settings")).status_code == 401


async def test_a_key_works_as_header_or_bearer(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/topics", headers={"X-API-Key": KEY})).status_code == 200
    assert (await client.get("/api/v1/topics", headers={"Authorization": f"Bearer {KEY}"})).status_code == 200


async def test_a_key_needs_a_user_for_personal_endpoints(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/message", json={"text": "你好"}, headers={"X-API-Key": KEY})
    assert response.status_code == 400 and "X-SafeBot-User" in response.json()["message"]
    bad_user = await client.get("/api/v1/settings", headers={"X-API-Key": KEY, "X-SafeBot-User": "a b"})
    assert bad_user.status_code == 422


async def test_session_cookie_is_signed_httponly_and_strict(app: FastAPI) -> None:
    c = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
    async with c:
        response = await c.post("/api/v1/session")
        header = response.headers["set-cookie"].lower()
        assert "httponly" in header and "samesite=strict" in header and "path=/" in header
        cookie = c.cookies["safebot_session"]
        again = await c.post("/api/v1/session")
        assert "set-cookie" not in again.headers, "a valid session is kept"
        assert (await c.get("/api/v1/settings")).status_code == 200
        sid, mac = cookie.split(".")
        c.cookies.set("safebot_session", f"{sid}x.{mac}")
        assert (await c.get("/api/v1/settings")).status_code == 401


async def test_sessions_are_off_when_the_web_page_is(settings: Settings, real_assistant: object) -> None:
    app = make_app(settings, real_assistant, public=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        assert (await c.post("/api/v1/session")).status_code == 404
        assert (await c.get("/")).status_code == 404


async def test_rate_limit_per_key_gives_429_with_retry_after(settings: Settings, real_assistant: object) -> None:
    app = make_app(settings, real_assistant, rate_per_minute=3)
    engine_of(app).open()
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            codes = [(await c.get("/api/v1/topics", headers={"X-API-Key": KEY})).status_code for _ in range(4)]
            assert codes == [200, 200, 200, 429]
            limited = await c.get("/api/v1/topics", headers={"X-API-Key": KEY})
            assert limited.json()["error"] == "rate_limited" and int(limited.headers["Retry-After"]) >= 1
            other = await c.get("/api/v1/topics", headers={"X-API-Key": OTHER_KEY})
            assert other.status_code == 200, "each key has its own limit"
    finally:
        engine_of(app).close()


def test_rate_limiter_refills_with_time() -> None:
    now = [0.0]
    limiter = RateLimiter(60, clock=lambda: now[0])
    assert all(limiter.take("k") == 0 for _ in range(60))
    assert limiter.take("k") == pytest.approx(1.0)
    now[0] += 1.0
    assert limiter.take("k") == 0


# -- bodies ------------------------------------------------------------------------------


async def test_malformed_json_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/message", content=b'{"text": "hi"', headers={**AS_SCHOOL, "Content-Type": "application/json"}
    )
    assert response.status_code == 400 and response.json()["error"] == "bad_json"


async def test_unknown_or_invalid_fields_are_422(client: httpx.AsyncClient) -> None:
    unknown = await client.put("/api/v1/settings", json={"role": "parent", "age": 9}, headers=AS_SCHOOL)
    assert unknown.status_code == 422 and unknown.json()["error"] == "invalid"
    assert any(d["loc"][-1] == "age" for d in unknown.json()["details"])
    both = await client.post("/api/v1/message", json={"text": "a", "button": "hotlines"}, headers=AS_SCHOOL)
    assert both.status_code == 422
    neither = await client.post("/api/v1/message", json={}, headers=AS_SCHOOL)
    assert neither.status_code == 422
    blank = await client.post("/api/v1/ask", json={"question": "   "}, headers=AS_SCHOOL)
    assert blank.status_code == 422
    # refused by the schema itself (so a schema-valid question is never found empty later)
    control = await client.post("/api/v1/ask", json={"question": "\u001f"}, headers=AS_SCHOOL)
    assert control.status_code == 422 and any(d["loc"][-1] == "question" for d in control.json()["details"])


async def test_a_body_over_the_limit_is_413(client: httpx.AsyncClient) -> None:
    big = {"text": "溺" * 20_000}
    response = await client.post("/api/v1/message", json=big, headers=AS_SCHOOL)
    assert response.status_code == 413 and response.json()["error"] == "too_large"

    async def stream() -> AsyncIterator[bytes]:
        for _ in range(40):
            yield b" " * 1024

    streamed = await client.post(
        "/api/v1/message", content=stream(), headers={**AS_SCHOOL, "Content-Type": "application/json"}
    )
    assert streamed.status_code == 413


# -- the conversation --------------------------------------------------------------------


async def test_onboarding_through_buttons_then_settings(client: httpx.AsyncClient) -> None:
    start = await client.post("/api/v1/message", json={"text": "/start", "language": "zh"}, headers=AS_SCHOOL)
    [greeting] = start.json()["replies"]
    assert "不是急救或报警电话" in greeting["text"] and datas(greeting) == [
        "role:student",
        "role:parent",
        "role:teacher",
    ]
    role = await client.post("/api/v1/message", json={"button": "role:teacher"}, headers=AS_SCHOOL)
    [grade] = role.json()["replies"]
    assert grade["edit"] is True and "grade:middle" in datas(grade)
    await client.post("/api/v1/message", json={"button": "grade:middle"}, headers=AS_SCHOOL)
    settings = (await client.get("/api/v1/settings", headers=AS_SCHOOL)).json()
    assert settings == {"role": "teacher", "grade": "middle", "lang": "zh", "saved": True}


async def test_a_question_is_answered_with_its_source(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/message", json={"text": "孩子暑假老想去水库游泳怎么办"}, headers=AS_SCHOOL)
    [reply] = response.json()["replies"]
    assert "来源：" in reply["text"] and any("drowning" in data for data in datas(reply))
    assert reply["poll"] is None and reply["document"] is None


async def test_a_crisis_reply_comes_first_and_alone(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/message", json={"text": "我不想活了"}, headers=AS_SCHOOL)
    [reply] = response.json()["replies"]
    assert reply["text"].startswith("谢谢你愿意说出来") and "12356" in reply["text"] and "来源" not in reply["text"]


async def test_a_quiz_comes_as_polls(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/message", json={"button": "quiz:drowning"}, headers=AS_SCHOOL)
    polls = [r["poll"] for r in response.json()["replies"] if r["poll"]]
    assert len(polls) == 5 and all(0 <= p["correct"] < len(p["options"]) for p in polls)


async def _lesson_reply(client: httpx.AsyncClient, headers: dict[str, str], mode: str = "url") -> dict[str, object]:
    for step in ("ls:drowning", "ls:drowning:primary", "ls:drowning:primary:letter"):
        await client.post("/api/v1/message", json={"button": step}, headers=headers)
    response = await client.post(
        f"/api/v1/message?documents={mode}", json={"button": "ls:drowning:primary:letter:docx"}, headers=headers
    )
    [reply] = [r for r in response.json()["replies"] if r["document"]]
    document: dict[str, object] = reply["document"]
    return document


async def test_a_lesson_file_comes_as_a_link_only_its_caller_can_open(client: httpx.AsyncClient) -> None:
    document = await _lesson_reply(client, AS_SCHOOL)
    assert document["filename"] == "drowning-primary-letter.docx" and document["base64"] is None
    url = str(document["url"])
    download = await client.get(url, headers=AS_SCHOOL)
    assert download.status_code == 200 and download.content[:2] == b"PK" and len(download.content) == document["size"]
    assert "attachment" in download.headers["content-disposition"]
    stranger = await client.get(url, headers={**AS_SCHOOL, "X-SafeBot-User": "parent-2"})
    assert stranger.status_code == 404
    assert (await client.get("/api/v1/files/nope", headers=AS_SCHOOL)).status_code == 404


async def test_a_lesson_file_can_come_inline(client: httpx.AsyncClient) -> None:
    document = await _lesson_reply(client, AS_SCHOOL, "base64")
    assert document["url"] is None and base64.b64decode(str(document["base64"]))[:2] == b"PK"


def test_file_links_expire() -> None:
    now = [0.0]
    shelf = FileShelf(ttl=600, clock=lambda: now[0])
    token = shelf.put("me", "a.md", b"x")
    assert shelf.get("me", token) is not None and shelf.get("you", token) is None
    now[0] = 601
    assert shelf.get("me", token) is None


# -- the other endpoints -----------------------------------------------------------------


async def test_ask_has_the_cli_json_shape(client: httpx.AsyncClient, real_assistant) -> None:
    from index import Preferences

    body = {"question": "萝卜刀算管制刀具吗", "audience": "parent", "grade": "primary", "top_k": 3}
    response = await client.post("/api/v1/ask", json=body, headers={"X-API-Key": KEY})
    expected = real_assistant.answer(body["question"], Preferences("parent", "primary", None), top_k=3).to_json()
    assert response.status_code == 200 and response.json() == expected
    assert set(expected) >= {"question", "triage", "confident", "results", "reply"}


async def test_topics_hotlines_documents_and_sections(client: httpx.AsyncClient) -> None:
    headers = {"X-API-Key": KEY}
    topics = (await client.get("/api/v1/topics?lang=zh", headers=headers)).json()
    assert topics[0]["slug"] == "drowning" and topics[0]["label"] == "防溺水"
    assert all(d["lang"] == "zh" for t in topics for d in t["documents"])
    hotlines = (await client.get("/api/v1/hotlines")).json()
    assert {"key": "police", "number": "110"}.items() <= hotlines[0].items()
    doc_id = topics[0]["documents"][0]["id"]
    doc = (await client.get(f"/api/v1/documents/{doc_id}", headers=headers)).json()
    assert doc["id"] == doc_id and doc["topic"] == "drowning" and doc["sections"][0]["source"]
    section = (await client.get(f"/api/v1/documents/{doc_id}/sections/1", headers=headers)).json()
    assert section == doc["sections"][1]
    assert (await client.get("/api/v1/documents/nope", headers=headers)).status_code == 404
    assert (await client.get(f"/api/v1/documents/{doc_id}/sections/999", headers=headers)).status_code == 404


@pytest.mark.parametrize(("fmt", "magic"), [("md", "# "), ("html", "<!doctype html"), ("docx", "PK")])
async def test_lesson_files(client: httpx.AsyncClient, fmt: str, magic: str) -> None:
    response = await client.get(
        f"/api/v1/lessons/traffic?grade=middle&kind=plan&format={fmt}&school=实验中学&class=初一(3)班",
        headers={"X-API-Key": KEY},
    )
    assert response.status_code == 200
    assert response.content.decode("latin-1").lower().startswith(magic.lower()) or magic == "# "
    assert f'filename="traffic-middle-plan.{fmt}"' in response.headers["content-disposition"]
    if fmt != "docx":
        assert "实验中学" in response.text
    bad = await client.get("/api/v1/lessons/traffic?grade=college&kind=plan", headers={"X-API-Key": KEY})
    assert bad.status_code == 422
    control = await client.get("/api/v1/lessons/traffic?grade=high&kind=plan&class=%08", headers={"X-API-Key": KEY})
    assert control.status_code == 422, "a Word file cannot hold control characters"


async def test_settings_are_saved_and_read(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/settings", headers=AS_SCHOOL)).json()["saved"] is False
    put = await client.put(
        "/api/v1/settings", json={"role": "parent", "grade": "primary", "lang": "en"}, headers=AS_SCHOOL
    )
    assert put.json() == {"role": "parent", "grade": "primary", "lang": "en", "saved": True}
    reply = await client.post("/api/v1/message", json={"text": "/help"}, headers=AS_SCHOOL)
    assert reply.json()["replies"][0]["text"].startswith("Just send a question")


async def test_reminders_subscribe_list_unsubscribe(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/reminders", headers=AS_SCHOOL)).json() == {"subscriptions": [], "upcoming": []}
    some = await client.post("/api/v1/reminders/subscribe", json={"topics": ["drowning", "traffic"]}, headers=AS_SCHOOL)
    assert some.json()["subscriptions"] == ["drowning", "traffic"]
    assert all(u["topic"] in ("drowning", "traffic") for u in some.json()["upcoming"])
    everything = await client.post("/api/v1/reminders/subscribe", json={}, headers=AS_SCHOOL)
    assert len(everything.json()["subscriptions"]) == 8
    fewer = await client.post("/api/v1/reminders/unsubscribe", json={"topics": ["traffic"]}, headers=AS_SCHOOL)
    assert "traffic" not in fewer.json()["subscriptions"] and len(fewer.json()["subscriptions"]) == 7
    none = await client.post("/api/v1/reminders/unsubscribe", json={}, headers=AS_SCHOOL)
    assert none.json()["subscriptions"] == []
    unknown = await client.post("/api/v1/reminders/subscribe", json={"topics": ["cooking"]}, headers=AS_SCHOOL)
    assert unknown.status_code == 422


def a_parents_reminder(engine: Runtime) -> Occurrence:
    assert engine.book is not None
    return next(
        o
        for o in upcoming(engine.book.reminders, engine.book.calendar, dt.date(2027, 1, 1), 365)
        if "parent" in o.reminder.audiences and "zh" in o.reminder.langs and o.reminder.ack
    )


async def test_reminders_wait_in_the_inbox_and_come_once(client: httpx.AsyncClient, app: FastAPI) -> None:
    """A web or API caller cannot be pushed to: a due reminder waits in its inbox, comes
    with its 已阅 button once, and never reaches another caller."""
    engine = engine_of(app)
    await client.post("/api/v1/reminders/subscribe", json={}, headers=AS_SCHOOL)
    occurrence = a_parents_reminder(engine)
    engine.clock = lambda: occurrence.at
    assert any(occ.reminder.id == occurrence.reminder.id and added == 1 for occ, added in engine.enqueue_due())
    other = await client.get("/api/v1/inbox", headers={**AS_SCHOOL, "X-SafeBot-User": "parent-2"})
    assert other.status_code == 200 and other.json() == {"replies": []}
    replies = (await client.get("/api/v1/inbox", headers=AS_SCHOOL)).json()["replies"]
    assert engine.book is not None
    [mine] = [r for r in replies if r["text"] == engine.book.render(occurrence.reminder, "zh")]
    [ack] = [d for d in datas(mine) if d.startswith("ack:")]
    assert (await client.get("/api/v1/inbox", headers=AS_SCHOOL)).json() == {"replies": []}
    pressed = await client.post("/api/v1/message", json={"button": ack}, headers=AS_SCHOOL)
    assert pressed.status_code == 200
    assert any(r == occurrence.reminder.id for r, _ in engine.store.acknowledgement_counts())


async def test_the_server_queues_due_reminders_itself(settings: Settings, real_assistant: object) -> None:
    """Without Telegram or cron, `safebot serve` looks for due reminders on its own."""
    app = make_app(settings, real_assistant)
    engine = engine_of(app).open()
    try:
        chat = engine.store.chat_for("web", "a-session")
        assert chat is not None
        engine.store.save_profile(Profile(chat, "parent", None, "zh"))
        engine.store.subscribe(chat, list(TOPIC_LABELS))
        occurrence = a_parents_reminder(engine)
        engine.clock = lambda: occurrence.at
        async with app.router.lifespan_context(app):
            for _ in range(200):
                if engine.store.outbox_counts().get("pending"):
                    break
                await asyncio.sleep(0.05)
        taken = engine.store.take_inbox(chat, occurrence.at.timestamp())
        assert occurrence.reminder.id in {r.reminder_id for r in taken}
    finally:
        engine.close()


# -- identities and deleting -------------------------------------------------------------


async def test_each_client_and_user_is_its_own_chat(client: httpx.AsyncClient, app: FastAPI) -> None:
    for headers in (AS_SCHOOL, {**AS_SCHOOL, "X-SafeBot-User": "parent-2"}, {**AS_SCHOOL, "X-API-Key": OTHER_KEY}):
        await client.put("/api/v1/settings", json={"role": "parent"}, headers=headers)
    store = engine_of(app).store
    chats = {store.chat_for("api:school", "parent-1"), store.chat_for("api:school", "parent-2")}
    chats.add(store.chat_for("api:bureau", "parent-1"))
    assert len(chats) == 3 and all(c is not None and c > FIRST_INTERNAL_CHAT_ID for c in chats)


async def test_delete_me_removes_everything_and_the_cookie(app: FastAPI) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        assert (await c.post("/api/v1/session")).status_code == 200
        await c.put("/api/v1/settings", json={"role": "student", "grade": "middle"})
        await c.post("/api/v1/reminders/subscribe", json={"topics": ["drowning"]})
        sid = c.cookies["safebot_session"].split(".")[0]
        store = engine_of(app).store
        chat = store.chat_for("web", sid, create=False)
        assert chat is not None and store.profile(chat) is not None
        response = await c.delete("/api/v1/me")
        assert response.status_code == 204 and 'safebot_session=""' in response.headers["set-cookie"]
        assert store.profile(chat) is None and store.subscriptions(chat) == [] and store.identities(chat) == []
        assert store.chat_for("web", sid, create=False) is None


async def test_forget_in_the_chat_deletes_the_identity_too(client: httpx.AsyncClient, app: FastAPI) -> None:
    await client.post("/api/v1/message", json={"text": "/start"}, headers=AS_SCHOOL)
    store = engine_of(app).store
    chat = store.chat_for("api:school", "parent-1", create=False)
    assert chat is not None
    await client.post("/api/v1/message", json={"button": "forget:yes"}, headers=AS_SCHOOL)
    assert store.chat_for("api:school", "parent-1", create=False) is None and store.profile(chat) is None
    new_chat = store.chat_for("api:school", "parent-1")
    assert new_chat is not None and new_chat != chat, "a forgotten id is never handed out again"


def test_identities_are_kept_across_reopening(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ids.sqlite3'}"
    store = open_store(url)
    first = store.chat_for("web", "abc")
    assert first == FIRST_INTERNAL_CHAT_ID + 1 and store.chat_for("web", "abc") == first
    assert store.chat_for("web", "zzz", create=False) is None
    store.close()
    again = open_store(url)
    assert again.chat_for("web", "abc") == first and again.identities(first) == [("web", "abc")]
    again.close()


# -- settings ----------------------------------------------------------------------------


def test_keys_come_hashed_from_a_file_and_the_environment(tmp_path: Path) -> None:
    keys_file = tmp_path / "keys"
    keys_file.write_text(f"# clients\nschool:{hashlib.sha256(KEY.encode()).hexdigest()}\n")
    other = hashlib.sha256(OTHER_KEY.encode()).hexdigest()
    http = HttpSettings.from_env(
        {"SAFEBOT_HTTP_KEYS_FILE": str(keys_file), "SAFEBOT_HTTP_API_KEYS": f"bureau:sha256:{other}"}, Path("none")
    )
    assert http.client_for(KEY) == "school" and http.client_for(OTHER_KEY) == "bureau"
    assert http.client_for("nope") is None
    assert KEY not in repr(http) and other not in repr(http)


@pytest.mark.parametrize("entry", ["school", "school:abc", f"bad name:{'a' * 64}", f":{'a' * 64}"])
def test_a_malformed_key_entry_stops_the_server(entry: str) -> None:
    with pytest.raises(BadInputError, match="client-name:<sha256"):
        parse_keys(entry, "SAFEBOT_HTTP_API_KEYS")


@pytest.mark.parametrize(
    ("name", "value"),
    [("SAFEBOT_HTTP_RATE", "0"), ("SAFEBOT_HTTP_MAX_BODY", "big"), ("SAFEBOT_HTTP_SESSION_SECRET", "short")],
)
def test_bad_http_settings_are_refused(name: str, value: str) -> None:
    with pytest.raises(BadInputError, match=name):
        HttpSettings.from_env({name: value}, Path("none"))


def test_a_missing_keys_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="SAFEBOT_HTTP_KEYS_FILE"):
        HttpSettings.from_env({"SAFEBOT_HTTP_KEYS_FILE": str(tmp_path / "none")}, Path("none"))


def test_session_ids_are_signed() -> None:
    sessions = Sessions("secret" * 4)
    sid, cookie = sessions.issue()
    assert sessions.verify(cookie) == sid
    assert Sessions("other" * 4).verify(cookie) is None
    assert sessions.verify(None) is None and sessions.verify("a.b.c") is None


# -- the page ----------------------------------------------------------------------------


async def test_the_page_and_its_files_are_served_with_a_strict_policy(client: httpx.AsyncClient) -> None:
    page = await client.get("/")
    assert page.status_code == 200 and "平安校园助手" in page.text
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert (await client.get("/privacy")).text.count("删除") >= 2
    for name in ("app.js", "style.css", "privacy.js"):
        assert (await client.get(f"/static/{name}")).status_code == 200
    assert "innerHTML" not in (await client.get("/static/app.js")).text


def test_serve_is_a_cli_command(run_cli) -> None:
    result = run_cli("serve", "--help")
    assert result.code == 0 and "--port" in result.out and "--host" in result.out
