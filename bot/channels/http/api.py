"""The API routes under /api/v1. Each route only translates: the dialogue engine, the
assistant, the store and the lesson maker decide everything, on the engine's worker."""

import base64
import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Query, Request, Response
from fastapi.security import APIKeyCookie, APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from bot.channels.http import schemas as s
from bot.channels.http.config import HttpSettings
from bot.channels.http.files import FileShelf
from bot.channels.http.security import COOKIE, Principal, RateLimiter, Sessions, find_principal, retry_after
from bot.engine.contract import Incoming, Reply
from bot.lessons.maker import FORMATS, KINDS, LessonRequest
from bot.reminders.schedule import TZ, upcoming
from bot.reminders.sender import OutboxReplies
from bot.runtime import Runtime
from bot.store.records import Profile
from index.knowledge import Document
from index.lesson_file import GRADES
from index.vocab import TOPIC_LABELS

# Printed into the lesson files: no control characters (a Word file cannot hold them).
PRINTABLE = r"^[^\x00-\x1f\x7f-\x9f\ufffe\uffff]+$"

MEDIA_TYPES = {
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def _error(description: str, headers: dict[str, object] | None = None) -> dict[str, object]:
    entry: dict[str, object] = {"model": s.Error, "description": description}
    if headers:
        entry["headers"] = headers
    return entry


COMMON: dict[int | str, dict[str, object]] = {
    400: _error("Malformed JSON, or no X-SafeBot-User with an API key where a user is needed"),
    401: _error("No valid API key or session cookie"),
    413: _error("Request body too large"),
    422: _error("A field is missing, unknown or out of range"),
    429: _error(
        "Too many requests from this key or session",
        {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}},
    ),
    500: _error("A fault on our side (logged); the reply to show is: in danger call 110 or 120"),
    503: _error(
        "The engine's queue is full, or it is not ready",
        {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}},
    ),
}
NOT_FOUND: dict[int | str, dict[str, object]] = {404: _error("No such item")}

_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="A client's API key")
_bearer = HTTPBearer(auto_error=False, description="The same API key as a bearer token")
_cookie = APIKeyCookie(name=COOKIE, auto_error=False, description="The web page's session (POST /api/v1/session)")


class State:
    """What every route needs, built once by the app."""

    def __init__(self, runtime: Runtime, http: HttpSettings) -> None:
        self.runtime = runtime
        self.http = http
        self.sessions = Sessions(http.session_secret)
        self.limiter = RateLimiter(http.rate_per_minute)
        # per address, for what needs no credentials: many families can share one school's address
        self.ip_limiter = RateLimiter(http.rate_per_minute * 10)
        self.shelf = FileShelf()


def state(request: Request) -> State:
    found: State = request.app.state.safebot
    return found


StateDep = Annotated[State, Depends(state)]


def limit(st: State, key: str) -> None:
    wait = (st.ip_limiter if key.startswith("ip:") else st.limiter).take(key)
    if wait:
        raise HTTPException(
            429, f"too many requests: retry in {retry_after(wait)} s", {"Retry-After": retry_after(wait)}
        )


def caller(
    st: StateDep,
    api_key: Annotated[str | None, Depends(_key_header)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    cookie: Annotated[str | None, Depends(_cookie)],
    user: Annotated[
        str | None,
        Header(
            alias="X-SafeBot-User",
            min_length=1,
            max_length=128,
            pattern=r"^[A-Za-z0-9_.:@-]+$",
            description="With an API key: your own id for the person (their data is kept under it)",
        ),
    ] = None,
) -> Principal:
    key = api_key or (bearer.credentials if bearer else None)
    principal = find_principal(st.http, st.sessions, key, cookie, user)
    if principal is None:
        raise HTTPException(401, "an API key or a session cookie is required", {"WWW-Authenticate": "Bearer"})
    limit(st, principal.limit_key)
    return principal


Caller = Annotated[Principal, Depends(caller)]


async def chat_of(st: State, who: Principal, create: bool = True) -> int | None:
    if who.user is None:
        raise HTTPException(400, "name the person in the X-SafeBot-User header")
    return await st.runtime.run(lambda: st.runtime.store.chat_for(who.channel, who.user or "", create=create))


router = APIRouter(prefix="/api/v1", responses=COMMON)


@router.post("/session", tags=["web page"], summary="Start or keep the web page's session (sets the cookie)")
async def session(request: Request, response: Response, st: StateDep) -> dict[str, bool]:
    if not st.http.public:
        raise HTTPException(404, "the web page is switched off")
    limit(st, f"ip:{request.client.host if request.client else '-'}")
    if st.sessions.verify(request.cookies.get(COOKIE)) is None:
        _, value = st.sessions.issue()
        response.set_cookie(
            COOKIE,
            value,
            max_age=st.http.session_days * 86400,
            httponly=True,
            samesite="strict",
            secure=st.http.cookie_secure,
            path="/",
        )
    return {"ok": True}


@router.post("/message", tags=["chat"], summary="Send a message or press a button; get the bot's replies")
async def message(
    body: s.MessageIn,
    st: StateDep,
    who: Caller,
    documents: Annotated[Literal["url", "base64"], Query(description="How files come back")] = "url",
) -> s.MessageOut:
    chat_id = await chat_of(st, who)
    assert chat_id is not None
    incoming = Incoming(chat_id, text=body.text or "", button=body.button or "", language=body.language)
    replies = await st.runtime.run(st.runtime.dialogue.handle, incoming)
    return s.MessageOut(replies=[_reply(r, st, who, documents) for r in replies])


def _reply(reply: Reply, st: State, who: Principal, documents: str) -> s.ReplyOut:
    poll = reply.poll
    doc = reply.document
    document = None
    if doc is not None:
        media = MEDIA_TYPES.get(doc.filename.rsplit(".", 1)[-1], "application/octet-stream")
        if documents == "base64":
            document = s.DocumentOut(
                filename=doc.filename, media_type=media, size=len(doc.data), base64=base64.b64encode(doc.data).decode()
            )
        else:
            token = st.shelf.put(who.owner, doc.filename, doc.data)
            document = s.DocumentOut(
                filename=doc.filename, media_type=media, size=len(doc.data), url=f"/api/v1/files/{token}"
            )
    return s.ReplyOut(
        text=reply.text,
        buttons=[[s.ButtonOut(label=b.label, data=b.data) for b in row] for row in reply.buttons],
        edit=reply.edit,
        poll=s.PollOut(
            question=poll.question, options=list(poll.options), correct=poll.correct, explanation=poll.explanation
        )
        if poll
        else None,
        document=document,
    )


_FILE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}
}


@router.get(
    "/files/{token}", tags=["chat"], summary="Download a file a reply carried", responses={**NOT_FOUND, **_FILE}
)
async def file(token: Annotated[str, Path(max_length=64)], st: StateDep, who: Caller) -> Response:
    found = st.shelf.get(who.owner, token)
    if found is None:
        raise HTTPException(404, "no such file, or its link has expired")
    return Response(
        found.data,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{found.filename}"'},
    )


@router.post("/ask", tags=["answers"], summary="Answer a question (the `safebot ask --json` shape)")
async def ask(body: s.AskIn, st: StateDep, who: Caller) -> s.AskOut:
    from index import Preferences

    prefs = Preferences(audience=body.audience, grade=body.grade, lang=body.lang)
    answer = await st.runtime.run(lambda: st.runtime.assistant.answer(body.question, prefs, top_k=body.top_k))
    return s.AskOut.model_validate(answer.to_json())


def _summary(doc: Document) -> s.DocumentSummary:
    m = doc.meta
    return s.DocumentSummary(
        id=m.id, title=m.title, lang=m.lang, audiences=list(m.audiences), grades=list(m.grades), summary=m.summary
    )


@router.get("/topics", tags=["browse"], summary="The topics and their documents")
async def topics(
    st: StateDep,
    who: Caller,
    lang: Annotated[s.Lang | None, Query(description="Only documents in this language")] = None,
) -> list[s.TopicOut]:
    docs = st.runtime.assistant.knowledge.documents
    return [
        s.TopicOut(
            slug=slug,
            label=labels[lang or "zh"],
            documents=[_summary(d) for d in docs if d.meta.topic == slug and (lang is None or d.meta.lang == lang)],
        )
        for slug, labels in TOPIC_LABELS.items()
    ]


@router.get("/hotlines", tags=["browse"], summary="The hotline numbers (no credentials needed)")
async def hotlines(request: Request, st: StateDep, lang: s.Lang = "zh") -> list[s.HotlineOut]:
    limit(st, f"ip:{request.client.host if request.client else '-'}")
    entries = st.runtime.assistant.knowledge.hotlines
    return [
        s.HotlineOut(key=k, number=h.number, name=getattr(h.name, lang), use=getattr(h.use, lang))
        for k, h in entries.items()
    ]


def _find(st: State, doc_id: str) -> Document:
    doc = next((d for d in st.runtime.assistant.knowledge.documents if d.meta.id == doc_id), None)
    if doc is None:
        raise HTTPException(404, f"no document '{doc_id}'")
    return doc


def _section(doc: Document, index: int) -> s.SectionOut:
    section = doc.sections[index]
    return s.SectionOut(index=index, heading=section.heading, text=section.text, source=doc.source_of(section).cite())


DocId = Annotated[str, Path(max_length=80, description="e.g. drowning-parent-zh")]


@router.get("/documents/{doc_id}", tags=["browse"], summary="A document with its sections", responses=NOT_FOUND)
async def document(doc_id: DocId, st: StateDep, who: Caller) -> s.DocumentDetail:
    doc = _find(st, doc_id)
    return s.DocumentDetail(
        **_summary(doc).model_dump(),
        topic=doc.meta.topic,
        sections=[_section(doc, i) for i in range(len(doc.sections))],
    )


@router.get(
    "/documents/{doc_id}/sections/{index}", tags=["browse"], summary="One section of a document", responses=NOT_FOUND
)
async def section(doc_id: DocId, index: Annotated[int, Path(ge=0, le=1000)], st: StateDep, who: Caller) -> s.SectionOut:
    doc = _find(st, doc_id)
    if index >= len(doc.sections):
        raise HTTPException(404, f"'{doc_id}' has {len(doc.sections)} sections")
    return _section(doc, index)


_LESSON: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {m.split(";")[0]: {"schema": {"type": "string", "format": "binary"}} for m in MEDIA_TYPES.values()}
    }
}


@router.get(
    "/lessons/{topic}", tags=["lessons"], summary="Lesson material (the `safebot lesson` options)", responses=_LESSON
)
async def lesson(
    topic: s.TopicSlug,
    st: StateDep,
    who: Caller,
    grade: Annotated[Literal[GRADES], Query()],  # type: ignore[valid-type]
    kind: Annotated[Literal[KINDS], Query()],  # type: ignore[valid-type]
    format: Annotated[Literal[FORMATS], Query()] = "md",  # type: ignore[valid-type]
    school: Annotated[str, Query(min_length=1, max_length=40, pattern=PRINTABLE)] = "____学校",
    class_name: Annotated[str, Query(alias="class", min_length=1, max_length=40, pattern=PRINTABLE)] = "____班",
    teacher: Annotated[str, Query(min_length=1, max_length=40, pattern=PRINTABLE)] = "________",
    date: dt.date | None = None,
    term: Annotated[str | None, Query(min_length=1, max_length=40, pattern=PRINTABLE)] = None,
) -> Response:
    request = LessonRequest(
        topic, grade, kind, school=school, class_name=class_name, teacher=teacher, date=date, term=term
    )
    data = await st.runtime.run(st.runtime.lessons.render, request, format)
    filename = f"{request.filename_stem}.{format}"
    return Response(
        data, media_type=MEDIA_TYPES[format], headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


@router.get("/settings", tags=["settings"], summary="The caller's role, school stage and language")
async def get_settings(st: StateDep, who: Caller) -> s.SettingsOut:
    chat_id = await chat_of(st, who, create=False)
    profile = await st.runtime.run(st.runtime.store.profile, chat_id) if chat_id is not None else None
    if profile is None:
        return s.SettingsOut(role=None, grade=None, lang="zh", saved=False)
    return s.SettingsOut(role=profile.role, grade=profile.grade, lang=profile.lang, saved=True)  # type: ignore[arg-type]


@router.put("/settings", tags=["settings"], summary="Save the caller's role, school stage and language")
async def put_settings(body: s.SettingsIn, st: StateDep, who: Caller) -> s.SettingsOut:
    chat_id = await chat_of(st, who)
    assert chat_id is not None
    await st.runtime.run(st.runtime.store.save_profile, Profile(chat_id, body.role, body.grade, body.lang))
    return s.SettingsOut(role=body.role, grade=body.grade, lang=body.lang, saved=True)


def _reminders(st: State, chat_id: int | None) -> s.RemindersOut:
    if chat_id is None:
        return s.RemindersOut(subscriptions=[], upcoming=[])
    mine = st.runtime.store.subscriptions(chat_id)
    book = st.runtime.dialogue.book
    coming: list[s.UpcomingOut] = []
    if book is not None and mine:
        today = dt.datetime.now(TZ).date()
        for occ in upcoming([r for r in book.reminders if r.topic in mine], book.calendar, today, 60):
            coming.append(
                s.UpcomingOut(
                    time=occ.at.isoformat(timespec="minutes"), reminder=occ.reminder.id, topic=occ.reminder.topic
                )
            )
    return s.RemindersOut(subscriptions=mine, upcoming=coming)


@router.get("/reminders", tags=["reminders"], summary="The caller's subscriptions and what comes next")
async def reminders(st: StateDep, who: Caller) -> s.RemindersOut:
    chat_id = await chat_of(st, who, create=False)
    return await st.runtime.run(_reminders, st, chat_id)


@router.post("/reminders/subscribe", tags=["reminders"], summary="Subscribe to seasonal reminders")
async def subscribe(body: s.TopicsIn, st: StateDep, who: Caller) -> s.RemindersOut:
    chat_id = await chat_of(st, who)
    assert chat_id is not None
    topics: list[str] = list(dict.fromkeys(body.topics)) if body.topics else list(TOPIC_LABELS)

    def work() -> s.RemindersOut:
        store = st.runtime.store
        if store.profile(chat_id) is None:  # reminders go to a profile: keep the least (language only)
            store.save_profile(Profile(chat_id, None, None, "zh"))
        store.subscribe(chat_id, topics)
        return _reminders(st, chat_id)

    return await st.runtime.run(work)


@router.post("/reminders/unsubscribe", tags=["reminders"], summary="Unsubscribe from some or all topics")
async def unsubscribe(body: s.TopicsIn, st: StateDep, who: Caller) -> s.RemindersOut:
    chat_id = await chat_of(st, who, create=False)
    if chat_id is None:
        return s.RemindersOut(subscriptions=[], upcoming=[])
    await st.runtime.run(st.runtime.store.unsubscribe, chat_id, list(body.topics) if body.topics else None)
    return await st.runtime.run(_reminders, st, chat_id)


@router.get(
    "/inbox",
    tags=["reminders"],
    summary="Reminders and broadcasts due for the caller; each comes once, then is marked delivered",
)
async def inbox(st: StateDep, who: Caller) -> s.MessageOut:
    """The web page and school systems cannot be pushed to: their reminders wait here.
    A reminder that asks for it carries its 已阅 button (press it with POST /message)."""
    chat_id = await chat_of(st, who, create=False)
    if chat_id is None:
        return s.MessageOut(replies=[])

    def work() -> list[Reply]:
        book = st.runtime.book
        rows = st.runtime.store.take_inbox(chat_id, st.runtime.clock().timestamp())
        if book is None:
            return []
        replies = OutboxReplies(st.runtime.store, book)
        return [reply for reply in map(replies.of, rows) if reply is not None]

    found = await st.runtime.run(work)
    return s.MessageOut(replies=[_reply(r, st, who, "url") for r in found])


@router.delete("/me", tags=["settings"], status_code=204, summary="Delete everything kept about the caller")
async def forget(st: StateDep, who: Caller, response: Response) -> Response:
    chat_id = await chat_of(st, who, create=False)
    if chat_id is not None:
        await st.runtime.run(st.runtime.store.forget, chat_id)
    response = Response(status_code=204)
    if who.kind == "session":
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=st.http.cookie_secure)
    return response
