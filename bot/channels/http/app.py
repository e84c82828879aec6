"""One ASGI app for the HTTP channel: the API under /api/v1, /healthz and /readyz, the
web chat page at / (plain files from bot/channels/http/static, nothing from elsewhere), and the
Telegram webhook when TELEGRAM_BOT_TOKEN and SAFEBOT_WEBHOOK_URL are set. Every part
shares one runtime (store, engine worker), opened and closed by the app's lifespan."""

import asyncio
import contextlib
import datetime as dt
import json
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.channels.http import schemas as s
from bot.channels.http.api import State, router
from bot.channels.http.config import HttpSettings
from bot.engine.answering.assistant import Assistant
from bot.runtime import EngineBusy, Runtime
from bot.settings import Settings
from index.errors import BadInputError

logger = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
TELEGRAM_MAX_BODY = 1024 * 1024  # an update carries at most a 4,096-character message and its entities
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
DESCRIPTION = """SafeBot (平安校园助手) over HTTP: the same answers as the Telegram bot and the terminal.

**Who may call.** A school system sends its API key as `X-API-Key: KEY` (or `Authorization: Bearer KEY`)
and names the person it acts for in `X-SafeBot-User` (its own id for them; their settings and
subscriptions are kept under it). The web page at `/` uses a signed HttpOnly session cookie from
`POST /api/v1/session`.

**Limits.** Each key and each session may make `SAFEBOT_HTTP_RATE` requests a minute (then 429 with
`Retry-After`); bodies over `SAFEBOT_HTTP_MAX_BODY` bytes get 413; malformed JSON 400; unknown or
invalid fields 422. Errors are `{"error": code, "message": text}`."""


def _error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None, **extra: object
) -> JSONResponse:
    body = s.Error(error=code, message=message, **extra).model_dump(exclude_none=True)  # type: ignore[arg-type]
    return JSONResponse(body, status_code=status, headers=headers)


_CODES = {400: "bad_request", 401: "unauthorized", 404: "not_found", 405: "method_not_allowed", 429: "rate_limited"}


class BodyLimit:
    """413 for a body over `limit` bytes, whether it says its length or streams.
    `larger`: paths with a limit of their own (Telegram's updates)."""

    def __init__(self, app: ASGIApp, limit: int, larger: dict[str, int] | None = None) -> None:
        self.app = app
        self.limit = limit
        self.larger = larger or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.larger.get(scope.get("path", ""), self.limit)
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await self._too_large(scope, receive, send, limit)
            return
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > limit:
                await self._too_large(scope, receive, send, limit)
                return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = _error(413, "too_large", f"the request body is over {limit} bytes")
        await response(scope, receive, send)


class Faults:
    """A fault in the engine is logged and answered with a JSON 500, and the connection
    is kept: Starlette's own handler would raise it again to the server."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception:
            logger.exception("%s %s failed", scope.get("method"), scope.get("path"))
            if started:
                raise
            response = _error(500, "internal", "something went wrong on our side; in danger call 110 or 120")
            await response(scope, receive, send)


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                ]
                path = scope.get("path", "")
                if not path.startswith("/api/") and path not in ("/docs", "/redoc"):
                    headers.append((b"content-security-policy", CSP.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def create_app(
    settings: Settings,
    http: HttpSettings | None = None,
    assistant: Assistant | None = None,
    clock: Callable[[], dt.datetime] | None = None,
) -> FastAPI:
    """`assistant`: an already loaded one (tests share theirs); else loaded on start.
    `clock`: what time it is for reminders (tests set it)."""
    http = http or HttpSettings.from_env()
    runtime = Runtime(settings, assistant, clock=clock, queue=http.queue)
    webhook = None
    if settings.telegram_token and settings.webhook_url:
        from bot.channels.telegram.app import Webhook

        webhook = Webhook(settings, runtime)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        opened = not runtime.ready
        if opened:
            runtime.open()
        clock = asyncio.create_task(runtime.keep_enqueuing())  # fills the web and API inboxes
        try:
            if webhook is not None:
                await webhook.start()
            try:
                yield
            finally:
                if webhook is not None:
                    await webhook.stop()
        finally:
            clock.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await clock
            if opened:
                runtime.close()

    app = FastAPI(
        title="SafeBot HTTP API",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.safebot = State(runtime, http)
    app.state.runtime = runtime

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return _error(400, "bad_json", "the body is not valid JSON")
        details = [{"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))} for e in errors]
        first = details[0] if details else {"loc": [], "msg": "invalid"}
        return _error(422, "invalid", f"{'.'.join(first['loc'])}: {first['msg']}", details=details)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        code = _CODES.get(exc.status_code, "error")
        return _error(exc.status_code, code, str(exc.detail), headers=dict(exc.headers or {}))

    @app.exception_handler(BadInputError)
    async def bad_input(request: Request, exc: BadInputError) -> JSONResponse:
        return _error(422, "invalid", str(exc))

    @app.exception_handler(EngineBusy)
    async def busy(request: Request, exc: EngineBusy) -> JSONResponse:
        return _error(503, "busy", "the engine is busy: retry shortly", headers={"Retry-After": "1"})

    @app.get("/healthz", tags=["health"], summary="The process answers")
    async def healthz() -> s.Health:
        return s.Health(status="ok", queued=runtime.waiting)

    @app.get(
        "/readyz",
        tags=["health"],
        summary="The engine is loaded and its queue has room",
        responses={503: {"model": s.Health, "description": "Not ready"}},
    )
    async def readyz() -> JSONResponse:
        ready = runtime.ready and runtime.waiting < runtime.queue
        body = s.Health(status="ready" if ready else "not ready", queued=runtime.waiting)
        return JSONResponse(body.model_dump(), status_code=200 if ready else 503)

    app.include_router(router)

    if webhook is not None:
        hook = webhook

        @app.post(hook.path, include_in_schema=False)
        async def telegram_update(request: Request) -> Response:
            """An update from Telegram: only with the secret token it was given."""
            if not hook.accepts(request.headers.get(hook.HEADER)):
                return _error(403, "forbidden", "not from Telegram: the secret token is missing or wrong")
            try:
                data = await request.json()
            except ValueError:
                return _error(400, "bad_json", "the body is not valid JSON")
            await hook.put(data)
            return Response(status_code=200)

    if http.public:

        @app.get("/", include_in_schema=False)
        async def page() -> FileResponse:
            return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

        @app.get("/privacy", include_in_schema=False)
        async def privacy() -> FileResponse:
            return FileResponse(STATIC / "privacy.html", headers={"Cache-Control": "no-cache"})

        app.mount("/static", StaticFiles(directory=STATIC), name="static")

    app.add_middleware(Faults)
    app.add_middleware(BodyLimit, limit=http.max_body, larger={webhook.path: TELEGRAM_MAX_BODY} if webhook else None)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    return app


def dump_openapi(app: FastAPI) -> str:
    return json.dumps(app.openapi(), ensure_ascii=False, indent=2)
