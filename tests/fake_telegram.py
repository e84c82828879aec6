"""A small fake of the Telegram Bot API over real HTTP, owned by the tests. It speaks
the parts python-telegram-bot uses (form-encoded and multipart bodies, real status
codes, `retry_after`), records every call with the time it was served, and lets a test
queue updates and inject failures. Waiting is on a condition variable, never a sleep."""

import asyncio
import email.parser
import email.policy
import itertools
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

if TYPE_CHECKING:
    from bot.settings import Settings

TOKEN = "1234567890:AAE-fake_token-for-the-local-bot-api-x"  # shaped like a real one
BOT_USER = {
    "id": 999000,
    "is_bot": True,
    "first_name": "SafeBot",
    "username": "safebot_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
_JSON_FIELDS = {
    "reply_markup",
    "commands",
    "options",
    "allowed_updates",
    "entities",
    "scope",
    "link_preview_options",
    "correct_option_ids",
}


HANG_SECONDS = 1.5
_CHAT_FAILURES: dict[str, Any] = {
    "429": (
        429,
        {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 1",
            "parameters": {"retry_after": 1},
        },
    ),
    "403": (403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}),
    "notfound": (400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}),
    "500": (500, {"ok": False, "error_code": 500, "description": "Internal Server Error"}),
    "hang": "hang",  # never answers: the message is lost
    "late": "late",  # delivers, then answers after the client gave up: a TimedOut that did arrive
}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float


class _Server(ThreadingHTTPServer):
    """The standard listen backlog is 5: eight senders connecting at once then lose a
    SYN, and the kernel retries it a second later, which looks like a send made during a
    429 pause."""

    request_queue_size = 128


@dataclass
class FakeTelegram:
    token: str = TOKEN
    calls: list[Call] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    served_at: dict[int, float] = field(default_factory=dict)  # update_id -> when getUpdates returned it
    polls: int = 0  # getUpdates requests answered
    chat_failures: dict[int, deque[str]] = field(default_factory=dict)  # chat -> kinds of failure to inject
    delivered: list[tuple[int, str]] = field(default_factory=list)  # (chat, text) of successful sendMessage
    failures: dict[str, deque[tuple[int, dict[str, Any]]]] = field(default_factory=dict)
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _server: ThreadingHTTPServer | None = None
    url: str = ""

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> str:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep connections alive, as Telegram's servers do
            # headers and body go out as two writes: with Nagle's algorithm the second waits
            # for the client's delayed ACK (40 ms), which would measure the fake, not the bot
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                fake._handle(self)

            do_GET = do_POST

            def log_message(self, *args: object) -> None:
                pass

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        return self.url

    def stop(self) -> None:
        if self._server:
            with self._cond:
                self._cond.notify_all()
            self._server.shutdown()
            self._server.server_close()

    # -- what tests do -----------------------------------------------------------------

    def fail_next(self, method: str, status: int, description: str, **parameters: Any) -> None:
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if parameters:
            body["parameters"] = parameters
        with self._cond:
            self.failures.setdefault(method, deque()).append((status, body))

    def fail_chat(self, chat_id: int, *kinds: str) -> None:
        """Make the next sendMessage calls to `chat_id` fail, one per kind: '429', '403',
        'notfound', '500' or 'hang' (no answer until the client gives up; not delivered)."""
        with self._cond:
            self.chat_failures.setdefault(chat_id, deque()).extend(kinds)

    def push(self, update: dict[str, Any]) -> int:
        with self._cond:
            update_id = next(self._ids)
            self.updates.append({"update_id": update_id, **update})
            self._cond.notify_all()
        return update_id

    def push_text(self, chat_id: int, text: str, language: str = "zh-hans", chat_type: str = "private") -> int:
        return self.push(self.text_update(chat_id, text, language, chat_type))

    def text_update(
        self, chat_id: int, text: str, language: str = "zh-hans", chat_type: str = "private"
    ) -> dict[str, Any]:
        """A message update as Telegram sends it (without its update_id)."""
        message = self._message(chat_id, chat_type, language, text=text)
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return {"message": message}

    def push_button(self, chat_id: int, data: str, message_id: int, language: str = "zh-hans") -> int:
        return self.push(self.button_update(chat_id, data, message_id, language))

    def button_update(self, chat_id: int, data: str, message_id: int, language: str = "zh-hans") -> dict[str, Any]:
        """A button press as Telegram sends it (without its update_id)."""
        bot_message = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self._chat(chat_id, "private"),
            "from": BOT_USER,
            "text": "…",
        }
        return {
            "callback_query": {
                "id": f"cb{message_id}-{len(self.updates)}",
                "from": self._user(chat_id, language),
                "chat_instance": "ci",
                "message": bot_message,
                "data": data,
            }
        }

    def push_sticker(self, chat_id: int) -> int:
        sticker = {
            "file_id": "s1",
            "file_unique_id": "u1",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
        return self.push({"message": self._message(chat_id, "private", "zh-hans", sticker=sticker)})

    def push_photo(self, chat_id: int) -> int:
        photo = [{"file_id": "p1", "file_unique_id": "pu1", "width": 90, "height": 90}]
        return self.push({"message": self._message(chat_id, "private", "en", photo=photo)})

    def push_edited(self, chat_id: int, text: str) -> int:
        message = self._message(chat_id, "private", "zh-hans", text=text)
        message["edit_date"] = int(time.time())
        return self.push({"edited_message": message})

    def push_channel_post(self, chat_id: int, text: str) -> int:
        post = {
            "message_id": 1,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "channel", "title": "news"},
            "text": text,
        }
        return self.push({"channel_post": post})

    def sent(self, chat_id: int | None = None, method: str = "sendMessage") -> list[dict[str, Any]]:
        with self._cond:
            return [
                c.params
                for c in self.calls
                if c.method == method and (chat_id is None or str(c.params.get("chat_id")) == str(chat_id))
            ]

    def wait_for(self, predicate: Any, timeout: float = 30.0) -> None:
        """Block until `predicate(self)` holds; fail the test after `timeout`."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out; calls: {[c.method for c in self.calls][-20:]}")
                self._cond.wait(left)

    def wait_sent(self, chat_id: int, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
        self.wait_for(lambda f: len(f.sent(chat_id)) >= count, timeout)
        return self.sent(chat_id)

    # -- the HTTP side -----------------------------------------------------------------

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        prefix = "/bot"
        path = request.path
        if not path.startswith(prefix) or "/" not in path[len(prefix) :]:
            return self._reply(request, 404, {"ok": False, "error_code": 404, "description": "Not Found"})
        token, method = path[len(prefix) :].split("/", 1)
        if token != self.token:
            return self._reply(request, 401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        params = self._params(request)
        if method == "getUpdates":
            return self._reply(request, 200, {"ok": True, "result": self._get_updates(params)})
        with self._cond:
            self.calls.append(Call(method, params, time.monotonic()))
            queued = self.failures.get(method)
            failure = queued.popleft() if queued else None
            if failure is None and method == "sendMessage":
                kinds = self.chat_failures.get(int(params.get("chat_id", 0)))
                failure = _CHAT_FAILURES[kinds.popleft()] if kinds else None
            self._cond.notify_all()
        if failure == "hang":
            time.sleep(HANG_SECONDS)
            return None
        if failure and failure != "late":
            return self._reply(request, failure[0], failure[1])
        result = self._result(method, params)
        with self._cond:
            if method == "sendMessage":
                self.delivered.append((int(params.get("chat_id", 0)), str(params.get("text", ""))))
            self._cond.notify_all()
        if failure == "late":
            time.sleep(HANG_SECONDS)
        return self._reply(request, 200, {"ok": True, "result": result})

    def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = min(float(params.get("timeout") or 0), 2.0)
        deadline = time.monotonic() + timeout
        with self._cond:
            if offset:  # like Telegram: an offset confirms every earlier update for good
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
            while True:
                pending = [u for u in self.updates if u["update_id"] >= offset]
                left = deadline - time.monotonic()
                if pending or left <= 0 or self._server is None:
                    self.polls += 1
                    self._cond.notify_all()
                    now = time.monotonic()
                    for u in pending:
                        self.served_at.setdefault(u["update_id"], now)
                    return pending[:100]
                self._cond.wait(left)

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method in ("sendMessage", "editMessageText", "sendDocument", "sendPoll"):
            chat_id = int(params.get("chat_id", 0))
            message: dict[str, Any] = {
                "message_id": next(self._ids) + 1000,
                "date": int(time.time()),
                "chat": self._chat(chat_id, "private"),
                "from": BOT_USER,
            }
            if "text" in params:
                message["text"] = params["text"]
            if method == "sendDocument":
                message["document"] = {
                    "file_id": "d1",
                    "file_unique_id": "du1",
                    "file_name": params.get("document_name", "file"),
                }
            if method == "sendPoll":
                options = params.get("options") or []
                message["poll"] = {
                    "id": "poll1",
                    "question": params.get("question", ""),
                    "options": [
                        {
                            "text": o if isinstance(o, str) else o.get("text", ""),
                            "voter_count": 0,
                            "persistent_id": str(i),
                        }
                        for i, o in enumerate(options)
                    ],
                    "total_voter_count": 0,
                    "is_closed": False,
                    "is_anonymous": True,
                    "type": "quiz",
                    "allows_multiple_answers": False,
                    "allows_revoting": False,
                    "members_only": False,
                }
            if "reply_markup" in params:
                message["reply_markup"] = params["reply_markup"]
            return message
        return True  # answerCallbackQuery, setMyCommands, deleteWebhook, close, …

    @staticmethod
    def _params(request: BaseHTTPRequestHandler) -> dict[str, Any]:
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        ctype = request.headers.get("Content-Type", "")
        params: dict[str, Any] = {}
        if ctype.startswith("application/x-www-form-urlencoded"):
            params = {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
        elif ctype.startswith("multipart/form-data"):
            parser = email.parser.BytesParser(policy=email.policy.HTTP)
            message = parser.parsebytes(b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body)
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                payload = part.get_payload(decode=True) or b""
                if part.get_filename():
                    params[f"{name}_name"] = part.get_filename()
                    params[str(name)] = payload
                else:
                    params[str(name)] = payload.decode()
        elif ctype.startswith("application/json") and body:
            params = json.loads(body)
        for key in _JSON_FIELDS & params.keys():
            if isinstance(params[key], str):
                params[key] = json.loads(params[key])
        return params

    @staticmethod
    def _reply(request: BaseHTTPRequestHandler, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        try:
            request.send_response(status)
            request.send_header("Content-Type", "application/json")
            request.send_header("Content-Length", str(len(data)))
            request.end_headers()
            request.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a long poll cut short at shutdown)

    # -- fixtures for update objects ---------------------------------------------------

    @staticmethod
    def _chat(chat_id: int, chat_type: str) -> dict[str, Any]:
        if chat_type == "private":
            return {"id": chat_id, "type": "private", "first_name": "User"}
        return {"id": chat_id, "type": chat_type, "title": "Group"}

    @staticmethod
    def _user(user_id: int, language: str) -> dict[str, Any]:
        return {"id": abs(user_id), "is_bot": False, "first_name": "User", "language_code": language}

    def _message(self, chat_id: int, chat_type: str, language: str, **content: Any) -> dict[str, Any]:
        return {
            "message_id": next(self._ids) + 500_000,
            "date": int(time.time()),
            "chat": self._chat(chat_id, chat_type),
            "from": self._user(chat_id, language),
            **content,
        }


class BotThread:
    """`safebot run`'s Application polling the fake from a thread, stopped the way a
    signal stops it (the event loop is stopped, then PTB shuts down gracefully)."""

    def __init__(self, settings: "Settings", clock: Any = None) -> None:
        from bot.channels.telegram.app import build_application

        self.app = build_application(settings, clock)
        self.loop = asyncio.new_event_loop()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        from telegram import Update

        asyncio.set_event_loop(self.loop)
        try:
            self.app.run_polling(
                stop_signals=None, poll_interval=0, timeout=1, close_loop=False, allowed_updates=Update.ALL_TYPES
            )
        except BaseException as exc:  # surfaced by stop()
            self.error = exc

    def start(self, fake: FakeTelegram) -> "BotThread":
        """Start and wait until the bot is polling."""
        polls = fake.polls
        self.thread.start()
        fake.wait_for(lambda f: any(c.method == "deleteWebhook" for c in f.calls) and f.polls > polls, timeout=90)
        return self

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=60)
        assert not self.thread.is_alive(), "the bot did not shut down"
        self.loop.close()
        if self.error:
            raise self.error
